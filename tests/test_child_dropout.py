"""辍学 and 复学, and 死亡: a dropout puts a 劝返 duty in the working lists of the class
teacher, the mentor and the village director (due at once, then weekly until the child is
back) and counts against 巩固率; the return ends it; a death ends every duty and pairing
from that day. Each step changes the lists and the figures as a hand count says."""

import datetime as dt

import pytest
import time_machine

from carenet.audit.models import AccessAction, AccessLog
from carenet.care.models import CareKind
from carenet.care.selectors import my_children, tasks_for, week_end
from carenet.care.services import record_create
from carenet.children.access import visible_children
from carenet.children.dropout import SchoolingError, child_drop_out, child_return
from carenet.children.models import Child, ChildStatus, Pairing, Schooling, SchoolingChange
from tests.test_child_transfer import (
    AS_OF,
    TZ,
    assert_kept_equals_scratch,
    cast_build,
    figures,
    fresh,
    hand,
    names,
)

pytestmark = pytest.mark.django_db
PERSUADE = CareKind.PERSUADE_BACK


@pytest.fixture
def today():
    with at(AS_OF):
        yield AS_OF


@pytest.fixture
def cast(world, today):
    """The cast of tests/test_child_transfer.py (a filed and mentored 王子涵, …)."""
    return cast_build(world)


def persuade(tasks):
    return {(t.child.name, t.due_date, t.overdue) for t in tasks if t.kind == PERSUADE}


def lists(w, day):
    """The 劝返 tasks of each working list on ``day``: the class teacher's (and mentor's)
    我的待办, the principal's school view, the village director's list."""
    return {
        "teacher": persuade(tasks_for(my_children(fresh(w.user("teacher"))), as_of=day)),
        "principal": persuade(tasks_for(visible_children(fresh(w.user("principal"))), as_of=day)),
        "village_director": persuade(
            tasks_for(my_children(fresh(w.user("village_director"))), as_of=day)
        ),
    }


def at(day):
    return time_machine.travel(dt.datetime.combine(day, dt.time(9), tzinfo=TZ), tick=False)


class TestDropOutAndReturn:
    def test_a_dropout_brings_a_weekly_persuade_back_duty_until_the_return(self, cast, today):
        w = cast
        assert lists(w, AS_OF) == {"teacher": set(), "principal": set(), "village_director": set()}
        assert not tasks_for(my_children(w.user("village_director")), as_of=AS_OF)
        assert figures(w.school) == hand(1, 2, 2, 2, 1, in_care=2)
        assert figures(w.county) == hand(1, 4, 4, 2, 1, in_care=4)

        child_drop_out(child=w.own_child, on=AS_OF, reason="厌学在家", actor=w.user("teacher"))
        child = Child.objects.get(pk=w.own_child.pk)
        assert (child.status, child.schooling) == (ChildStatus.ACTIVE, Schooling.DROPPED_OUT)
        due_now = {("王子涵", AS_OF, False)}
        assert lists(w, AS_OF) == dict.fromkeys(
            ("teacher", "principal", "village_director"), due_now
        )
        # Still in care and in every denominator; now against 巩固率 and 入学率.
        assert figures(w.school) == hand(1, 1, 1, 2, 1, in_care=2)
        assert figures(w.township) == figures(w.school)
        assert figures(w.county) == hand(1, 3, 3, 2, 1, in_care=4)
        assert_kept_equals_scratch(w)

        # The next day it is overdue; a 劝返 contact moves it a week on.
        tuesday = AS_OF + dt.timedelta(days=1)
        with at(tuesday):
            assert lists(w, tuesday)["teacher"] == {("王子涵", AS_OF, True)}
            record_create(
                actor=w.user("village_director"),
                child=child,
                kind=PERSUADE,
                date=tuesday,
                summary="上门与祖母谈，答应下周送回学校",
            )
            next_week = tuesday + dt.timedelta(days=7)
            assert lists(w, tuesday)["village_director"] == {("王子涵", next_week, False)}
            until = week_end(tuesday)
            mine = tasks_for(my_children(fresh(w.user("teacher"))), as_of=tuesday, until=until)
            assert persuade(mine) == set()  # not due this week any more

        # 复学: the duty disappears, 巩固率 is whole again.
        friday = AS_OF + dt.timedelta(days=4)
        with at(friday):
            child_return(child=child, on=friday, note="已返校", actor=w.user("principal"))
            empty = {"teacher": set(), "principal": set(), "village_director": set()}
            assert lists(w, friday) == empty
            assert figures(w.school, friday)["retention_rate"] == (2, 2)
            assert_kept_equals_scratch(w, friday)
        changes = list(
            SchoolingChange.objects.filter(child=child)
            .order_by("on", "pk")
            .values_list("on", "schooling_from", "schooling_to", "reason")
        )
        assert changes == [
            (AS_OF, "enrolled", "dropped_out", "厌学在家"),
            (friday, "dropped_out", "enrolled", "已返校"),
        ]
        assert Child.objects.get(pk=child.pk).schooling == Schooling.ENROLLED

    def test_the_mentor_has_the_duty_of_a_mentee_who_dropped_out(self, cast, today):
        w = cast
        child_drop_out(child=w.mentee, on=AS_OF, reason="外出打工", actor=None)
        assert lists(w, AS_OF)["teacher"] == {("曾小雨", AS_OF, False)}  # as mentor

    def test_a_child_who_is_not_left_behind_gets_the_duty_too(self, cast, today):
        w = cast
        child_drop_out(child=w.school_child, on=AS_OF, reason="随家长外出", actor=None)
        assert lists(w, AS_OF)["principal"] == {("李明", AS_OF, False)}
        assert lists(w, AS_OF)["village_director"] == {("李明", AS_OF, False)}
        assert figures(w.school) == hand(1, 2, 2, 2, 1, in_care=2)  # not in care: unchanged

    def test_a_dropout_twice_or_a_return_without_one_is_refused(self, cast):
        w = cast
        with pytest.raises(SchoolingError):
            child_return(child=w.own_child, on=AS_OF, actor=None)
        with pytest.raises(SchoolingError):
            child_drop_out(child=w.own_child, on=AS_OF, reason="", actor=None)
        child_drop_out(child=w.own_child, on=AS_OF, reason="厌学", actor=None)
        with pytest.raises(SchoolingError):
            child_drop_out(child=w.own_child, on=AS_OF, reason="厌学", actor=None)
        with pytest.raises(SchoolingError):
            child_return(child=w.own_child, on=AS_OF - dt.timedelta(days=1), actor=None)

    def test_the_village_director_records_both_on_the_file_and_each_is_logged(self, cast, client):
        w = cast
        client.force_login(w.user("village_director"))
        url = f"/children/{w.own_child.pk}/path/"
        assert client.get(url + "return/").status_code == 403  # not dropped out
        response = client.post(url + "drop_out/", {"on": AS_OF.isoformat(), "reason": "厌学"})
        assert response.status_code == 302
        page = client.get(f"/children/{w.own_child.pk}/").content.decode()
        assert "记录劝返" in page and "就学情况变更" in page
        assert client.get(url + "drop_out/").status_code == 403  # already out
        response = client.post(url + "return/", {"on": AS_OF.isoformat(), "note": ""})
        assert response.status_code == 302
        actions = AccessLog.objects.filter(child=w.own_child).values_list("action", flat=True)
        assert {AccessAction.DROP_OUT, AccessAction.RETURN_TO_SCHOOL} <= set(actions)


