"""A child file's change history (from django-simple-history): with before/after values
(``child_revisions``, the audit page), or field names only (``child_changes``, the
child's timeline).

ID numbers and phones are masked unless the viewer may see them unmasked; the blind index
and bookkeeping columns are never shown.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, cast

from django.db import models
from django.utils.translation import gettext as _

from carenet.children.models import CODE_LIST_FIELDS, Child, FamilyMember, Relation, code_labels
from carenet.lib.phone import mask_id_number, mask_phone, mask_student_number
from carenet.orgs.models import Org

HIDDEN = {"id_number_hash", "county_code", "created_at", "updated_at", "child"}
MASKERS = {
    "id_number": mask_id_number,
    "student_number": mask_student_number,
    "phone": mask_phone,
    "employer_phone": mask_phone,
}


@dataclass(frozen=True)
class ValueChange:
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class Revision:
    when: dt.datetime
    who: Any
    subject: str
    kind: str  # "+" created, "~" changed, "-" deleted
    values: list[ValueChange] = field(default_factory=list)


def _display(model: type[models.Model], name: str, value: Any, unmasked: bool) -> str:
    if value is None or value == "":
        return "—"
    model_field = cast(models.Field, model._meta.get_field(name))  # a diff: concrete fields
    if name in MASKERS:
        return str(value) if unmasked else MASKERS[name](str(value))
    if model is Child and name in CODE_LIST_FIELDS:
        return "、".join(code_labels(CODE_LIST_FIELDS[name], str(value))) or "—"
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(model_field, models.BooleanField):
        return _("是") if value else _("否")
    if isinstance(model_field, models.ForeignKey) and model_field.related_model is Org:
        org = Org.objects.filter(pk=value).only("name").first()
        return org.name if org else str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _revisions(model: type[models.Model], records: list[Any], subject: str, unmasked: bool):
    """Revisions from history ``records`` (newest first, one extra to diff the last)."""
    result = []
    for index, record in enumerate(records):
        previous = records[index + 1] if index + 1 < len(records) else None
        if record.history_type == "+" or previous is None:
            if record.history_type != "+":
                continue
            result.append(Revision(record.history_date, record.history_user, subject, "+"))
            continue
        delta = record.diff_against(previous)
        values = [
            ValueChange(
                str(cast(models.Field, model._meta.get_field(change.field)).verbose_name),
                _display(model, change.field, change.old, unmasked),
                _display(model, change.field, change.new, unmasked),
            )
            for change in delta.changes
            if change.field not in HIDDEN
        ]
        if values or record.history_type == "-":
            result.append(
                Revision(
                    record.history_date, record.history_user, subject, record.history_type, values
                )
            )
    return result


def child_revisions(child: Child, *, unmasked: bool, limit: int = 50) -> list[Revision]:
    """The latest revisions of a child file and its family members, newest first."""
    records = list(
        child.history.select_related("history_user").order_by("-history_date", "-history_id")[
            : limit + 1
        ]
    )
    revisions = _revisions(Child, records, str(Child._meta.verbose_name), unmasked)
    for relation, label in Relation.choices:
        member_records = list(
            FamilyMember.history.filter(child_id=child.pk, relation=relation)
            .select_related("history_user")
            .order_by("-history_date", "-history_id")[: limit + 1]
        )
        revisions += _revisions(FamilyMember, member_records, str(label), unmasked)
    revisions.sort(key=lambda revision: revision.when, reverse=True)
    return revisions[:limit]


@dataclass(frozen=True)
class Change:
    """One entry of a file's change history: who changed which fields when."""

    when: dt.datetime
    who: Any  # a User or None (imports, scripts)
    subject: str  # "儿童" or the family member's relation
    created: bool
    fields: list[str] = field(default_factory=list)


def _changes_of(model: type[models.Model], records: list[Any], subject: str) -> list[Change]:
    """Changes from history ``records`` (newest first). The oldest record shown needs the
    one before it to diff against, so callers fetch one more than they show."""
    changes = []
    for index, record in enumerate(records):
        previous = records[index + 1] if index + 1 < len(records) else None
        if record.history_type == "+":
            changes.append(Change(record.history_date, record.history_user, subject, True))
            continue
        if previous is None:
            continue
        delta = record.diff_against(previous)
        names = [
            str(cast(models.Field, model._meta.get_field(name)).verbose_name)  # concrete fields
            for name in delta.changed_fields
        ]
        if names:
            changes.append(Change(record.history_date, record.history_user, subject, False, names))
    return changes


def child_changes(child: Child, limit: int = 20) -> list[Change]:
    """The latest changes to a child file and its family members, newest first.

    Only field names are listed, never values: the history must not unmask contacts.
    """
    records = list(child.history.select_related("history_user")[: limit + 1])
    changes = _changes_of(Child, records, str(Child._meta.verbose_name))
    for relation, label in Relation.choices:
        member_records = list(
            FamilyMember.history.filter(child_id=child.pk, relation=relation)
            .select_related("history_user")
            .order_by("-history_date", "-history_id")[: limit + 1]
        )
        changes += _changes_of(FamilyMember, member_records, str(label))
    changes.sort(key=lambda change: change.when, reverse=True)
    return changes[:limit]
