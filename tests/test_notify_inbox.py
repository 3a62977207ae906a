"""The inbox (消息): a user's own notifications — the day's digest with a 记录 button per
task — the unread badge, marking read; the digest, 我的待办 and the API agree on what is
due."""

import datetime as dt
import zoneinfo

import pytest
import time_machine

from carenet.accounts.tokens import token_issue
from carenet.notify.models import Notification, NotificationKind, NotificationLine
from carenet.notify.services import reminders_run
from tests.factories import old_task_message

pytestmark = pytest.mark.django_db

TZ = zoneinfo.ZoneInfo("Asia/Shanghai")


@pytest.fixture
def reminded(world):
    with time_machine.travel(dt.datetime(2026, 10, 12, 7, 0, tzinfo=TZ), tick=False):
        reminders_run(today=dt.date(2026, 10, 12))
    return world


def _first(world, name="teacher"):
    return Notification.objects.filter(user=world.user(name)).order_by("pk").first()


class TestInbox:
    def test_it_lists_the_users_notifications_with_an_unread_badge(self, reminded, client):
        client.force_login(reminded.user("teacher"))
        response = client.get("/inbox/")
        assert response.status_code == 200
        body = response.content.decode()
        assert response.context["unread_notifications"] == 1  # one digest, not one per task
        assert "王子涵" in body and "曾小雨" in body
        assert "张伟" not in body  # the stranger teacher's child
        assert f"/children/{reminded.own_child.pk}/" in body

    def test_each_line_of_the_digest_has_a_record_button_for_its_child_and_kind(
        self, reminded, client
    ):
        client.force_login(reminded.user("teacher"))
        body = client.get("/inbox/").content.decode()
        digest = Notification.objects.get(user=reminded.user("teacher"))
        assert digest.lines.count() > 1
        for line in digest.lines.all():
            record = (
                f"/children/{line.child_id}/records/new/?kind={line.care_kind}&amp;next=/inbox/"
            )
            assert record in body
        assert body.count('data-action="record"') == digest.lines.count()
        assert body.count('data-action="open"') == digest.lines.count()

    def test_a_task_recorded_since_the_digest_shows_as_recorded(self, reminded, client):
        from carenet.care.services import record_create

        with time_machine.travel(dt.datetime(2026, 10, 12, 8, 0, tzinfo=TZ), tick=False):
            record_create(
                actor=reminded.user("teacher"),
                child=reminded.own_child,
                kind="talk",
                date=dt.date(2026, 10, 12),
                summary="谈心",
            )
        client.force_login(reminded.user("teacher"))
        body = client.get("/inbox/").content.decode()
        digest = Notification.objects.get(user=reminded.user("teacher"))
        assert body.count('data-action="recorded"') == 1
        assert body.count('data-action="record"') == digest.lines.count() - 1
        assert f"/children/{reminded.own_child.pk}/records/new/?kind=talk" not in body

    def test_a_line_about_a_child_out_of_the_users_scope_is_not_shown(self, reminded, client):
        digest = Notification.objects.get(user=reminded.user("teacher"))
        NotificationLine.objects.create(
            notification=digest,
            child=reminded.outsider,
            care_kind="talk",
            due_date=dt.date(2026, 10, 1),
            overdue=True,
            position=99,
        )
        client.force_login(reminded.user("teacher"))
        body = client.get("/inbox/").content.decode()
        assert f'data-line="{reminded.outsider.pk}-talk"' not in body
        assert reminded.outsider.name not in body

    def test_it_shows_nothing_of_other_users(self, reminded, client):
        client.force_login(reminded.user("principal"))
        response = client.get("/inbox/")
        assert response.status_code == 200
        assert response.context["unread_notifications"] == 0
        assert "王子涵" not in response.content.decode()

    def test_marking_read_clears_the_badge(self, reminded, client):
        client.force_login(reminded.user("teacher"))
        note = _first(reminded)
        assert client.get("/inbox/").context["unread_notifications"] == 1
        response = client.post(f"/inbox/{note.pk}/read/")
        assert response.status_code == 302 and response["Location"] == "/inbox/"
        note.refresh_from_db()
        assert note.read_at is not None
        assert client.get("/inbox/").context["unread_notifications"] == 0
        Notification.objects.filter(pk=note.pk).update(read_at=None)
        assert client.post("/inbox/read-all/").status_code == 302
        assert client.get("/inbox/").context["unread_notifications"] == 0

    def test_it_refuses_another_users_notification_with_404(self, reminded, client):
        client.force_login(reminded.user("stranger_teacher"))
        note = _first(reminded)
        assert client.post(f"/inbox/{note.pk}/read/").status_code == 404
        note.refresh_from_db()
        assert note.read_at is None

    def test_it_does_not_mark_read_on_get(self, reminded, client):
        client.force_login(reminded.user("teacher"))
        assert client.get(f"/inbox/{_first(reminded).pk}/read/").status_code == 405

    def test_it_sends_anonymous_users_to_log_in(self, reminded, client):
        for path in ("/inbox/", f"/inbox/{_first(reminded).pk}/read/"):
            response = client.get(path)
            assert response.status_code == 302 and "/login/" in response["Location"], path

    def test_the_badge_costs_one_query(self, reminded, rf, django_assert_num_queries):
        from carenet.notify.context import inbox

        request = rf.get("/")
        request.user = reminded.user("teacher")
        with django_assert_num_queries(1):
            assert inbox(request)["unread_notifications"] > 0


