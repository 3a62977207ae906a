"""Pairing services: auto-assign, hand assign, handover, buddies."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import translation

from carenet.children.models import Pairing, PairingKind
from carenet.orgs.models import Membership, Org, OrgKind, Role
from carenet.pairing import selectors, services
from carenet.pairing.selectors import MENTOR_CAPACITY_DEFAULT, mentor_loads, unpaired_left_behind
from tests.factories import child_add, org_add, user_add

TODAY = dt.date(2026, 3, 2)


@pytest.fixture(autouse=True)
def _chinese():
    """Services speak the active language; these tests read their Chinese."""
    with translation.override(settings.LANGUAGE_CODE):
        yield


AWAY = dt.date(2025, 2, 1)


def _teacher(world, name, *orgs):
    user = user_add(name, Role.TEACHER, world.school)
    for org in orgs:
        Membership.objects.create(user=user, org=org, role=Role.TEACHER)
    return user


def _left_behind(school_class, n, prefix="留守"):
    return [
        child_add(school_class, name=f"{prefix}{i}", father_away=AWAY, mother_away=AWAY)
        for i in range(n)
    ]


def _mentor_of(child):
    pairing = Pairing.objects.filter(
        child=child, kind=PairingKind.MENTOR, ended_on__isnull=True
    ).first()
    return pairing.mentor if pairing else None


def _active_count(user):
    return Pairing.objects.filter(
        mentor=user, kind=PairingKind.MENTOR, ended_on__isnull=True
    ).count()


class TestAutoAssign:
    def test_it_prefers_the_childs_class_teacher(self, world):
        teacher = world.user("teacher")  # class teacher of class_1, mentor of one child
        _teacher(world, "idle")  # school staff with no load at all
        result = services.pairing_auto_assign(actor=None, school=world.school, on=TODAY)
        assert [a.child for a in result.assigned] == [world.own_child]
        assert _mentor_of(world.own_child) == teacher
        assert result.assigned[0].why == "班主任"
        assert result.unassigned == []

    def test_it_prefers_teachers_of_the_same_grade_next(self, world):
        grade_2 = Org.objects.get(code="3434000001-G2")
        grade_teacher = _teacher(world, "grade_teacher", grade_2)
        _teacher(world, "other")
        world.mentee.pairings.update(ended_on=TODAY, end_reason="test")
        services.pairing_auto_assign(actor=None, school=world.school, on=TODAY)
        assert _mentor_of(world.mentee) == grade_teacher

    def test_it_fills_the_least_loaded_first_and_never_exceeds_capacity(self, world):
        _left_behind(world.class_1, 10)
        a = _teacher(world, "a")
        b = _teacher(world, "b")
        result = services.pairing_auto_assign(actor=None, school=world.school, on=TODAY)
        loads = {u.username: n for u, n in mentor_loads(world.school).items()}
        # 11 unpaired: the class teacher (already 1) fills to 7, then a and b share the rest;
        # the principal (who may mentor) comes after every teacher.
        assert loads == {"teacher": 7, "a": 3, "b": 2, "principal": 0}
        assert len(result.assigned) == 11 and result.unassigned == []
        assert all(n <= MENTOR_CAPACITY_DEFAULT for n in loads.values())
        assert _active_count(a) + _active_count(b) == 5

    def test_it_balances_among_teachers_of_one_tier(self, world):
        _left_behind(world.class_2, 6)
        x = _teacher(world, "x")
        y = _teacher(world, "y")
        z = _teacher(world, "z")
        world.mentee.pairings.update(ended_on=TODAY, end_reason="test")
        Membership.objects.filter(user=world.user("teacher")).delete()
        services.pairing_auto_assign(actor=None, school=world.school, on=TODAY)
        # 8 children (6 new, own_child, mentee) over three idle teachers: 3, 3, 2.
        assert sorted(_active_count(u) for u in (x, y, z)) == [2, 3, 3]

    def test_it_explains_who_stays_unassigned_when_all_are_full(self, world):
        _left_behind(world.class_1, 15)  # with own_child 16: the teacher takes 6, the principal 7
        result = services.pairing_auto_assign(actor=None, school=world.school, on=TODAY)
        assert _active_count(world.user("teacher")) == MENTOR_CAPACITY_DEFAULT
        assert _active_count(world.user("principal")) == MENTOR_CAPACITY_DEFAULT
        assert len(result.assigned) == 13
        assert len(result.unassigned) == 3
        assert {u.reason for u in result.unassigned} == {"全校教师的结对名额已满（每人最多7名）"}
        assert unpaired_left_behind(world.school, TODAY).count() == 3

    def test_a_school_without_teachers_gets_the_no_teacher_reason(self, world):
        school = org_add(world.township, code="3434000009", name="空小学", kind=OrgKind.SCHOOL)
        grade = org_add(school, code="3434000009-G1", name="一年级", kind=OrgKind.GRADE)
        klass = org_add(grade, code="3434000009-G1-1", name="一(1)班", kind=OrgKind.CLASS)
        child_add(klass, name="孤单", father_away=AWAY)
        result = services.pairing_auto_assign(actor=None, school=school, on=TODAY)
        assert [(u.child.name, u.reason) for u in result.unassigned] == [("孤单", "本校没有教师")]

    def test_it_leaves_children_who_are_not_left_behind_alone(self, world):
        services.pairing_auto_assign(actor=None, school=world.school, on=TODAY)
        assert _mentor_of(world.school_child) is None

    def test_it_is_deterministic_and_runs_in_a_handful_of_queries(
        self, world, django_assert_max_num_queries
    ):
        _left_behind(world.class_1, 4)
        _left_behind(world.class_2, 4, prefix="二班")
        _teacher(world, "a")
        _teacher(world, "b", world.class_2)
        with django_assert_max_num_queries(8):
            first = services.pairing_auto_assign(actor=None, school=world.school, on=TODAY)
        plan = [(a.child.pk, a.mentor.pk) for a in first.assigned]
        Pairing.objects.filter(started_on=TODAY).delete()
        again = services.pairing_auto_assign(actor=None, school=world.school, on=TODAY)
        assert [(a.child.pk, a.mentor.pk) for a in again.assigned] == plan

    def test_a_second_run_changes_nothing(self, world):
        services.pairing_auto_assign(actor=None, school=world.school, on=TODAY)
        count = Pairing.objects.count()
        result = services.pairing_auto_assign(actor=None, school=world.school, on=TODAY)
        assert result.assigned == [] and result.unassigned == []
        assert Pairing.objects.count() == count


class TestAssign:
    def test_it_pairs_a_teacher_of_the_school_and_ends_the_previous_mentor(self, world):
        other = _teacher(world, "other")
        services.pairing_assign(actor=None, child=world.mentee, mentor=other, on=TODAY)
        assert _mentor_of(world.mentee) == other
        old = Pairing.objects.get(child=world.mentee, mentor=world.user("teacher"))
        assert old.ended_on == TODAY

    def test_it_refuses_a_teacher_of_another_school(self, world):
        with pytest.raises(ValidationError, match="不是华阳小学可担任代理家长的教职工"):
            services.pairing_assign(
                actor=None, child=world.own_child, mentor=world.user("stranger_teacher"), on=TODAY
            )
        assert _mentor_of(world.own_child) is None

    def test_it_pairs_the_principal_who_may_mentor_by_the_access_table(self, world):
        services.pairing_assign(
            actor=None, child=world.own_child, mentor=world.user("principal"), on=TODAY
        )
        assert _mentor_of(world.own_child) == world.user("principal")

    @pytest.mark.parametrize("name", ("village_director", "county_admin"))
    def test_it_refuses_staff_the_table_does_not_let_mentor(self, world, name):
        with pytest.raises(ValidationError, match="可担任代理家长"):
            services.pairing_assign(
                actor=None, child=world.own_child, mentor=world.user(name), on=TODAY
            )

    def test_auto_pairing_gives_the_leaders_children_only_when_the_teachers_are_full(self, world):
        Membership.objects.filter(user=world.user("teacher")).delete()
        world.mentee.pairings.update(ended_on=TODAY, end_reason="test")
        result = services.pairing_auto_assign(actor=None, school=world.school, on=TODAY)
        assert {a.mentor for a in result.assigned} == {world.user("principal")}
        assert {a.why for a in result.assigned} == {"本校其他教职工"}

    def test_it_refuses_beyond_capacity_in_chinese_and_changes_nothing(self, world):
        teacher = world.user("teacher")
        for child in _left_behind(world.class_1, 6):
            services.pairing_assign(actor=None, child=child, mentor=teacher, on=TODAY)
        before = Pairing.objects.count()
        with pytest.raises(ValidationError, match="超过每人最多 7 名的上限"):
            services.pairing_assign(actor=None, child=world.own_child, mentor=teacher, on=TODAY)
        assert Pairing.objects.count() == before
        assert _mentor_of(world.own_child) is None


class TestHandover:
    def test_it_moves_every_mentee_and_keeps_the_history(self, world):
        teacher, heir = world.user("teacher"), _teacher(world, "heir")
        services.pairing_assign(actor=None, child=world.own_child, mentor=teacher, on=TODAY)
        later = TODAY + dt.timedelta(days=30)
        moved = services.pairing_handover(
            actor=None,
            from_mentor=teacher,
            to_mentor=heir,
            school=world.school,
            on=later,
            reason="调离本校",
        )
        assert {p.child for p in moved} == {world.own_child, world.mentee}
        assert _active_count(teacher) == 0 and _active_count(heir) == 2
        ended = Pairing.objects.filter(mentor=teacher)
        assert {(p.ended_on, p.end_reason) for p in ended} == {(later, "调离本校")}
        assert world.mentee.pairings.count() == 2

    def test_it_refuses_all_when_the_receiver_lacks_places(self, world):
        teacher, heir = world.user("teacher"), _teacher(world, "heir")
        for child in _left_behind(world.class_1, 7):
            services.pairing_assign(actor=None, child=child, mentor=heir, on=TODAY)
        with pytest.raises(ValidationError, match="超过每人最多 7 名的上限"):
            services.pairing_handover(
                actor=None,
                from_mentor=teacher,
                to_mentor=heir,
                school=world.school,
                on=TODAY,
                reason="",
            )
        assert _mentor_of(world.mentee) == teacher
        assert Pairing.objects.filter(ended_on__isnull=False).count() == 0

    def test_it_refuses_a_receiver_from_another_school(self, world):
        with pytest.raises(ValidationError):
            services.pairing_handover(
                actor=None,
                from_mentor=world.user("teacher"),
                to_mentor=world.user("stranger_teacher"),
                school=world.school,
                on=TODAY,
                reason="",
            )
        assert _mentor_of(world.mentee) == world.user("teacher")


class TestBuddy:
    def test_a_schoolmate_becomes_the_buddy(self, world):
        pairing = services.buddy_assign(
            actor=None, child=world.own_child, buddy=world.school_child, on=TODAY
        )
        assert pairing.kind == PairingKind.BUDDY and pairing.buddy_name == "李明"

    def test_a_child_of_another_school_or_the_child_itself_is_refused(self, world):
        with pytest.raises(ValidationError):
            services.buddy_assign(actor=None, child=world.own_child, buddy=world.outsider, on=TODAY)
        with pytest.raises(ValidationError):
            services.buddy_assign(
                actor=None, child=world.own_child, buddy=world.own_child, on=TODAY
            )


def test_mentor_capacity_is_the_default_until_plans_say_otherwise(world):
    assert selectors.mentor_capacity(world.school) == MENTOR_CAPACITY_DEFAULT == 7


def test_the_pair_auto_command_pairs_a_school_and_reports(world):
    out = StringIO()
    call_command("pair_auto", "--school", world.school.code, "--date", "2026-03-02", stdout=out)
    assert "1 paired, 0 left unpaired" in out.getvalue()
    assert _mentor_of(world.own_child) == world.user("teacher")
    assert Pairing.objects.get(child=world.own_child).started_on == TODAY
