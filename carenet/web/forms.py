"""Web-only forms (the list filters) and the presentation of the shared child forms."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django import forms
from django.forms.boundfield import BoundField
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from carenet.care.models import CareKind
from carenet.children.models import (
    GRANDPARENT_RELATIONS,
    Category,
    ChildStatus,
    GuardianshipQuality,
    LeftBehindType,
    Relation,
    RiskLevel,
)
from carenet.children.selectors import POPULATION_LABELS, Population
from carenet.dashboards.bands import GUARDIAN_AGE_BANDS
from carenet.lib.forms import BoundedDateField, model_choice
from carenet.lib.names import user_name
from carenet.orgs.models import Org, OrgKind
from carenet.orgs.selectors import AnyUser, visible_orgs
from carenet.web.selectors import ANY_LEFT_BEHIND, NO_MENTOR, UNSET, ChildFilters, visible_mentor

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

_ANY = [("", _("全部"))]
_HIDDEN = forms.HiddenInput
# The hidden filters of the child list (see ChildFilterForm).
CHART_FILTERS = (
    "org",
    "population",
    "mentor",
    "record",
    "month",
    "guardian_age",
    "guardianship",
    "work_province",
)


class ChildFilterForm(forms.Form):
    """The query string of the child list. Unknown values are ignored, never an error page."""

    q = forms.CharField(label=_("搜索"), required=False, max_length=50)
    status = forms.ChoiceField(
        label=_("状态"),
        required=False,
        choices=[
            (ChildStatus.ACTIVE, ChildStatus.ACTIVE.label),
            (ChildStatus.LEFT, ChildStatus.LEFT.label),
        ],
    )
    school: forms.ModelChoiceField[Org] = forms.ModelChoiceField(
        label=_("学校"), queryset=None, required=False, empty_label=_("全部学校")
    )
    school_class: forms.ModelChoiceField[Org] = forms.ModelChoiceField(
        label=_("班级"), queryset=None, required=False, empty_label=_("全部班级")
    )
    left_behind = forms.ChoiceField(
        label=_("留守类型"),
        required=False,
        choices=[*_ANY, (ANY_LEFT_BEHIND, _("留守儿童（单亲和双亲）")), *LeftBehindType.choices],
    )
    category = forms.ChoiceField(
        label=_("特殊类别"), required=False, choices=_ANY + Category.choices
    )
    risk = forms.ChoiceField(label=_("风险等级"), required=False, choices=_ANY + RiskLevel.choices)
    # Filters the dashboard charts link with: hidden, kept through the list's own search.
    org: forms.ModelChoiceField[Org] = forms.ModelChoiceField(
        label=_("范围"), queryset=None, required=False, to_field_name="code", widget=_HIDDEN
    )
    population = forms.ChoiceField(
        label=_("统计口径"),
        required=False,
        choices=[(str(p), POPULATION_LABELS[p]) for p in Population],
        widget=_HIDDEN,
    )
    mentor = forms.RegexField(
        label=_("代理家长"), regex=rf"^(\d{{1,10}}|{NO_MENTOR})$", required=False, widget=_HIDDEN
    )
    record = forms.ChoiceField(
        label=_("关爱记录"), required=False, choices=CareKind.choices, widget=_HIDDEN
    )
    month = BoundedDateField(
        label=_("月份"), required=False, input_formats=["%Y-%m"], widget=_HIDDEN
    )
    guardian_age = forms.ChoiceField(
        label=_("监护人年龄"),
        required=False,
        choices=[(value, label) for value, label, _low, _high in GUARDIAN_AGE_BANDS],
        widget=_HIDDEN,
    )
    guardianship = forms.ChoiceField(
        label=_("监护状况"),
        required=False,
        choices=[*GuardianshipQuality.choices, (UNSET, _("未填写"))],
        widget=_HIDDEN,
    )
    work_province = forms.CharField(
        label=_("务工省份"), required=False, max_length=20, widget=_HIDDEN
    )

    def __init__(self, data: Mapping[str, Any] | None, *, user: AnyUser) -> None:
        super().__init__(data)
        self.user = user
        model_choice(self, "school").queryset = visible_orgs(user, kind=OrgKind.SCHOOL)
        model_choice(self, "school_class").queryset = visible_orgs(user, kind=OrgKind.CLASS)
        model_choice(self, "org").queryset = visible_orgs(user)
        self.fields["q"].widget.attrs.update(
            {"placeholder": _("姓名、拼音或首字母"), "type": "search"}
        )

    def filters(self) -> ChildFilters:
        """The valid part of the query; an invalid field counts as not given."""
        self.is_valid()
        data = {name: value for name, value in self.cleaned_data.items() if value}
        data["status"] = data.get("status") or ChildStatus.ACTIVE
        return ChildFilters(**data)

    def chart_filters(self) -> list[str]:
        """The hidden filters in force, as "label: value" for the page to show."""
        self.is_valid()
        shown = []
        for name in CHART_FILTERS:
            value = self.cleaned_data.get(name)
            if not value:
                continue
            field = self.fields[name]
            if name == "month":
                value = value.strftime("%Y-%m")
            elif name == "mentor":
                value = _("未结对") if value == NO_MENTOR else self._mentor_name(int(value))
            elif isinstance(field, forms.ChoiceField) and not isinstance(
                field, forms.ModelChoiceField
            ):
                value = dict(field.choices).get(value, value)  # type: ignore[arg-type]  # flat choices
            shown.append(f"{field.label}：{value}")
        return shown

    def _mentor_name(self, pk: int) -> str:
        """The mentor's name, only if they mentor a child the user may see."""
        mentor = visible_mentor(self.user, pk)
        return user_name(mentor) if mentor else "—"

    def narrowed(self) -> bool:
        """Whether a filter beyond the search text is in force (shows the filters on phones)."""
        filters = self.filters()
        return filters != ChildFilters(q=filters.q)


