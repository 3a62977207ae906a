"""The school pairing page: who may open it, and its three forms."""

from __future__ import annotations

import datetime as dt

import pytest

from carenet.children.models import Pairing, PairingKind
from carenet.orgs.models import Role
from tests.factories import child_add, user_add

AWAY = dt.date(2025, 2, 1)


def _url(world, action=""):
    return f"/pairing/{world.school.pk}/" + (f"{action}/" if action else "")


def _mentor_of(child):
    pairing = Pairing.objects.filter(
        child=child, kind=PairingKind.MENTOR, ended_on__isnull=True
    ).first()
    return pairing.mentor if pairing else None


class TestAccess:
    def test_the_principal_sees_the_page(self, world, client):
        client.force_login(world.user("principal"))
        response = client.get(_url(world))
        assert response.status_code == 200
        body = response.content.decode()
        assert "结对帮扶" in body and "王子涵" in body and "自动结对" in body

    def test_the_county_admin_sees_a_school_of_the_county(self, world, client):
        client.force_login(world.user("county_admin"))
        assert client.get(_url(world)).status_code == 200

    def test_a_teacher_of_the_school_is_refused(self, world, client):
        client.force_login(world.user("teacher"))
        assert client.get(_url(world)).status_code == 403
        assert client.post(_url(world, "auto")).status_code == 403
        assert not Pairing.objects.filter(child=world.own_child).exists()

    def test_a_principal_of_another_school_gets_not_found(self, world, client):
        client.force_login(user_add("other_principal", Role.PRINCIPAL, world.other_school))
        assert client.get(_url(world)).status_code == 404
        assert client.post(_url(world, "auto")).status_code == 404

    def test_anonymous_users_are_sent_to_log_in(self, world, client):
        for url in (_url(world), "/pairing/"):
            response = client.get(url)
            assert response.status_code == 302 and "/login/" in response["Location"]

    def test_the_pairing_home_takes_a_principal_to_their_school(self, world, client):
        client.force_login(world.user("principal"))
        response = client.get("/pairing/")
        assert response.status_code == 302 and response["Location"] == _url(world)

    def test_the_pairing_home_refuses_a_teacher(self, world, client):
        client.force_login(world.user("teacher"))
        assert client.get("/pairing/").status_code == 403

    def test_the_navbar_links_to_pairing_only_for_those_who_run_it(self, world, client):
        client.force_login(world.user("principal"))
        assert 'href="/pairing/"' in client.get("/").content.decode()
        client.force_login(world.user("teacher"))
        assert 'href="/pairing/"' not in client.get("/").content.decode()

    def test_forms_answer_only_to_post(self, world, client):
        client.force_login(world.user("principal"))
        for action in ("auto", "assign", "handover"):
            assert client.get(_url(world, action)).status_code == 405


class TestForms:
    def test_the_auto_button_pairs_and_explains_the_rest(self, world, client):
        for i in range(15):  # the teacher takes 6, the principal (who may mentor) 7
            child_add(world.class_1, name=f"留守{i}", father_away=AWAY)
        client.force_login(world.user("principal"))
        response = client.post(_url(world, "auto"))
        assert response.status_code == 200
        body = response.content.decode()
        assert "自动结对结果" in body
        assert "全校教师的结对名额已满（每人最多7名）" in body
        assert _mentor_of(world.own_child) == world.user("teacher")

    def test_hand_assign_pairs_the_child(self, world, client):
        client.force_login(world.user("principal"))
        response = client.post(
            _url(world, "assign"),
            {"child": world.own_child.pk, "mentor": world.user("teacher").pk},
        )
        assert response.status_code == 302
        assert _mentor_of(world.own_child) == world.user("teacher")

    def test_hand_assign_to_a_teacher_of_another_school_is_refused(self, world, client):
        client.force_login(world.user("principal"))
        response = client.post(
            _url(world, "assign"),
            {"child": world.own_child.pk, "mentor": world.user("stranger_teacher").pk},
        )
        assert response.status_code == 400
        assert _mentor_of(world.own_child) is None

    def test_hand_assign_beyond_capacity_shows_the_reason(self, world, client):
        teacher = world.user("teacher")
        for i in range(6):
            child = child_add(world.class_1, name=f"留守{i}", father_away=AWAY)
            Pairing.objects.create(
                child=child,
                kind=PairingKind.MENTOR,
                county_code=child.county_code,
                mentor=teacher,
                started_on=AWAY,
            )
        client.force_login(world.user("principal"))
        response = client.post(
            _url(world, "assign"), {"child": world.own_child.pk, "mentor": teacher.pk}
        )
        assert response.status_code == 400
        assert "超过每人最多 7 名的上限" in response.content.decode()

    def test_handover_moves_the_mentees(self, world, client):
        heir = user_add("heir", Role.TEACHER, world.school)
        client.force_login(world.user("principal"))
        response = client.post(
            _url(world, "handover"),
            {"from_mentor": world.user("teacher").pk, "to_mentor": heir.pk, "reason": "调离"},
        )
        assert response.status_code == 302
        assert _mentor_of(world.mentee) == heir
        assert (
            Pairing.objects.get(child=world.mentee, mentor=world.user("teacher")).end_reason
            == "调离"
        )

    def test_handover_to_the_same_teacher_is_refused(self, world, client):
        teacher = world.user("teacher")
        client.force_login(world.user("principal"))
        response = client.post(
            _url(world, "handover"), {"from_mentor": teacher.pk, "to_mentor": teacher.pk}
        )
        assert response.status_code == 400
        assert _mentor_of(world.mentee) == teacher


pytestmark = pytest.mark.django_db
