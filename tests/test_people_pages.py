"""People pages (人员管理): who may add, change, stop, restore and reset whom; every
action in the access log; a stopped user can neither sign in nor use an API token."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.db import connection

from carenet.accounts.models import Person
from carenet.accounts.services import activation_issue, person_create
from carenet.accounts.tokens import token_issue
from carenet.audit.models import AccessAction, AccessLog
from carenet.children.models import Pairing, PairingKind
from carenet.orgs.models import Membership, Role
from carenet.reports.cards import contact_cards
from tests.factories import PASSWORD, user_add

pytestmark = pytest.mark.django_db


def _new(client, org, **over):
    data = {"name": "韩新", "phone": "13600000001", "role": Role.TEACHER, "org": org.pk}
    return client.post("/people/new/", {**data, **over})


def _log(action):
    return AccessLog.objects.filter(action=action)


def test_a_principal_adds_a_teacher_of_their_school_with_classes(world, client):
    client.force_login(world.user("principal"))
    response = _new(client, world.school, classes="一(1)班、二年级1班", class_teacher="二(1)班")
    assert response.status_code == 201
    person = Person.objects.get(name="韩新")
    body = response.content.decode()
    assert person.user.username in body and "/activate/" in body and "激活码" in body
    assert set(
        Membership.objects.filter(user=person.user).values_list("org__name", "role", "title")
    ) == {
        ("华阳小学", Role.TEACHER, ""),
        ("一(1)班", Role.TEACHER, "任课教师"),
        ("二(1)班", Role.TEACHER, "班主任"),
    }
    assert not person.user.has_usable_password()
    entry = _log(AccessAction.PERSON_CREATE).get()
    assert entry.user == world.user("principal") and "韩新" in entry.detail
    assert "13600000001" not in entry.detail


def test_a_principal_cannot_create_anyone_outside_their_school(world, client):
    client.force_login(world.user("principal"))
    refused = [
        _new(client, world.other_school),
        _new(client, world.school, role=Role.PRINCIPAL),
        _new(client, world.school, role=Role.COUNTY_ADMIN),
        _new(client, world.village, role=Role.VILLAGE_DIRECTOR),
        _new(client, world.school, classes="七(1)班"),
        _new(client, world.school, phone="12345"),
    ]
    assert [r.status_code for r in refused] == [400] * 6
    assert "华阳小学没有班级“七(1)班”" in refused[4].content.decode()
    assert not Person.objects.exists() and not _log(AccessAction.PERSON_CREATE).exists()


def test_a_phone_already_on_file_is_not_added_twice(world, client):
    client.force_login(world.user("principal"))
    assert _new(client, world.school).status_code == 201
    again = _new(client, world.school, name="韩另")
    assert again.status_code == 400 and "该手机号已登记为 韩新" in again.content.decode()


def test_a_principal_cannot_change_anyone_outside_their_school(world, client):
    client.force_login(world.user("principal"))
    outsider = world.user("stranger_teacher")
    membership = Membership.objects.filter(user=outsider).first()
    for method, path in (
        ("get", f"/people/{outsider.pk}/"),
        ("post", f"/people/{outsider.pk}/"),
        ("get", f"/people/{outsider.pk}/deactivate/"),
        ("post", f"/people/{outsider.pk}/deactivate/"),
        ("post", f"/people/{outsider.pk}/reactivate/"),
        ("post", f"/people/{outsider.pk}/reset/"),
        ("post", f"/people/{outsider.pk}/roles/{membership.pk}/remove/"),
    ):
        assert getattr(client, method)(path).status_code == 404, path
    assert client.post("/people/activation-sheet/", {"user": [outsider.pk]}).status_code == 302
    outsider.refresh_from_db()
    assert outsider.is_active and outsider.check_password(PASSWORD)
    assert Membership.objects.filter(user=outsider).count() == 1
    # Nor give their own teacher a role at another school.
    teacher = world.user("teacher")
    grant = {"grant-role": Role.TEACHER, "grant-org": world.other_school.pk}
    assert client.post(f"/people/{teacher.pk}/", grant).status_code == 400
    assert not Membership.objects.filter(user=teacher, org=world.other_school).exists()
    assert not AccessLog.objects.exclude(action=AccessAction.VIEW_FILE).exists()


def test_a_principal_does_not_manage_a_teacher_who_is_also_a_village_director(world, client):
    teacher = world.user("teacher")
    Membership.objects.create(user=teacher, org=world.village, role=Role.VILLAGE_DIRECTOR)
    client.force_login(world.user("principal"))
    assert client.get(f"/people/{teacher.pk}/").status_code == 404


def test_a_township_supervisor_manages_only_the_village_directors_of_their_township(world, client):
    client.force_login(world.user("township_supervisor"))
    director = world.user("village_director")
    assert client.get(f"/people/{director.pk}/").status_code == 200
    for other in ("principal", "teacher", "county_admin"):
        assert client.get(f"/people/{world.user(other).pk}/").status_code == 404
    assert _new(client, world.school).status_code == 400  # not a role they may give
    assert _new(client, world.other_village, role=Role.VILLAGE_DIRECTOR).status_code == 400
    assert _new(client, world.village, role=Role.VILLAGE_DIRECTOR).status_code == 201
    listed = client.get("/people/").content.decode()
    assert "韩新" in listed and "village_director" in listed and "principal" not in listed


def test_users_who_manage_nobody_are_refused(world, client):
    for role in ("teacher", "village_director", "nobody"):
        client.force_login(world.user(role))
        assert client.get("/people/").status_code == 403
        assert _new(client, world.school).status_code == 403
    assert not Person.objects.exists()


def test_the_county_admin_gives_and_takes_roles_and_every_change_is_logged(world, client):
    client.force_login(world.user("county_admin"))
    teacher = world.user("teacher")
    grant = {"grant-role": Role.COUNSELOR, "grant-org": world.school.pk}
    assert client.post(f"/people/{teacher.pk}/", grant).status_code == 302
    added = Membership.objects.get(user=teacher, role=Role.COUNSELOR)
    removed = client.post(f"/people/{teacher.pk}/roles/{added.pk}/remove/")
    assert removed.status_code == 302
    assert not Membership.objects.filter(pk=added.pk).exists()
    assert _log(AccessAction.PERSON_ROLES).count() == 2
    director = world.user("village_director")
    only = Membership.objects.get(user=director)
    client.post(f"/people/{director.pk}/roles/{only.pk}/remove/")
    assert Membership.objects.filter(pk=only.pk).exists()  # the last role stays


def test_deactivation_hands_the_mentees_over_and_stops_sign_in_and_tokens(world, client):
    teacher = world.user("teacher")
    successor = user_add("teacher2", Role.TEACHER, world.school)
    _, key = token_issue(user=teacher)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    assert client.get("/api/v1/children", **auth).status_code == 200
    client.force_login(world.user("principal"))
    form = client.get(f"/people/{teacher.pk}/deactivate/").content.decode()
    assert "teacher2" in form
    response = client.post(f"/people/{teacher.pk}/deactivate/", {"successor": successor.pk})
    assert response.status_code == 302
    teacher.refresh_from_db()
    assert not teacher.is_active
    current = Pairing.objects.get(
        child=world.mentee, kind=PairingKind.MENTOR, ended_on__isnull=True
    )
    assert current.mentor == successor
    assert Pairing.objects.filter(child=world.mentee, mentor=teacher).exclude(ended_on=None)
    assert client.get("/api/v1/children", **auth).status_code == 401
    client.logout()
    assert not client.login(username="teacher", password=PASSWORD)
    entry = _log(AccessAction.PERSON_DEACTIVATE).get()
    assert "移交" in entry.detail and "teacher2" in entry.detail
    # Restored: signs in again; the mentees stay with the successor.
    client.force_login(world.user("principal"))
    assert client.post(f"/people/{teacher.pk}/reactivate/").status_code == 302
    client.logout()
    assert client.login(username="teacher", password=PASSWORD)
    assert _log(AccessAction.PERSON_REACTIVATE).count() == 1


def test_deactivation_without_a_successor_leaves_the_mentees_for_the_principal(world, client):
    teacher = world.user("teacher")
    client.force_login(world.user("principal"))
    assert client.post(f"/people/{teacher.pk}/deactivate/", {"successor": ""}).status_code == 302
    assert not Pairing.objects.filter(
        child=world.mentee, kind=PairingKind.MENTOR, ended_on__isnull=True
    ).exists()
    assert "待重新结对" in _log(AccessAction.PERSON_DEACTIVATE).get().detail


def test_a_reset_makes_the_old_password_and_tokens_useless_and_shows_a_new_code(world, client):
    teacher = world.user("teacher")
    _, key = token_issue(user=teacher)
    client.force_login(world.user("principal"))
    response = client.post(f"/people/{teacher.pk}/reset/")
    assert response.status_code == 200 and "激活码" in response.content.decode()
    teacher.refresh_from_db()
    assert not teacher.has_usable_password()
    assert client.get("/api/v1/children", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 401
    client.logout()
    assert not client.login(username="teacher", password=PASSWORD)
    assert _log(AccessAction.PERSON_RESET).count() == 1


def test_the_activation_sheet_gives_new_codes_only_to_people_not_yet_activated(world, client):
    newcomer = person_create(name="林新", phone="13700000001", county_code="340827")
    Membership.objects.create(user=newcomer, org=world.school, role=Role.TEACHER)
    old = activation_issue(user=newcomer, actor=None).code
    client.force_login(world.user("principal"))
    sheet = client.post(
        "/people/activation-sheet/", {"user": [newcomer.pk, world.user("teacher").pk]}
    )
    body = sheet.content.decode()
    assert sheet.status_code == 200 and "林新" in body and "/activate/" in body
    assert body.count('class="col-8 font-monospace fs-5 activation-code"') == 1
    assert old not in body.replace("-", "")
    assert _log(AccessAction.PERSON_RESET).count() == 1


def test_the_people_list_masks_phones(world, client):
    client.force_login(world.user("principal"))
    _new(client, world.school)
    listed = client.get("/people/").content.decode()
    assert "136****0001" in listed and "13600000001" not in listed


def test_the_staff_phone_is_encrypted_at_rest(world, client):
    client.force_login(world.user("principal"))
    _new(client, world.school)
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone, phone_hash FROM accounts_person")
        rows = cursor.fetchall()
    assert rows and all("13600000001" not in str(value) for row in rows for value in row)


def test_the_mentors_phone_is_on_the_contact_card(world):
    teacher = world.user("teacher")
    Person.objects.create(user=teacher, name="教师", phone="13500000009", county_code="340827")
    principal = world.user("principal")
    cards = contact_cards(principal, world.class_2, full=True, on=dt.date(2026, 3, 1))
    card = next(c for c in cards if c.child_id == world.mentee.pk)
    assert card.mentor_phone == "13500000009"
    masked = contact_cards(principal, world.class_2, full=False, on=dt.date(2026, 3, 1))
    assert next(c for c in masked if c.child_id == world.mentee.pk).mentor_phone == "135****0009"
    assert User.objects.filter(pk=teacher.pk).exists()