@dataclass(frozen=True)
class Section:
    title: str | Promise
    fields: list[BoundField]


# How the child form is laid out on the page, in sections.
CHILD_SECTIONS: list[tuple[Promise, list[str]]] = [
    (
        _("基本信息"),
        [
            "name",
            "id_number",
            "gender",
            "birth_date",
            "ethnicity",
            "student_number",
            "school_class",
        ],
    ),
    (
        _("户籍与居住"),
        [
            "registered_residence",
            "rural_hukou",
            "hukou_registered",
            "village",
            "residence_group",
            "residence_address",
            "boarding",
            "migrant_child",
        ],
    ),
    (
        _("健康与就学"),
        ["health", "health_notes", "disability", "schooling", "stage", "immunization"],
    ),
    (
        _("监护与救助"),
        [
            "guardian_entrusted",
            "orphan",
            "needs_aid",
            "distress_kinds",
            "income_sources",
            "assistance",
        ],
    ),
    (_("特点与关爱"), ["interests", "personality", "categories", "notes"]),
]


def child_sections(form: forms.BaseForm) -> list[Section]:
    return [Section(title, [form[name] for name in names]) for title, names in CHILD_SECTIONS]


@dataclass(frozen=True)
class FamilyLayout:
    """The family forms of the child form as the page shows them, each with its title:
    the parents and the guardian, then the grandparents in a folded section, open when
    one is on file or has an error (most registers name none)."""

    sections: list[tuple[Promise, forms.BaseForm]]
    grandparents: list[tuple[Promise, forms.ModelForm]]

    @property
    def grandparents_open(self) -> bool:
        return any(f.instance.pk or f.errors for _title, f in self.grandparents)

    @property
    def all(self) -> list[tuple[Promise, forms.BaseForm]]:
        return [*self.sections, *self.grandparents]


def family_layout(family: dict[str, Any]) -> FamilyLayout:
    """Lay out ``children.forms.family_forms`` (relation → form)."""
    titled = [(Relation(relation).label, form) for relation, form in family.items()]
    return FamilyLayout(
        sections=[(t, f) for t, f in titled if f.relation not in GRANDPARENT_RELATIONS],
        grandparents=[(t, f) for t, f in titled if f.relation in GRANDPARENT_RELATIONS],
    )


@dataclass(frozen=True)
class FormError:
    section: str | Promise
    label: StrOrPromise | None
    message: str


def form_errors(named_forms: list[tuple[str | Promise, forms.BaseForm]]) -> list[FormError]:
    """Every error of several forms, each naming its section and field, for the summary."""
    found = []
    for section, form in named_forms:
        for name, messages in form.errors.items():
            label = form.fields[name].label if name in form.fields else ""
            found += [FormError(section, label, str(message)) for message in messages]
    return found
