"""Due and overdue care tasks: the selector, 我的待办 and GET /api/v1/tasks/due."""

import datetime as dt
import zoneinfo

import pytest
import time_machine

from carenet.accounts.tokens import token_issue
from carenet.alerts.services import risk_raise
from carenet.care.models import CareRecord
from carenet.care.selectors import my_children, tasks_for, week_end
from carenet.care.services import record_create
from carenet.children.access import visible_children
from tests.factories import child_add

pytestmark = pytest.mark.django_db

TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
MONDAY = dt.date(2026, 10, 12)


@pytest.fixture
def monday():
    with time_machine.travel(dt.datetime(2026, 10, 12, 9, 0, tzinfo=TZ), tick=False):
        yield MONDAY


def _talk(world, child, day, user="teacher"):
    return record_create(
        actor=world.user(user), child=child, kind="talk", date=day, summary="谈心，情绪稳定"
    )


def _due(tasks, child, kind="talk"):
    return [t for t in tasks if t.child.pk == child.pk and t.kind == kind]


class TestTasks:
    def test_only_left_behind_children_get_tasks(self, world, monday):
        tasks = tasks_for(visible_children(world.user("principal")), as_of=monday)
        assert {t.child.name for t in tasks} == {"王子涵", "曾小雨"}  # not 李明

    def test_a_child_without_records_is_overdue_for_talks(self, world, monday):
        [task] = _due(tasks_for(my_children(world.user("teacher")), as_of=monday), world.own_child)
        assert task.due_date == dt.date(2026, 9, 8) and task.overdue

    def test_logging_a_talk_removes_the_overdue_task_at_once(self, world, monday):
        children = my_children(world.user("teacher"))
        until = week_end(monday)
        assert _due(tasks_for(children, as_of=monday, until=until), world.own_child)
        _talk(world, world.own_child, monday)
        assert not _due(tasks_for(children, as_of=monday, until=until), world.own_child)
        [task] = _due(tasks_for(children, as_of=monday), world.own_child)
        assert task.due_date == dt.date(2026, 10, 19) and not task.overdue

    def test_high_risk_first_then_overdue_first(self, world, monday):
        # Raised by hand (the risk is derived: a direct write would not outlive the
        # next record's review).
        risk_raise(
            actor=world.user("teacher"), child=world.own_child, level="high", reason="独自在家"
        )
        _talk(world, world.own_child, dt.date(2026, 10, 9))  # due 16 Oct: this week
        tasks = tasks_for(my_children(world.user("teacher")), as_of=monday, until=week_end(monday))
        children = [t.child.pk for t in tasks]
        high = children.count(world.own_child.pk)
        # Every task of the child at high risk comes before the others' overdue ones …
        assert children[:high] == [world.own_child.pk] * high
        assert any(t.overdue for t in tasks[high:])
        assert not _due(tasks, world.own_child)[0].overdue
        # … and within one level, overdue first.
        for part in (tasks[:high], tasks[high:]):
            flags = [t.overdue for t in part]
            assert flags == sorted(flags, reverse=True)

    def test_the_query_count_does_not_grow_with_children(
        self, world, monday, django_assert_num_queries
    ):
        for i in range(6):
            child = child_add(world.class_1, name=f"孩子{i}", father_away=dt.date(2025, 1, 1))
            _talk(world, child, dt.date(2026, 10, 1))
        children = visible_children(world.user("principal"))  # the scope is resolved here
        # The plans' care groups, children with their last records, the 劝返 duties
        # (children who dropped out), orgs, plans.
        with django_assert_num_queries(5):
            tasks = tasks_for(children, as_of=monday)
        assert len({t.child.pk for t in tasks}) == 8

    def test_mine_is_the_teachers_class_and_mentees(self, world):
        assert set(my_children(world.user("teacher"))) == {world.own_child, world.mentee}
        assert not my_children(world.user("principal")).exists()


class TestWorkingListPage:
    def test_a_teacher_sees_overdue_tasks_first_with_a_record_button(self, world, client, monday):
        _talk(world, world.own_child, dt.date(2026, 10, 9))
        client.force_login(world.user("teacher"))
        response = client.get("/care/tasks/")
        assert response.status_code == 200
        tasks = response.context["tasks"]
        assert tasks[0].overdue and not tasks[-1].overdue
        body = response.content.decode()
        assert "我的待办" in body and "记录" in body
        assert body.index("已逾期") < body.index("前完成")
        assert f"/care/children/{world.own_child.pk}/records/new/?kind=talk" in body

    def test_a_principal_sees_the_school_per_mentor_and_per_class(self, world, client, monday):
        client.force_login(world.user("principal"))
        response = client.get("/care/tasks/")
        assert response.status_code == 200
        assert response.context["school_view"]
        classes = {row.label: row.overdue for row in response.context["by_class"]}
        assert classes["华阳小学 一(1)班"] > 0 and classes["华阳小学 二(1)班"] > 0
        mentors = {row.label for row in response.context["by_mentor"]}
        assert {"teacher", "（未结对）"} <= mentors
        assert "张伟" not in response.content.decode()

    def test_the_page_needs_a_login(self, client):
        assert client.get("/care/tasks/").status_code == 302


class TestTasksApi:
    def _get(self, client, world, username, query=""):
        _, key = token_issue(user=world.user(username))
        return client.get(f"/api/v1/tasks/due{query}", HTTP_AUTHORIZATION=f"Bearer {key}")

    def test_mine_lists_the_teachers_due_tasks(self, world, client, monday):
        body = self._get(client, world, "teacher", "?as_of=2026-10-12&scope=mine").json()
        assert body["count"] == len(body["items"]) > 0
        assert {i["child"] for i in body["items"]} == {world.own_child.pk, world.mentee.pk}
        item = next(
            i for i in body["items"] if i["child"] == world.own_child.pk and i["kind"] == "talk"
        )
        assert item == {
            "child": world.own_child.pk,
            "kind": "talk",
            "due_date": "2026-09-08",
            "overdue": True,
        }

    def test_org_lists_every_visible_child(self, world, client, monday):
        body = self._get(client, world, "township_supervisor", "?scope=org").json()
        children = {i["child"] for i in body["items"]}
        assert children == {world.own_child.pk, world.mentee.pk, world.villager_elsewhere.pk}
        mine = self._get(client, world, "township_supervisor", "?scope=mine").json()
        assert mine == {"count": 0, "overdue": 0, "due_this_week": 0, "items": []}

    def test_a_logged_talk_leaves_the_due_list(self, world, client, monday):
        _talk(world, world.own_child, monday)
        body = self._get(client, world, "teacher", "?as_of=2026-10-12").json()
        assert not [
            i for i in body["items"] if i["child"] == world.own_child.pk and i["kind"] == "talk"
        ]
        assert CareRecord.objects.count() == 1

    def test_bad_parameters_are_422(self, world, client):
        response = self._get(client, world, "teacher", "?as_of=12.10.2026&scope=all")
        assert response.status_code == 422
        assert {e["field"] for e in response.json()["detail"]} == {"as_of", "scope"}

    def test_anonymous_is_401(self, client):
        assert client.get("/api/v1/tasks/due").status_code == 401
