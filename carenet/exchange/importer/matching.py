"""Matching good rows with the children on file: what would really change, and the
rows refused (another school's child, an ID number the user may not see)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import connection
from django.utils.translation import gettext as _

from carenet.children.access import visible_children
from carenet.children.forms import ID_REFUSED
from carenet.children.models import AwayPeriod, Child, FamilyMember
from carenet.exchange.importer.leftbehind import counted_as
from carenet.exchange.importer.results import CellError, RowResult
from carenet.exchange.importer.validate import ADD_CATEGORY, RowPlan, Validator
from carenet.orgs.models import Org, OrgKind
from carenet.orgs.placement import placement
from carenet.orgs.selectors import AnyUser

_COMPARED_CHILD_FIELDS = (
    "name",
    "gender",
    "birth_date",
    "id_number",
    "ethnicity",
    "student_number",
    "boarding",
    "registered_residence",
    "village_id",
    "residence_group",
    "residence_address",
    "health",
    "health_notes",
    "disability",
    "schooling",
    "immunization",
    "interests",
    "personality",
    "categories",
    "notes",
    "guardian_entrusted",
    "rural_hukou",
    "hukou_registered",
    "stage",
    "migrant_child",
    "orphan",
    "needs_aid",
    "income_sources",
    "assistance",
    "distress_kinds",
)


def chunks_of(items: list, size: int = 500) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def plan_changes(
    results: list[RowResult], school: Org, validator: Validator, user: AnyUser | None
) -> list[int]:
    """Match good rows to children on file and work out what would really change. The
    rows refused for an ID number the user may not see (see ``import_preview``)."""
    good = [r for r in results if r.plan is not None]
    existing: dict[str, Child] = {}
    # As few queries as the backend's parameter limit allows (999 on SQLite).
    size = min(5000, (connection.features.max_query_params or 5001) - 1)
    for chunk in chunks_of([r.plan.id_hash for r in good if r.plan is not None], size):
        for child in Child.objects.filter(id_number_hash__in=chunk):
            existing[child.id_number_hash] = child
    ids = [c.pk for c in existing.values()]
    members: dict[tuple[int, str], FamilyMember] = {}
    latest: dict[tuple[int, str], AwayPeriod] = {}
    periods: dict[int, list[AwayPeriod]] = {}
    for chunk in chunks_of(ids, size):
        for member in FamilyMember.objects.filter(child_id__in=chunk):
            members[(member.child_id, member.relation)] = member
        for period in AwayPeriod.objects.filter(child_id__in=chunk).order_by("start"):
            latest[(period.child_id, period.relation)] = period
            periods.setdefault(period.child_id, []).append(period)
    classes = existing_classes(school)
    into_village = school.kind == OrgKind.VILLAGE
    # Files the user may not see: at another school, or (a village's register) anywhere.
    # A child filed under a village joins the school whose register names them. The command
    # line (no user) may update any child's residence from a village's register.
    elsewhere = [
        c.pk
        for c in existing.values()
        if (c.school_id is not None and c.school_id != school.pk) or into_village
    ]
    seen_elsewhere: set[int] = set()
    if user is not None:
        for chunk in chunks_of(elsewhere, size):
            visible = visible_children(user).filter(pk__in=chunk).values_list("pk", flat=True)
            seen_elsewhere.update(visible)
    refused: list[int] = []
    for result in good:
        plan = result.plan
        assert plan is not None  # a good row
        child = existing.get(plan.id_hash)
        if validator.distress:
            _add_category(plan, child)
        if (
            into_village
            and user is not None
            and child is not None
            and child.pk not in seen_elsewhere
        ):
            result.action, result.plan = "reject", None
            refused.append(result.row)
            result.errors.append(
                CellError("id_number", validator.column("id_number"), str(ID_REFUSED))
            )
            continue
        if into_village:
            plan.place = None  # filed under the village: no class
            plan.child_values["village_id"] = school.pk
            if child is not None and child.school_id is not None:
                # At a school: the school keeps the file; only the residence is news.
                plan.child_values = {
                    f: v for f, v in plan.child_values.items() if f in _RESIDENCE_FIELDS
                }
                plan.family, plan.away, plan.derived_away = {}, {}, set()
                plan.derived_rules, plan.stated_rule = None, "none"
        if child is None:
            if plan.place is None and not into_village:
                result.action, result.plan = "reject", None
                result.errors.append(
                    CellError(
                        "class",
                        validator.column("class"),
                        _("新建档的儿童必须填写班级（村（社区）登记的花名册请导入到所在村）"),
                    )
                )
                continue
            planned: list[tuple[str, dt.date, dt.date | None]]
            planned = [(r, start, None) for r, start in plan.away.items()]
            planned += [(r, validator.derived_start, None) for r in plan.derived_away]
            plan.counted = count(plan, planned, validator)
            continue
        if not into_village and child.school_id is None:
            # Filed under a village (not at a school): the school's register enrolls them.
            if plan.place is None:
                result.action, result.plan = "reject", None
                result.errors.append(
                    CellError("class", validator.column("class"), _("新入校的儿童必须填写班级"))
                )
                continue
        elif not into_village and child.school_id != school.pk:
            result.action = "reject"
            result.plan = None
            if child.pk in seen_elsewhere:
                message = _("该身份证号已在其他学校建档，请原学校先办理转出后再导入")
            else:
                message = str(ID_REFUSED)
                refused.append(result.row)
            result.errors.append(CellError("id_number", validator.column("id_number"), message))
            continue
        plan.existing = child
        plan.family_changes, plan.away_ops = {}, []
        plan.child_changes = {
            f: v
            for f, v in plan.child_values.items()
            if f in _COMPARED_CHILD_FIELDS and getattr(child, f) != v
        }
        if plan.place is not None:
            class_id = classes.get(plan.place)
            if class_id is None or class_id != child.school_class_id:
                plan.child_changes["school_class"] = plan.place
            if child.school_id is None:
                plan.child_changes["school_id"] = school.pk
        for relation, values in plan.family.items():
            member = members.get((child.pk, relation))
            if member is None:
                plan.family_changes[relation] = dict(values)
            else:
                changed = {f: v for f, v in values.items() if getattr(member, f) != v}
                if changed:
                    plan.family_changes[relation] = changed
        for relation in ("father", "mother"):
            period = latest.get((child.pk, relation))
            start = plan.away.get(relation)
            if start is None:
                if relation in plan.derived_away and (period is None or period.end is not None):
                    plan.away_ops.append((relation, validator.derived_start, None))
                continue
            if period is None or (period.end is not None and start >= period.end):
                plan.away_ops.append((relation, start, None))
            elif period.start != start:
                plan.away_ops.append((relation, start, period))
        plan.counted = count(plan, periods_after(periods.get(child.pk, []), plan), validator)
        plan.away, plan.derived_away = {}, set()
        if plan.child_changes or plan.family_changes or plan.away_ops:
            result.action = "update"
        else:
            result.action = "unchanged"
    return refused


def periods_after(
    on_file: list[AwayPeriod], plan: RowPlan
) -> list[tuple[str, dt.date, dt.date | None]]:
    """A child's away periods (relation, start, end) once ``plan.away_ops`` are written."""
    ops = plan.away_ops or []
    moved = {period.pk: start for _r, start, period in ops if period is not None}
    after = [(p.relation, moved.get(p.pk, p.start), p.end) for p in on_file]
    after += [(r, start, None) for r, start, period in ops if period is None]
    return after