class TestOldMessages:
    def test_a_per_task_message_from_before_the_digest_still_shows_with_its_buttons(
        self, world, client
    ):
        old = old_task_message(
            world.user("teacher"),
            world.own_child,
            care_kind="talk",
            title="王子涵的谈心已逾期（应于 2026-09-08 完成）",
            due=dt.date(2026, 9, 8),
        )
        client.force_login(world.user("teacher"))
        body = client.get("/inbox/").content.decode()
        assert "王子涵的谈心已逾期（应于 2026-09-08 完成）" in body
        assert f"/children/{world.own_child.pk}/records/new/?kind=talk" in body
        response = client.post(f"/inbox/{old.pk}/read/", {"open": "1"})
        assert response["Location"] == f"/children/{world.own_child.pk}/"


@pytest.mark.django_db(transaction=True)
def test_the_migration_turns_each_old_per_task_message_into_a_message_with_one_line(world, client):
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    teacher = world.user("teacher")
    try:
        call_command("migrate", "notify", "0002", verbosity=0)
        state = MigrationExecutor(connection).loader.project_state(
            ("notify", "0002_task_due_label")
        )
        old = state.apps.get_model("notify", "Notification")
        old.objects.create(
            user_id=teacher.pk,
            county_code="340827",
            kind="task_overdue",
            child_id=world.own_child.pk,
            care_kind="talk",
            due_date=dt.date(2026, 9, 8),
            title="王子涵的谈心已逾期（应于 2026-09-08 完成）",
            dedupe_key="old-talk",
        )
        old.objects.create(
            user_id=teacher.pk,
            county_code="340827",
            kind="task_due",
            title="无儿童",
            dedupe_key="x",
        )
    finally:
        call_command("migrate", verbosity=0)
    note = Notification.objects.get(dedupe_key="old-talk")
    line = note.lines.get()
    assert (line.child_id, line.care_kind, line.due_date, line.overdue) == (
        world.own_child.pk,
        "talk",
        dt.date(2026, 9, 8),
        True,
    )
    assert not Notification.objects.get(dedupe_key="x").lines.exists()
    client.force_login(teacher)
    body = client.get("/inbox/").content.decode()
    assert "王子涵的谈心已逾期（应于 2026-09-08 完成）" in body and "无儿童" in body
    assert f"/children/{world.own_child.pk}/records/new/?kind=talk" in body


FROZEN = dt.datetime(2026, 10, 14, 9, 0, tzinfo=TZ)  # a Wednesday


@pytest.mark.parametrize("name", ("teacher", "stranger_teacher"))
def test_the_digest_lists_exactly_the_tasks_of_my_work_and_of_the_api(world, client, name):
    """One definition of due (care.selectors.worklist_until): the digest's lines, the
    tasks on /care/tasks/ and GET /api/v1/tasks/due, on a frozen day."""
    user = world.user(name)
    with time_machine.travel(FROZEN, tick=False):
        today = dt.date(2026, 10, 14)
        reminders_run(today=today)
        digest = Notification.objects.get(user=user, kind=NotificationKind.DIGEST)
        lines = [
            (line.child_id, line.care_kind, line.due_date, line.overdue)
            for line in digest.lines.all()
        ]
        client.force_login(user)
        page = [
            (t.child.pk, t.kind, t.due_date, t.overdue)
            for t in client.get("/care/tasks/").context["tasks"]
        ]
        _token, raw = token_issue(user=user)
        api = client.get("/api/v1/tasks/due?scope=mine", HTTP_AUTHORIZATION=f"Bearer {raw}").json()
        items = [
            (i["child"], i["kind"], dt.date.fromisoformat(i["due_date"]), i["overdue"])
            for i in api["items"]
        ]
        inbox = client.get("/inbox/").content.decode()
    assert lines and lines == page == items
    for child_id, kind, _due, _overdue in lines:
        assert f'data-line="{child_id}-{kind}"' in inbox