class TestDeath:
    def test_a_death_ends_every_duty_and_pairing_from_that_day_and_the_file_says_so(
        self, cast, client, today
    ):
        w = cast
        child_drop_out(child=w.own_child, on=AS_OF - dt.timedelta(days=3), reason="病", actor=None)
        day_before = AS_OF - dt.timedelta(days=1)
        before = figures(w.school, day_before)
        assert before == hand(1, 1, 1, 2, 1, in_care=2)
        client.force_login(w.user("principal"))
        response = client.post(
            f"/children/{w.own_child.pk}/path/died/", {"on": AS_OF.isoformat(), "note": ""}
        )
        assert response.status_code == 302
        child = Child.objects.get(pk=w.own_child.pk)
        assert (child.status, child.left_reason, child.left_on) == ("left", "died", AS_OF)
        assert not Pairing.objects.filter(child=child, ended_on__isnull=True).exists()
        for who in ("teacher", "principal", "village_director"):
            user = fresh(w.user(who))
            children = my_children(user) if who != "principal" else visible_children(user)
            assert "王子涵" not in names(tasks_for(children, as_of=AS_OF)), who
        assert figures(w.school) == hand(0, 1, 1, 1, 1, in_care=1)
        assert figures(w.county) == hand(0, 3, 3, 1, 1, in_care=3)
        assert figures(w.school, day_before) == before  # the days before keep the child
        assert_kept_equals_scratch(w)
        assert_kept_equals_scratch(w, day_before)
        page = client.get(f"/children/{child.pk}/").content.decode()
        assert "离世" in page and 'id="path-menu"' not in page
        assert "care/children" not in page  # no 记录 button
        assert client.get(f"/children/{child.pk}/path/drop_out/").status_code == 403


# Dropout steps on 王子涵 (own_child) by role: 200 the form, 403 seen but not allowed,
# 404 not seen. 复学 answers 403 to everyone while the child is at school.
DROPOUT_EXPECTED = {
    "county_admin": {"drop_out": 200, "died": 200, "return": 403},
    "principal": {"drop_out": 200, "died": 200, "return": 403},
    "teacher": {"drop_out": 200, "died": 403, "return": 403},
    "village_director": {"drop_out": 200, "died": 403, "return": 403},
    "township_supervisor": {"drop_out": 403, "died": 403, "return": 403},
    "stranger_teacher": {"drop_out": 404, "died": 404, "return": 404},
    "nobody": {"drop_out": 404, "died": 404, "return": 404},
}


@pytest.mark.parametrize("role", list(DROPOUT_EXPECTED))
def test_each_role_gets_only_the_dropout_steps_it_may_take(cast, client, role):
    w = cast
    client.force_login(w.user(role))
    for step, expected in DROPOUT_EXPECTED[role].items():
        url = f"/children/{w.own_child.pk}/path/{step}/"
        assert client.get(url).status_code == expected, (role, step)
        if expected != 200:
            data = {"on": AS_OF.isoformat(), "reason": "x", "note": "x"}
            assert client.post(url, data).status_code == expected
    child = Child.objects.get(pk=w.own_child.pk)
    assert (child.status, child.schooling) == (ChildStatus.ACTIVE, Schooling.ENROLLED)


def test_the_mentor_of_a_child_of_another_class_takes_no_step(cast, client):
    client.force_login(cast.user("teacher"))
    for step in ("drop_out", "transfer", "died"):
        assert client.get(f"/children/{cast.mentee.pk}/path/{step}/").status_code == 403


def test_an_unknown_step_is_not_found(cast, client):
    client.force_login(cast.user("county_admin"))
    assert client.get(f"/children/{cast.own_child.pk}/path/eloped/").status_code == 404
