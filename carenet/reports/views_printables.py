"""Printables (打印件): a class's contact cards and talk record cards as PDF, and the
statistics table (留守儿童基本情况统计表) as .xlsx.

Views parse, call the builders of ``cards.py`` and ``statistics.py`` with the user's
scope, render and write the access log. A class or an org out of the user's sight
answers 404; the full (unmasked) contact cards need ``Permission.SEE_CONTACTS`` (403 without).
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote, urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from carenet.audit.models import AccessAction
from carenet.audit.services import audit_log, audit_log_children
from carenet.children.access import Permission, visible_children
from carenet.lib.forms import DateInput, label_choices, model_choice
from carenet.orgs.models import Org, OrgKind
from carenet.orgs.selectors import AnyUser, class_label, school_of, visible_orgs, with_school_names
from carenet.reports.cards import (
    CONTACT_CARDS_PER_PAGE,
    TALK_CARDS_PER_PAGE,
    card_class,
    contact_cards,
    pages,
    talk_cards,
)
from carenet.reports.pdf import render_pdf
from carenet.reports.statistics import (
    TableCheckError,
    render_table_xlsx,
    statistics_table,
    table_orgs,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _file(content: bytes, *, filename: str, content_type: str, inline: bool) -> HttpResponse:
    """A file whose Chinese name survives every browser (RFC 6266); PDFs open inline."""
    response = HttpResponse(content, content_type=content_type)
    suffix = filename.rsplit(".", 1)[-1]
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = (
        f"{disposition}; filename=\"carenet.{suffix}\"; filename*=UTF-8''{quote(filename)}"
    )
    return response


# --------------------------------------------------------------------------- cards


class CardKind:
    CONTACT = "contact"
    TALK = "talk"
    choices = [
        (CONTACT, gettext_lazy("联系卡（每页4张）")),
        (TALK, gettext_lazy("谈心记录卡（每页2张）")),
    ]


class MonthField(forms.DateField):
    """A month as ``YYYY-MM`` (``<input type="month">``), cleaned to its first day."""

    input_formats = ["%Y-%m"]
    widget = forms.DateInput(attrs={"type": "month"}, format="%Y-%m")


class CardOptionsForm(forms.Form):
    """The options of a class's cards, in the query string of the PDF."""

    full = forms.BooleanField(
        required=False,
        label=gettext_lazy("显示完整电话"),
        help_text=gettext_lazy(
            "默认电话打码（如 138****5678）。勾选后，您有权查看联系方式的儿童的卡片显示完整"
            "电话，并记入访问日志。"
        ),
    )
    others = forms.BooleanField(
        required=False,
        label=gettext_lazy("联系卡也打印非留守儿童"),
        help_text=gettext_lazy(
            "默认只打印留守儿童（卡片标题为“留守儿童联系卡”）；勾选后打印全班在册儿童，"
            "标题改为“学生联系卡”。"
        ),
    )
    left_behind = forms.BooleanField(required=False, label=gettext_lazy("谈心记录卡只打印留守儿童"))
    month = MonthField(
        required=False,
        label=gettext_lazy("谈心记录月份"),
        help_text=gettext_lazy("选填：填入该月的谈心记录（保密记录不打印）；不填则打印空白卡。"),
    )

    def clean_month(self) -> dt.date | None:
        month = self.cleaned_data.get("month")
        if month and month.replace(day=1) > timezone.localdate():
            raise forms.ValidationError(_("月份不能晚于本月。"))
        return month.replace(day=1) if month else None


