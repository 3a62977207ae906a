"""A child file posted as JSON, validated by the web UI's own forms.

The JSON body is turned into the form data the web page would post (prefixes
``father-``, ``mother-``, ``guardian-``, ``grandmother-`` …; org codes for the class and
village), then ``ChildForm`` and ``family_forms`` decide. Their errors come back under
the body's names: ``class`` for the class, ``father.phone`` for a family member's field,
``grandmother.birth_date`` for a grandparent's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from django.contrib.auth.models import User
from django.db.models import Field
from django.forms import BaseForm
from django.http import HttpRequest
from django.utils.translation import gettext as _

from carenet.api.errors import FieldError, FieldErrors
from carenet.api.schemas import ChildIn, FamilyEntryIn, GrandparentIn, GuardianIn, ParentIn
from carenet.audit.refusals import id_checks_allowed, id_refusal_record
from carenet.children.forms import FAMILY_RELATIONS, ChildForm, family_forms
from carenet.children.models import PARENT_RELATIONS, Child
from carenet.children.selectors import editable_classes, filing_villages, selectable_villages
from carenet.lib.forms import model_choice

# Form field → JSON name, where they differ.
_JSON_NAMES = {"school_class": "class"}
Member = ParentIn | GuardianIn | GrandparentIn


@dataclass(frozen=True)
class ValidChild:
    """Cleaned data ready for ``children.services.child_save``."""

    data: dict[str, Any]
    family: dict[str, dict[str, Any]]


def _form_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _model_default(field: str) -> Any:
    model_field = cast(Field, Child._meta.get_field(field))  # a concrete field of Child
    return model_field.get_default() if model_field.has_default() else None


def _child_data(body: ChildIn) -> dict[str, Any]:
    values = body.model_dump(exclude={"father", "mother", "guardian", "family", "grandparents"})
    data: dict[str, Any] = {}
    for field, value in values.items():
        if field == "class_":
            field = "school_class"
        elif field in ChildForm.CODE_LISTS:
            data[field] = value or []
            continue
        elif value is None and field in ChildForm.Meta.fields:
            value = _model_default(field)
        data[field] = _form_value(value)
    return data


def _member_data(relation: str, member: Member | None) -> dict[str, Any]:
    values = member.model_dump(exclude={"relation"}) if member is not None else {}
    if relation in PARENT_RELATIONS and values.get("can_guard") is None:
        # An absent parent keeps the model's default: able to guard.
        values["can_guard"] = True
    return {f"{relation}-{field}": _form_value(value) for field, value in values.items()}


def _members(body: ChildIn) -> dict[str, Member | None]:
    members: dict[str, Member | None] = dict.fromkeys(FAMILY_RELATIONS)
    members.update(father=body.father, mother=body.mother, guardian=body.guardian)
    groups: tuple[tuple[str, Sequence[FamilyEntryIn | GrandparentIn] | None], ...] = (
        ("family", body.family),
        ("grandparents", body.grandparents),
    )
    for key, entries in groups:
        for index, entry in enumerate(entries or []):
            if members[entry.relation] is not None:
                raise FieldErrors.one(f"{key}.{index}.relation", _("同一家庭成员填写了两次"))
            members[entry.relation] = entry
    return members


def _errors(form: BaseForm, prefix: str = "") -> list[FieldError]:
    errors: list[FieldError] = []
    for field, messages in form.errors.items():
        if field == "__all__":
            name = prefix.rstrip(".") or "__all__"
        else:
            name = prefix + _JSON_NAMES.get(field, field)
        errors.extend({"field": name, "message": str(message)} for message in messages)
    return errors


def child_validate(body: ChildIn, *, user: User, request: HttpRequest | None = None) -> ValidChild:
    """Validate a new child file for the user, or raise ``FieldErrors``.

    A class the user may not edit is refused like one that does not exist; an ID number
    on file that the user may not see is refused, logged and counted as on the web form
    (``carenet.audit.refusals``).
    """
    members = _members(body)
    data = _child_data(body)
    for relation, member in members.items():
        data.update(_member_data(relation, member))
    form = ChildForm(
        data,
        classes=editable_classes(user),
        villages=selectable_villages(user),
        user=user,
        id_checks_allowed=id_checks_allowed(user=user),
        filing_villages=filing_villages(user),
    )
    model_choice(form, "school_class").to_field_name = "code"
    model_choice(form, "village").to_field_name = "code"
    family = family_forms(data)
    errors = _errors(form)
    if form.id_refused:
        id_refusal_record(request=request, user=user, details=[_("接口新建档案")])
    for relation, member_form in family.items():
        errors += _errors(member_form, prefix=f"{relation}.")
    if errors:
        raise FieldErrors(errors)
    return ValidChild(
        data=form.cleaned_data,
        family={relation: f.cleaned_data for relation, f in family.items()},
    )