def count(
    plan: RowPlan, periods: list[tuple[str, dt.date, dt.date | None]], validator: Validator
) -> tuple[str, str]:
    """What the child of ``plan`` will count as, with its away periods as ``periods``."""
    return counted_as(
        periods,
        plan.away,
        plan.derived_rules,
        plan.stated_rule,
        validator.today,
        validator.away_cutoff,
    )


def _add_category(plan: RowPlan, child: Child | None) -> None:
    """A 困境类型 makes the child a 困境儿童: the category is added to those the row states
    (特殊类别), or else to those the child has on file."""
    category = plan.child_values.pop(ADD_CATEGORY, None)
    if category is None:
        return
    if "categories" in plan.child_values:
        stated = plan.child_values["categories"]
    else:
        stated = child.categories if child is not None else ""
    if f",{category}," not in stated:
        stated = (stated or ",") + category + ","
    plan.child_values["categories"] = stated


# What a village's register changes of a child at a school (``plan_changes``).
_RESIDENCE_FIELDS = ("village_id", "residence_group", "residence_address")


def existing_classes(school: Org) -> dict[tuple[str, str], int]:
    grades = {
        g.path: g.name for g in Org.objects.filter(path__startswith=school.path, kind="grade")
    }
    classes: dict[tuple[str, str], int] = {}
    for org in Org.objects.filter(path__startswith=school.path, kind=OrgKind.CLASS):
        grade = grades.get(org.path[: -Org.steplen])
        if grade is not None:
            classes.setdefault((grade, org.name), org.pk)
            parsed = placement(grade, org.name)
            if parsed is not None:
                classes.setdefault(parsed, org.pk)
    return classes
