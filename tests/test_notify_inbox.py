"""The inbox (消息): a user's own notifications, the unread badge, marking read."""

import datetime as dt
import zoneinfo

import pytest
import time_machine

from carenet.notify.models import Notification
from carenet.notify.services import reminders_run

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
        count = Notification.objects.filter(user=reminded.user("teacher")).count()
        assert response.context["unread_notifications"] == count
        assert "王子涵" in body and "曾小雨" in body
        assert "张伟" not in body  # the stranger teacher's child
        assert f"/children/{reminded.own_child.pk}/" in body

    def test_it_shows_nothing_of_other_users(self, reminded, client):
        client.force_login(reminded.user("principal"))
        response = client.get("/inbox/")
        assert response.status_code == 200
        assert response.context["unread_notifications"] == 0
        assert "王子涵" not in response.content.decode()

    def test_marking_read_clears_the_badge_and_can_open_the_child_file(self, reminded, client):
        client.force_login(reminded.user("teacher"))
        note = _first(reminded)
        response = client.post(f"/inbox/{note.pk}/read/", {"open": "1"})
        assert response.status_code == 302
        assert response["Location"] == f"/children/{note.child_id}/"
        note.refresh_from_db()
        assert note.read_at is not None
        before = client.get("/inbox/").context["unread_notifications"]
        assert client.post("/inbox/read-all/").status_code == 302
        assert before > 0 and client.get("/inbox/").context["unread_notifications"] == 0

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
