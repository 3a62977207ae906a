"""The reference writer: what the fast writer (``writer``) writes for a preview's plans,
written the obvious way, through the ORM.

One model instance saved at a time with ``save()``; django-simple-history makes each
history row itself (its ``post_save``), with the user and the change reason taken from
the instance (``_history_user``, ``_change_reason``); the units of the kept indicator
counts are bumped by the database's triggers, row by row, as for any other write.

It is the specification the fast path is held to (``tests/test_import_reference.py``
imports the same register both ways and compares the databases field by field), not a
way to import a county's register: clarity over speed. ``import_commit(writer="reference")``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.contrib.auth.models import User

from carenet.children.models import AwayPeriod, Child, FamilyMember
from carenet.exchange.importer.validate import RowPlan
from carenet.lib.crypto import blind_index
from carenet.lib.names import name_pinyin
from carenet.orgs.models import Org, OrgKind


def write_plans(
    plans: list[RowPlan],
    *,
    school: Org,
    classes: dict[tuple[str, str], int],
    user: User | None,
    reason: str,
    derived_start: dt.date,
    progress: Callable[[int, int], None] | None = None,
) -> None:
    """Write a preview's good rows: the new children (``plans`` without ``existing``) with
    their family members and away periods, then the changes to the children on file.

    ``classes`` maps each plan's (grade, class) to its class org (``commit.classes_for``);
    ``derived_start`` is when the parents the 留守类型 says are away left
    (``validate.derived_away_start``)."""
    new = [p for p in plans if p.existing is None]
    on_file = [p for p in plans if p.existing is not None]
    for done, plan in enumerate(new + on_file, start=1):
        if plan.existing is None:
            _create(plan, school, classes, user, reason, derived_start)
        else:
            _change(plan, classes, user, reason)
        if progress:
            progress(done, len(plans))


def _create(
    plan: RowPlan,
    school: Org,
    classes: dict[tuple[str, str], int],
    user: User | None,
    reason: str,
    derived_start: dt.date,
) -> None:
    """A new child with the family members and away periods the row states."""
    child = Child(**plan.child_values)
    child.county_code = school.county_code
    if school.kind == OrgKind.VILLAGE:  # filed under the village: no school, no class
        child.school, child.school_class = None, None
    else:
        child.school = school
        assert plan.place is not None  # a school's register names the class
        child.school_class_id = classes[plan.place]
    # As ``children.services.child_save`` does: the model computes neither on save.
    child.id_number_hash = blind_index(child.id_number)
    child.name_pinyin, child.name_initials = name_pinyin(child.name)
    _save_with_history(child, user, reason)
    for relation, stated in plan.family.items():
        member = FamilyMember(child=child, relation=relation, county_code=child.county_code)
        _set_member_fields(member, stated)
        _save_with_history(member, user, reason)
    for relation, start in plan.away.items():
        AwayPeriod.objects.create(
            child=child, relation=relation, county_code=child.county_code, start=start
        )
    for relation in sorted(plan.derived_away):  # away, says the 留守类型, since when unsaid
        AwayPeriod.objects.create(
            child=child, relation=relation, county_code=child.county_code, start=derived_start
        )


def _change(
    plan: RowPlan,
    classes: dict[tuple[str, str], int],
    user: User | None,
    reason: str,
) -> None:
    """What changes for a child on file (``matching.plan_changes``): the child's changed
    fields, new or changed family members, new or moved away periods."""
    assert plan.existing is not None
    assert plan.family_changes is not None and plan.away_ops is not None
    child_id, county_code = plan.existing.pk, plan.existing.county_code
    if plan.child_changes:
        child = Child.objects.get(pk=child_id)
        for field, value in plan.child_changes.items():
            if field == "school_class":
                child.school_class_id = classes[value]
            else:
                setattr(child, field, value)
        child.name_pinyin, child.name_initials = name_pinyin(child.name)
        _save_with_history(child, user, reason)
    for relation, values in plan.family_changes.items():
        member = FamilyMember.objects.filter(child_id=child_id, relation=relation).first()
        if member is None:
            member = FamilyMember(child_id=child_id, relation=relation, county_code=county_code)
        _set_member_fields(member, values)
        _save_with_history(member, user, reason)
    for relation, start, period in plan.away_ops:
        if period is None:  # none yet, or the last one ended before this start
            AwayPeriod.objects.create(
                child_id=child_id, relation=relation, county_code=county_code, start=start
            )
        else:  # the open period, moved to the start the register gives
            moved = AwayPeriod.objects.get(pk=period.pk)
            moved.start = start
            moved.save()


def _set_member_fields(member: FamilyMember, values: dict[str, object]) -> None:
    for field, value in values.items():
        setattr(member, field, value)
    member.id_number_hash = blind_index(member.id_number or "")


def _save_with_history(obj: Child | FamilyMember, user: User | None, reason: str) -> None:
    """``obj.save()``; django-simple-history's ``post_save`` writes its history row ('+'
    for a new object, '~' for a changed one) with this user and change reason."""
    obj._history_user = user
    obj._change_reason = reason
    obj.save()