class CardsForm(CardOptionsForm):
    """The class picker of the cards page."""

    school_class = forms.ModelChoiceField(
        queryset=Org.objects.none(), label=gettext_lazy("班级"), empty_label=None
    )
    kind = forms.ChoiceField(
        choices=CardKind.choices, initial=CardKind.CONTACT, label=gettext_lazy("打印内容")
    )
    field_order = ["school_class", "kind", "month", "others", "left_behind", "full"]

    def __init__(self, *args, classes: QuerySet[Org], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = model_choice(self, "school_class")
        field.queryset = classes
        label_choices(field, class_label)


def card_classes(user: AnyUser) -> QuerySet[Org]:
    """The classes offered on the cards page: those the user may list, and the classes of
    the children they may see (a mentor's mentees)."""
    seen = visible_children(user).values("school_class_id")
    listed = visible_orgs(user, kind=OrgKind.CLASS).values("pk")
    classes = Org.objects.filter(Q(pk__in=listed) | Q(pk__in=seen), kind=OrgKind.CLASS)
    return with_school_names(classes.order_by("path"))


@login_required
@require_GET
def cards(request: HttpRequest) -> HttpResponse:
    """The cards page: pick a class and what to print; the PDF is its own URL."""
    classes = card_classes(request.user)
    if "school_class" not in request.GET:
        form = CardsForm(classes=classes)
        return render(request, "reports/cards_form.html", {"form": form})
    form = CardsForm(request.GET, classes=classes)
    if not form.is_valid():
        return render(request, "reports/cards_form.html", {"form": form}, status=400)
    data = form.cleaned_data
    name = "reports_contact_cards" if data["kind"] == CardKind.CONTACT else "reports_talk_cards"
    if data["kind"] == CardKind.CONTACT:
        query = {key: "1" for key in ("full", "others") if data[key]}
    else:
        query = {"left_behind": "1"} if data["left_behind"] else {}
        if data["month"]:
            query["month"] = f"{data['month']:%Y-%m}"
    url = reverse(name, args=[data["school_class"].pk])
    return redirect(f"{url}?{urlencode(query)}" if query else url)


def _bad_options(request: HttpRequest, school_class: Org) -> HttpResponse:
    """The cards page again, the class chosen, with the options' errors (400)."""
    data = request.GET.copy()
    data["school_class"] = str(school_class.pk)
    form = CardsForm(data, classes=card_classes(request.user))
    form.is_valid()
    return render(request, "reports/cards_form.html", {"form": form}, status=400)


def _class_or_404(request: HttpRequest, class_id: int) -> Org:
    school_class = card_class(request.user, class_id)
    if school_class is None:
        raise Http404
    return school_class


def _school_name(school_class: Org) -> str:
    school = school_of(school_class)
    return school.name if school else ""


@login_required
@require_GET
def contact_cards_pdf(request: HttpRequest, class_id: int) -> HttpResponse:
    """联系卡 of a class, four to an A4 page: the left-behind children (留守儿童联系卡), or
    with ``?others=1`` every child on the roll (学生联系卡). ``?full=1``: phones in full
    for the children whose contacts the user may see (403 if none), each such card
    logged as a reveal."""
    school_class = _class_or_404(request, class_id)
    form = CardOptionsForm(request.GET)
    if not form.is_valid():
        return _bad_options(request, school_class)
    options = form.cleaned_data
    full = options["full"]
    contacts = visible_children(request.user, Permission.SEE_CONTACTS).filter(
        school_class=school_class
    )
    if full and not contacts.exists():
        raise PermissionDenied(_("您无权查看该班儿童的完整联系方式。"))
    today = timezone.localdate()
    built = contact_cards(
        request.user,
        school_class,
        full=full,
        on=today,
        left_behind_only=not options["others"],
    )
    school = _school_name(school_class)
    card_title = _("学生联系卡") if options["others"] else _("留守儿童联系卡")
    title = f"{school}{school_class.name}{card_title}"
    content = render_pdf(
        "reports/cards_contact.html",
        {
            "title": title,
            "card_title": card_title,
            "pages": pages(built, CONTACT_CARDS_PER_PAGE),
            "count": len(built),
            "school_name": school,
            "school_class": school_class,
            "today": today,
        },
    )
    by_id = {
        child.pk: child
        for child in visible_children(request.user).filter(pk__in=[card.child_id for card in built])
    }
    audit_log_children(
        request=request,
        user=request.user,
        entries=(
            (AccessAction.REVEAL_CONTACTS, by_id[card.child_id], "班级联系卡（完整电话）")
            if card.unmasked
            else (AccessAction.VIEW_CARD, by_id[card.child_id], "班级联系卡（打码）")
            for card in built
        ),
    )
    return _file(
        content, filename=f"{title}_{today:%Y%m%d}.pdf", content_type="application/pdf", inline=True
    )


@login_required
@require_GET
def talk_cards_pdf(request: HttpRequest, class_id: int) -> HttpResponse:
    """谈心记录卡 of a class, two to an A4 page; ``?month=YYYY-MM`` fills in the month's
    talks (never a confidential record). Each child's card is logged."""
    school_class = _class_or_404(request, class_id)
    form = CardOptionsForm(request.GET)
    if not form.is_valid():
        return _bad_options(request, school_class)
    options = form.cleaned_data
    month = options["month"]
    today = timezone.localdate()
    built = talk_cards(
        request.user,
        school_class,
        on=today,
        month=month,
        left_behind_only=options["left_behind"],
    )
    school = _school_name(school_class)
    title = _("%(school)s%(class)s谈心记录卡") % {"school": school, "class": school_class.name}
    content = render_pdf(
        "reports/cards_talk.html",
        {
            "title": title,
            "pages": pages(built, TALK_CARDS_PER_PAGE),
            "count": len(built),
            "month": month,
            "school_name": school,
            "school_class": school_class,
            "today": today,
        },
    )
    detail = f"谈心记录卡 {month:%Y-%m}" if month else "谈心记录卡（空白）"
    children = visible_children(request.user).filter(pk__in=[card.child_id for card in built])
    audit_log_children(
        request=request,
        user=request.user,
        entries=((AccessAction.DOCUMENT, child, detail) for child in children),
    )
    stem = f"{title}_{month:%Y%m}" if month else f"{title}_{today:%Y%m%d}"
    return _file(content, filename=f"{stem}.pdf", content_type="application/pdf", inline=True)


# --------------------------------------------------------------------------- statistics


class StatisticsForm(forms.Form):
    org = forms.ModelChoiceField(
        queryset=Org.objects.none(),
        to_field_name="code",
        label=gettext_lazy("单位"),
        empty_label=None,
    )
    as_of = forms.DateField(
        label=gettext_lazy("统计日期"),
        widget=DateInput(),
    )

    def __init__(self, *args, orgs: QuerySet[Org], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = model_choice(self, "org")
        field.queryset = orgs
        label_choices(field, lambda org: f"{org.name}（{org.get_kind_display()}）")

    def clean_as_of(self) -> dt.date:
        as_of = self.cleaned_data["as_of"]
        if as_of > timezone.localdate():
            raise forms.ValidationError(_("统计日期不能晚于今天。"))
        return as_of


def _statistics_page(request: HttpRequest, form: StatisticsForm, **extra) -> HttpResponse:
    status = extra.pop("status", 200)
    return render(request, "reports/statistics_form.html", {"form": form, **extra}, status=status)


@login_required
@require_GET
def statistics(request: HttpRequest) -> HttpResponse:
    """The statistics table page: an org and a date; the workbook is its own URL."""
    orgs = table_orgs(request.user)
    if not orgs.exists():
        raise PermissionDenied(_("只有县级管理员、乡镇督导员和学校负责人可以导出统计表。"))
    form = StatisticsForm(initial={"org": orgs.first(), "as_of": timezone.localdate()}, orgs=orgs)
    return _statistics_page(request, form)


@login_required
@require_GET
def statistics_xlsx(request: HttpRequest) -> HttpResponse:
    """``?org=CODE&as_of=DATE``: the table as .xlsx, counted over the children the user
    may see, cross-checked first (409 and the failed checks instead of a file). An org
    out of sight is 404; an org seen but not one the user makes tables for, 403."""
    code = request.GET.get("org", "")
    if code and not visible_orgs(request.user).filter(code=code).exists():
        raise Http404
    orgs = table_orgs(request.user)
    if code and not orgs.filter(code=code).exists():
        raise PermissionDenied(_("您无权导出该单位的统计表。"))
    if not orgs.exists():
        raise PermissionDenied(_("只有县级管理员、乡镇督导员和学校负责人可以导出统计表。"))
    data = request.GET.copy()
    data.setdefault("as_of", timezone.localdate().isoformat())
    form = StatisticsForm(data, orgs=orgs)
    if not form.is_valid():
        return _statistics_page(request, form, status=400)
    org, as_of = form.cleaned_data["org"], form.cleaned_data["as_of"]
    table = statistics_table(org, as_of=as_of, children=visible_children(request.user))
    try:
        content = render_table_xlsx(table)
    except TableCheckError as error:
        return _statistics_page(request, form, check_errors=error.messages, status=409)
    audit_log(
        request=request,
        user=request.user,
        action=AccessAction.EXPORT,
        detail=f"统计表 {org.code} {as_of:%Y-%m-%d} {table.total.counts['total']} 人",
        county_code=org.county_code,
    )
    return _file(
        content, filename=f"{table.title}_{as_of:%Y%m%d}.xlsx", content_type=XLSX, inline=False
    )
