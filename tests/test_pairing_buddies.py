"""The student-buddy page (学习帮手, 手拉手): who may open it, assigning and ending buddies."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from carenet.children.models import ChildStatus, Pairing, PairingKind
from carenet.orgs.models import Role
from carenet.pairing import services
from tests.factories import child_add, user_add

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 16)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(
        dt.datetime(2026, 11, 16, 10, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False
    ):
        yield


def _url(world, action=""):
    return f"/pairing/{world.school.pk}/buddies/" + (f"{action}/" if action else "")


def _buddies(child):
    return Pairing.objects.filter(child=child, kind=PairingKind.BUDDY).order_by("pk")


def _pair(world, buddy=None):
    return services.buddy_assign(
        actor=None,
        child=world.own_child,
        buddy=buddy or world.school_child,
        on=dt.date(2026, 9, 1),
    )


class TestAccess:
    def test_the_principal_sees_the_left_behind_children_and_their_buddies(self, world, client):
        _pair(world)
        client.force_login(world.user("principal"))
        response = client.get(_url(world))
        assert response.status_code == 200
        body = response.content.decode()
        assert "王子涵" in body and "曾小雨" in body and "学习帮手（手拉手）" in body
        assert "李明" in body  # the buddy, and a choice of the buddy select
        assert "自 2026-09-01" in body and "尚未安排学习帮手" in body

    def test_the_county_admin_sees_a_school_of_the_county(self, world, client):
        client.force_login(world.user("county_admin"))
        assert client.get(_url(world)).status_code == 200

    def test_a_teacher_of_the_school_is_refused(self, world, client):
        pairing = _pair(world)
        client.force_login(world.user("teacher"))
        assert client.get(_url(world)).status_code == 403
        data = {"child": world.mentee.pk, "buddy": world.school_child.pk}
        assert client.post(_url(world, "assign"), data).status_code == 403
        assert client.post(_url(world, "end"), {"pairing": pairing.pk}).status_code == 403
        assert not _buddies(world.mentee).exists()
        pairing.refresh_from_db()
        assert pairing.ended_on is None

    def test_a_principal_of_another_school_gets_not_found(self, world, client):
        pairing = _pair(world)
        client.force_login(user_add("other_principal", Role.PRINCIPAL, world.other_school))
        assert client.get(_url(world)).status_code == 404
        assert client.post(_url(world, "end"), {"pairing": pairing.pk}).status_code == 404
        pairing.refresh_from_db()
        assert pairing.ended_on is None

    def test_anonymous_users_are_sent_to_log_in(self, world, client):
        response = client.get(_url(world))
        assert response.status_code == 302 and "/login/" in response["Location"]

    def test_forms_answer_only_to_post(self, world, client):
        client.force_login(world.user("principal"))
        for action in ("assign", "end"):
            assert client.get(_url(world, action)).status_code == 405

    def test_the_pairing_page_links_to_the_buddy_page(self, world, client):
        client.force_login(world.user("principal"))
        assert _url(world) in client.get(f"/pairing/{world.school.pk}/").content.decode()

    def test_a_class_can_be_chosen(self, world, client):
        client.force_login(world.user("principal"))
        body = client.get(_url(world), {"class": world.class_1.pk}).content.decode()
        assert f'href="/children/{world.own_child.pk}/"' in body
        assert f'href="/children/{world.mentee.pk}/"' not in body
        # An unknown class shows the whole school.
        body = client.get(_url(world), {"class": world.other_class.pk}).content.decode()
        assert f'href="/children/{world.mentee.pk}/"' in body


class TestAssign:
    def test_a_schoolmate_becomes_the_buddy(self, world, client):
        client.force_login(world.user("principal"))
        data = {"child": world.own_child.pk, "buddy": world.school_child.pk}
        response = client.post(_url(world, "assign"), data)
        assert response.status_code == 302 and response["Location"] == _url(world)
        pairing = _buddies(world.own_child).get()
        assert pairing.buddy == world.school_child and pairing.started_on == TODAY
        assert pairing.buddy_name == "李明" and pairing.ended_on is None
        child_file = client.get(f"/children/{world.own_child.pk}/").content.decode()
        assert "李明" in child_file

    def test_a_pupil_of_another_school_is_refused(self, world, client):
        client.force_login(world.user("principal"))
        data = {"child": world.own_child.pk, "buddy": world.outsider.pk}
        response = client.post(_url(world, "assign"), data)
        assert response.status_code == 400
        assert "选择一个有效的选项" in response.content.decode()
        assert not _buddies(world.own_child).exists()

    def test_a_pupil_no_longer_on_the_roll_is_refused(self, world, client):
        gone = child_add(world.class_2, name="已转学", status=ChildStatus.LEFT)
        client.force_login(world.user("principal"))
        response = client.post(
            _url(world, "assign"), {"child": world.own_child.pk, "buddy": gone.pk}
        )
        assert response.status_code == 400
        assert not _buddies(world.own_child).exists()

    def test_the_child_cannot_be_their_own_buddy(self, world, client):
        client.force_login(world.user("principal"))
        data = {"child": world.own_child.pk, "buddy": world.own_child.pk}
        response = client.post(_url(world, "assign"), data)
        assert response.status_code == 400
        assert "学习帮手不能是儿童本人。" in response.content.decode()
        assert not _buddies(world.own_child).exists()

    def test_a_child_who_is_not_left_behind_is_not_offered(self, world, client):
        client.force_login(world.user("principal"))
        data = {"child": world.school_child.pk, "buddy": world.own_child.pk}
        assert client.post(_url(world, "assign"), data).status_code == 400
        assert not _buddies(world.school_child).exists()

    def test_the_same_buddy_twice_is_refused(self, world, client):
        _pair(world)
        client.force_login(world.user("principal"))
        data = {"child": world.own_child.pk, "buddy": world.school_child.pk}
        response = client.post(_url(world, "assign"), data)
        assert response.status_code == 400
        assert "李明 已经是王子涵的学习帮手。" in response.content.decode()
        assert _buddies(world.own_child).count() == 1

    def test_a_new_buddy_replaces_the_old_one_and_the_history_is_kept(self, world, client):
        old = _pair(world)
        newcomer = child_add(world.class_1, name="周敏")
        client.force_login(world.user("principal"))
        data = {"child": world.own_child.pk, "buddy": newcomer.pk}
        assert client.post(_url(world, "assign"), data).status_code == 302
        old.refresh_from_db()
        assert old.ended_on == TODAY
        assert [p.buddy for p in _buddies(world.own_child)] == [world.school_child, newcomer]
        assert _buddies(world.own_child).filter(ended_on__isnull=True).get().buddy == newcomer


class TestEnd:
    def test_ending_keeps_the_pairing_as_history(self, world, client):
        pairing = _pair(world)
        client.force_login(world.user("principal"))
        data = {"pairing": pairing.pk, "reason": "学习帮手毕业"}
        response = client.post(_url(world, "end"), data)
        assert response.status_code == 302
        pairing.refresh_from_db()
        assert pairing.ended_on == TODAY and pairing.end_reason == "学习帮手毕业"
        assert _buddies(world.own_child).count() == 1
        body = client.get(_url(world), {"class": world.class_1.pk}).content.decode()
        assert "尚未安排学习帮手" in body

    def test_an_ended_pairing_cannot_be_ended_again(self, world, client):
        pairing = _pair(world)
        services.buddy_end(actor=None, pairing=pairing, on=dt.date(2026, 10, 1), reason="")
        client.force_login(world.user("principal"))
        response = client.post(_url(world, "end"), {"pairing": pairing.pk})
        assert response.status_code == 400
        pairing.refresh_from_db()
        assert pairing.ended_on == dt.date(2026, 10, 1) and pairing.end_reason == "结束结对"

    def test_another_schools_pairing_cannot_be_ended_here(self, world, client):
        elsewhere = child_add(world.other_class, name="钱多")
        pairing = services.buddy_assign(
            actor=None, child=world.outsider, buddy=elsewhere, on=dt.date(2026, 9, 1)
        )
        client.force_login(world.user("county_admin"))
        assert client.post(_url(world, "end"), {"pairing": pairing.pk}).status_code == 400
        pairing.refresh_from_db()
        assert pairing.ended_on is None
