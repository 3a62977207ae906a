"""A child leaving the roll (``child_leave``) and coming back (``child_leave_undo``): the
file and its history stay, pairings end, and from that day no task and no figure counts
the child."""

import datetime as dt

import pytest

from carenet.care.selectors import care_children, tasks_for
from carenet.children.models import (
    Child,
    ChildStatus,
    LeaveReason,
    Pairing,
    PairingKind,
    Schooling,
)
from carenet.children.services import child_leave, child_leave_undo, pairing_start
from carenet.indicators.kept import valid_units
from carenet.indicators.models import SchoolFigures
from carenet.indicators.selectors import indicators_for
from tests.test_indicators_speed import _figures, _from_scratch

pytestmark = pytest.mark.django_db

ON = dt.date(2026, 9, 1)
AS_OF = dt.date(2026, 11, 16)


def test_a_child_who_graduates_leaves_the_roll_with_the_history_kept(world):
    child = world.mentee
    admin = world.user("county_admin")
    child_leave(child=child, on=ON, reason=LeaveReason.GRADUATED, actor=admin)
    child.refresh_from_db()
    assert child.status == ChildStatus.LEFT
    assert (child.left_on, child.left_reason) == (ON, LeaveReason.GRADUATED)
    assert child.schooling == Schooling.GRADUATED
    latest = child.history.order_by("-history_date", "-history_id").first()
    assert latest.status == ChildStatus.LEFT and latest.history_user == admin
    assert latest.history_change_reason == "毕业"


@pytest.mark.parametrize(
    ("reason", "schooling"),
    [
        (LeaveReason.TRANSFERRED_OUT, Schooling.TRANSFERRED),
        (LeaveReason.MOVED_AWAY, Schooling.TRANSFERRED),
        (LeaveReason.DIED, Schooling.ENROLLED),
        (LeaveReason.OTHER, Schooling.ENROLLED),
    ],
)
def test_the_reason_decides_the_schooling_where_it_applies(world, reason, schooling):
    child_leave(child=world.school_child, on=ON, reason=reason, actor=None)
    world.school_child.refresh_from_db()
    assert world.school_child.schooling == schooling


def test_every_pairing_in_force_ends_that_day_with_the_reason(world):
    mentee = world.mentee
    pairing_start(child=world.school_child, kind=PairingKind.BUDDY, buddy=mentee, on=ON)
    child_leave(child=mentee, on=dt.date(2026, 10, 8), reason=LeaveReason.MOVED_AWAY, actor=None)
    ended = Pairing.objects.filter(ended_on=dt.date(2026, 10, 8), end_reason="迁出")
    assert set(ended.values_list("child_id", "kind")) == {
        (mentee.pk, PairingKind.MENTOR),
        (world.school_child.pk, PairingKind.BUDDY),  # the mentee was this child's buddy
    }
    assert not Pairing.objects.filter(ended_on__isnull=True).exists()


def test_a_child_not_on_the_roll_cannot_leave_again(world):
    child_leave(child=world.mentee, on=ON, reason=LeaveReason.OTHER, actor=None)
    with pytest.raises(ValueError):
        child_leave(child=world.mentee, on=ON, reason=LeaveReason.OTHER, actor=None)


def test_an_unknown_reason_is_refused(world):
    with pytest.raises(ValueError):
        child_leave(child=world.mentee, on=ON, reason="eloped", actor=None)
    world.mentee.refresh_from_db()
    assert world.mentee.status == ChildStatus.ACTIVE


def test_undo_puts_the_child_and_the_pairings_back(world):
    child = world.mentee
    before = Child.objects.filter(pk=child.pk).values().get()
    pairings = list(Pairing.objects.order_by("pk").values())
    child_leave(child=child, on=ON, reason=LeaveReason.GRADUATED, actor=None)
    child_leave_undo(child=child, actor=world.user("county_admin"))
    after = Child.objects.filter(pk=child.pk).values().get()
    for key in ("status", "left_on", "left_reason", "schooling", "archived_on", "school_id"):
        assert after[key] == before[key], key
    assert list(Pairing.objects.order_by("pk").values()) == pairings


def test_undo_of_a_child_on_the_roll_is_refused(world):
    with pytest.raises(ValueError):
        child_leave_undo(child=world.mentee, actor=None)


def test_a_child_who_left_has_no_tasks(world):
    child_leave(child=world.own_child, on=ON, reason=LeaveReason.TRANSFERRED_OUT, actor=None)
    children = Child.objects.filter(school=world.school)
    assert world.own_child not in care_children(children, AS_OF)
    assert all(t.child.pk != world.own_child.pk for t in tasks_for(children, as_of=AS_OF))
    assert any(t.child.pk == world.mentee.pk for t in tasks_for(children, as_of=AS_OF))


def test_a_child_who_left_counts_in_no_denominator_and_kept_counts_follow(world):
    before = _figures(world.school)  # kept now
    assert valid_units(SchoolFigures, [world.school.pk], as_of=AS_OF) == {world.school.pk}
    child_leave(child=world.own_child, on=ON, reason=LeaveReason.MOVED_AWAY, actor=None)
    assert not valid_units(SchoolFigures, [world.school.pk], as_of=AS_OF)  # the trigger
    after = _figures(world.school)
    assert after["filing_rate"][1] == before["filing_rate"][1] - 1
    assert after == _from_scratch(world.school, AS_OF)
    assert _figures(world.county) == _from_scratch(world.county, AS_OF)
    shown = {
        i.key: i.denominator
        for i in indicators_for(world.school, as_of=AS_OF, children=Child.objects.all())
    }
    assert shown["mentor_coverage"] == before["mentor_coverage"][1] - 1
