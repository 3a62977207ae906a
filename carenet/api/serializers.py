"""Child files and orgs as the API answers them (see ``schemas`` for the shapes).

``school`` and ``class`` are org codes, not names: names repeat (every school has an
一(1)班) and codes are what the other endpoints take (``?school=CODE``, ``"class": CODE``).
ID numbers, student numbers and phones are masked unless the caller may see contacts
(``Permission.SEE_CONTACTS``).
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from carenet.alerts.selectors import risk_reasons
from carenet.care.selectors import care_unit, plan_in_force, tasks_for
from carenet.children.models import (
    GRANDPARENT_RELATIONS,
    PARENT_RELATIONS,
    Child,
    FamilyMember,
    LeftBehindType,
    Relation,
)
from carenet.children.selectors import ChildLeftBehind, children_with_ids
from carenet.children.services import latest_away_period
from carenet.lib.names import user_name
from carenet.lib.phone import mask_id_number, mask_phone, mask_student_number
from carenet.orgs.models import Org

PARENTS = PARENT_RELATIONS


def org_item(org: Org, parent_code: str | None) -> dict[str, Any]:
    return {"code": org.code, "name": org.name, "kind": org.kind, "parent": parent_code}


def _mentor_name(child: Child) -> str | None:
    pairings = getattr(child, "active_mentor_pairings", None)
    if pairings is None:
        raise ValueError("child_item needs the active mentor pairings prefetched")
    for pairing in pairings:
        if pairing.mentor is not None:
            return user_name(pairing.mentor)
    return None


def child_item(child: ChildLeftBehind) -> dict[str, Any]:
    """A row of the children list, from a child of ``selectors.child_list``."""
    return {
        "id": child.pk,
        "name": child.name,
        "gender": child.gender,
        "birth_date": child.birth_date,
        "school": child.school.code if child.school is not None else None,
        "class": child.school_class.code if child.school_class is not None else None,
        "left_behind": child.left_behind_type != LeftBehindType.NONE,
        "left_behind_type": child.left_behind_type,
        "risk_level": child.risk_level,
        "mentor": _mentor_name(child),
    }


class _Masker:
    def __init__(self, unmasked: bool) -> None:
        self.unmasked = unmasked

    def phone(self, value: str) -> str:
        return value if self.unmasked else mask_phone(value)

    def id_number(self, value: str) -> str:
        return value if self.unmasked else mask_id_number(value)

    def student_number(self, value: str) -> str:
        return value if self.unmasked else mask_student_number(value)


def _parent(child: Child, member: FamilyMember, mask: _Masker) -> dict[str, Any]:
    period = latest_away_period(child, member.relation)
    return {
        "relation": member.relation,
        "name": member.name,
        "id_number": mask.id_number(member.id_number),
        "birth_date": member.birth_date,
        "phone": mask.phone(member.phone),
        "work_province": member.work_province,
        "work_city": member.work_city,
        "employer": member.employer,
        "employer_phone": mask.phone(member.employer_phone),
        "can_guard": member.can_guard,
        "away_since": period.start if period else None,
        "back_since": period.end if period else None,
    }


def _guardian(member: FamilyMember, mask: _Masker) -> dict[str, Any]:
    return {
        "name": member.name,
        "kinship": member.kinship,
        "age": member.age,
        "id_number": mask.id_number(member.id_number),
        "phone": mask.phone(member.phone),
        "health": member.health,
        "education": member.education,
        "occupation": member.occupation,
        "address": member.address,
        "guardianship_quality": member.guardianship_quality,
    }


def _grandparent(member: FamilyMember, mask: _Masker) -> dict[str, Any]:
    return {
        "relation": member.relation,
        "name": member.name,
        "birth_date": member.birth_date,
        "phone": mask.phone(member.phone),
        "health": member.health,
    }


def child_detail(child: ChildLeftBehind, *, contacts_visible: bool) -> dict[str, Any]:
    """The child file, from a child of ``selectors.child_file``.

    ``family`` lists the parents (father first) with their latest away period;
    ``grandparents`` the grandparents on file (祖父, 祖母, 外祖父, 外祖母, in that order);
    ``contacts`` lists whom to call — parents and guardian who have a phone. The
    registers' multiple choices (``income_sources`` …) are lists of codes.
    """
    mask = _Masker(contacts_visible)
    members = {m.relation: m for m in child.family.all()}
    guardian = members.get(Relation.GUARDIAN)
    contacts = [
        {"relation": m.relation, "name": m.name, "phone": mask.phone(m.phone)}
        for m in (members.get(r) for r in (*PARENTS, Relation.GUARDIAN))
        if m is not None and m.phone
    ]
    return {
        **child_item(child),
        "id_number": mask.id_number(child.id_number),
        "ethnicity": child.ethnicity,
        "student_number": mask.student_number(child.student_number),
        "boarding": child.boarding,
        "registered_residence": child.registered_residence,
        "rural_hukou": child.rural_hukou,
        "hukou_registered": child.hukou_registered,
        "migrant_child": child.migrant_child,
        "village": child.village.code if child.village else None,
        "residence_group": child.residence_group,
        "residence_address": child.residence_address,
        "health": child.health,
        "health_notes": child.health_notes,
        "disability": child.disability,
        "schooling": child.schooling,
        "stage": child.stage,
        "immunization": child.immunization,
        "interests": child.interests,
        "personality": child.personality,
        "categories": child.category_list,
        "guardian_entrusted": child.guardian_entrusted,
        "orphan": child.orphan,
        "needs_aid": child.needs_aid,
        "income_sources": child.income_source_list,
        "assistance": child.assistance_list,
        "distress_kinds": child.distress_kind_list,
        "notes": child.notes,
        "status": child.status,
        "civil_left_behind": child.civil_left_behind,
        "family": [_parent(child, members[r], mask) for r in PARENTS if r in members],
        "guardian": _guardian(guardian, mask) if guardian else None,
        "grandparents": [
            _grandparent(members[r], mask) for r in GRANDPARENT_RELATIONS if r in members
        ],
        "care_plan": care_plan_item(child),
        "contacts": contacts,
        "risk_reasons": [str(reason.text) for reason in risk_reasons(child)],
    }


def care_plan_item(child: Child) -> dict[str, Any]:
    """The care plan in force at the child's school and the child's next task of each kind
    (empty for a child who is not in care, e.g. not left-behind)."""
    today = timezone.localdate()
    unit = care_unit(child)
    assert unit is not None  # a child is filed under a school or a village
    plan = plan_in_force(unit, today)
    tasks = tasks_for(children_with_ids([child.pk]), as_of=today)
    return {
        "name": plan.name,
        "school_year": plan.school_year,
        "org": plan.org.code,
        "preset": plan.preset,
        "frequencies": dict(plan.frequencies),
        "mentor_min": plan.mentor_min,
        "mentor_max": plan.mentor_max,
        "next_due": [{"kind": t.kind, "due_date": t.due_date, "overdue": t.overdue} for t in tasks],
    }
