"""``POST /api/v1/children/{id}/records`` under an ``Idempotency-Key``: the phone's offline
queue resends a record until it hears back, and the server files it once."""

import datetime as dt
import uuid
import zoneinfo

import pytest
import time_machine
from django.test import Client

from carenet.accounts.tokens import token_issue
from carenet.care.models import CareRecord
from carenet.children.transfers import transfer_move

pytestmark = pytest.mark.django_db

TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
VISIT = {
    "kind": "home_visit",
    "date": "2026-10-12",
    "summary": "家访，奶奶在家",
    "present": "奶奶",
    "guardian_capacity": "fair",
}


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(dt.datetime(2026, 10, 12, 9, 0, tzinfo=TZ), tick=False):
        yield


def _post(client, world, username, child, body, key=None, **headers):
    _, token = token_issue(user=world.user(username))
    if key is not None:
        headers["HTTP_IDEMPOTENCY_KEY"] = str(key)
    return client.post(
        f"/api/v1/children/{child.pk}/records",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
        **headers,
    )


def test_a_replay_files_one_record_and_answers_the_first_result(world, client):
    key = uuid.uuid4()
    first = _post(client, world, "teacher", world.own_child, VISIT, key)
    again = _post(client, world, "teacher", world.own_child, VISIT, key)
    assert first.status_code == 201, first.content
    assert again.status_code == 200, again.content
    assert again.json() == first.json()
    record = CareRecord.objects.get()
    assert record.client_key == key and record.pk == first.json()["id"]
    assert record.details == {"present": "奶奶", "guardian_capacity": "fair"}


def test_a_replay_with_another_body_is_refused_and_changes_nothing(world, client):
    key = uuid.uuid4()
    assert _post(client, world, "teacher", world.own_child, VISIT, key).status_code == 201
    changed = _post(client, world, "teacher", world.own_child, {**VISIT, "summary": "改了"}, key)
    assert changed.status_code == 422
    assert changed.json()["detail"][0]["field"] == "Idempotency-Key"
    assert CareRecord.objects.get().summary == VISIT["summary"]


def test_the_same_key_for_another_child_is_refused(world, client):
    key = uuid.uuid4()
    assert _post(client, world, "teacher", world.own_child, VISIT, key).status_code == 201
    assert _post(client, world, "teacher", world.mentee, VISIT, key).status_code == 422
    assert CareRecord.objects.count() == 1


def test_another_users_key_does_not_collide(world, client):
    key = uuid.uuid4()
    assert _post(client, world, "teacher", world.own_child, VISIT, key).status_code == 201
    other = _post(client, world, "principal", world.own_child, VISIT, key)
    assert other.status_code == 201, other.content
    authors = sorted(CareRecord.objects.values_list("author__username", flat=True))
    assert authors == ["principal", "teacher"]


def test_a_child_out_of_scope_answers_404_and_nothing_is_filed(world, client):
    key = uuid.uuid4()
    response = _post(client, world, "teacher", world.outsider, VISIT, key)
    assert response.status_code == 404
    assert not CareRecord.objects.exists()


def test_a_child_who_left_the_scope_before_the_queue_was_sent_answers_404(world, client):
    transfer_move(child=world.own_child, to_class=world.other_class, actor=None)
    response = _post(client, world, "teacher", world.own_child, VISIT, uuid.uuid4())
    assert response.status_code == 404
    assert not CareRecord.objects.exists()


def test_a_key_that_is_not_a_uuid_is_refused(world, client):
    response = _post(client, world, "teacher", world.own_child, VISIT, "twice")
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "Idempotency-Key"
    assert not CareRecord.objects.exists()


def test_an_invalid_record_under_a_key_spends_nothing(world, client):
    key = uuid.uuid4()
    bad = _post(client, world, "teacher", world.own_child, {**VISIT, "summary": " "}, key)
    assert bad.status_code == 422
    assert _post(client, world, "teacher", world.own_child, VISIT, key).status_code == 201
    assert CareRecord.objects.count() == 1


def test_without_a_key_each_sending_is_a_record_as_before(world, client):
    assert _post(client, world, "teacher", world.own_child, VISIT).status_code == 201
    assert _post(client, world, "teacher", world.own_child, VISIT).status_code == 201
    assert CareRecord.objects.count() == 2


class TestBrowserSession:
    """The offline queue posts with the web session's cookie and its CSRF token."""

    def url(self, world):
        return f"/api/v1/children/{world.own_child.pk}/records"

    def signed_in(self, world):
        browser = Client(enforce_csrf_checks=True)
        browser.force_login(world.user("teacher"))
        browser.get("/care/tasks/")  # sets the CSRF cookie
        return browser

    def test_a_signed_in_session_with_its_csrf_token_files_the_record(self, world):
        browser = self.signed_in(world)
        token = browser.cookies["csrftoken"].value
        key = uuid.uuid4()
        for expected in (201, 200):
            response = browser.post(
                self.url(world),
                VISIT,
                content_type="application/json",
                HTTP_X_CSRFTOKEN=token,
                HTTP_IDEMPOTENCY_KEY=str(key),
            )
            assert response.status_code == expected, response.content
        assert CareRecord.objects.get().author == world.user("teacher")

    def test_a_session_without_the_csrf_token_is_refused(self, world):
        browser = self.signed_in(world)
        response = browser.post(self.url(world), VISIT, content_type="application/json")
        assert response.status_code == 403
        assert not CareRecord.objects.exists()

    def test_without_a_session_or_token_the_answer_is_401(self, world):
        response = Client(enforce_csrf_checks=True).post(
            self.url(world), VISIT, content_type="application/json"
        )
        assert response.status_code == 401
        assert not CareRecord.objects.exists()

    def test_the_session_reaches_only_the_records_endpoint(self, world):
        browser = self.signed_in(world)
        assert browser.get("/api/v1/orgs").status_code == 401


def test_two_sendings_at_once_file_one_record_the_database_decides(world, monkeypatch):
    """The second of two sendings that both looked before either wrote: the unique
    constraint refuses its row, and it answers with the first record."""
    from carenet.care import selectors, services

    key = uuid.uuid4()
    fields = {"kind": "talk", "date": dt.date(2026, 10, 12), "summary": "谈心"}
    teacher = world.user("teacher")
    first = services.record_create_once(
        actor=teacher, child=world.own_child, client_key=key, digest="d", **fields
    )
    looked = selectors.record_by_client_key
    calls = []

    def before_the_first_was_written(author, client_key):
        calls.append(client_key)
        return None if len(calls) == 1 else looked(author, client_key)

    monkeypatch.setattr(selectors, "record_by_client_key", before_the_first_was_written)
    second = services.record_create_once(
        actor=teacher, child=world.own_child, client_key=key, digest="d", **fields
    )
    assert first.created and not second.created
    assert second.record.pk == first.record.pk
    assert CareRecord.objects.count() == 1
