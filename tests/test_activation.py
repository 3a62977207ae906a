"""Activation: a new user sets their own password once with a one-time code, by the API
(POST /api/v1/auth/activate) or on the /activate/ page."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.models import User
from django.db import connection
from django.utils import timezone

from carenet.accounts.models import ActivationCode, Person
from carenet.accounts.services import activation_issue, person_create
from carenet.audit.models import AccessAction, AccessLog

pytestmark = pytest.mark.django_db

URL = "/api/v1/auth/activate"
NEW_PASSWORD = "Lan-tian-2026!"
WRONG = "用户名或激活码不正确，或激活码已使用、已过期。"


@pytest.fixture
def newcomer(world):
    user = person_create(name="林新", phone="13700000001", county_code="340827")
    return user, activation_issue(user=user, actor=None).code


def _activate(client, username, code, password=NEW_PASSWORD, address="10.2.2.2"):
    return client.post(
        URL,
        {"username": username, "code": code, "password": password},
        content_type="application/json",
        REMOTE_ADDR=address,
    )


def _token(client, username, password):
    return client.post(
        "/api/v1/auth/token",
        {"username": username, "password": password},
        content_type="application/json",
    )


def test_a_new_user_cannot_log_in_before_activation(client, newcomer):
    user, _code = newcomer
    assert not user.has_usable_password()
    assert _token(client, user.username, "").status_code in (401, 422)
    assert not client.login(username=user.username, password="")


def test_the_code_sets_the_password_once(client, newcomer):
    user, code = newcomer
    response = _activate(client, user.username, code)
    assert response.status_code == 200 and "已激活" in response.json()["detail"]
    assert _token(client, user.username, NEW_PASSWORD).status_code == 200
    again = _activate(client, user.username, code, password="Another-pass-2026")
    assert again.status_code == 400 and again.json() == {"detail": WRONG}
    assert User.objects.get(pk=user.pk).check_password(NEW_PASSWORD)
    assert AccessLog.objects.filter(action=AccessAction.ACCOUNT_ACTIVATE, user=user).count() == 1


def test_the_code_is_accepted_as_printed_with_a_dash_and_in_lower_case(client, newcomer):
    user, code = newcomer
    printed = f"{code[:4]}-{code[4:]}".lower()
    assert _activate(client, user.username, printed).status_code == 200


def test_a_wrong_code_or_an_unknown_user_answers_400_in_chinese(client, newcomer):
    user, code = newcomer
    wrong = "A" * 8 if code != "A" * 8 else "B" * 8
    for username, attempt in ((user.username, wrong), ("nobody-here", code), (user.username, "")):
        response = _activate(client, username, attempt)
        assert response.status_code == 400 and response.json() == {"detail": WRONG}
    assert not User.objects.get(pk=user.pk).has_usable_password()


def test_the_code_expires_after_the_validity(client, newcomer, settings):
    user, code = newcomer
    later = timezone.now() + settings.ACTIVATION_CODE_VALIDITY + dt.timedelta(minutes=1)
    with time_machine.travel(later):
        assert _activate(client, user.username, code).status_code == 400
    assert not User.objects.get(pk=user.pk).has_usable_password()


def test_a_new_code_replaces_the_old_one(client, newcomer):
    user, old = newcomer
    new = activation_issue(user=user, actor=None).code
    assert _activate(client, user.username, old).status_code == 400
    assert _activate(client, user.username, new).status_code == 200


def test_a_weak_password_answers_422_and_keeps_the_code(client, newcomer):
    user, code = newcomer
    response = _activate(client, user.username, code, password="12345678")
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["detail"]}
    assert fields == {"password"}
    assert any("密码" in e["message"] for e in response.json()["detail"])
    assert _activate(client, user.username, code).status_code == 200


def test_repeated_wrong_codes_lock_out_like_a_login(client, newcomer):
    user, code = newcomer
    for attempt in range(7):
        assert _activate(client, user.username, "WRONGCOD").status_code == 400, attempt
    locked = _activate(client, user.username, "WRONGCOD")
    assert locked.status_code == 429 and "锁定" in locked.json()["detail"]
    assert _activate(client, user.username, code).status_code == 429
    assert not User.objects.get(pk=user.pk).has_usable_password()
    # Another address is not locked by these failures (a school shares one address).
    assert _activate(client, user.username, code, address="10.3.3.3").status_code == 200


def test_a_deactivated_user_cannot_activate(client, newcomer):
    user, code = newcomer
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert _activate(client, user.username, code).status_code == 400


def test_codes_and_phones_are_not_stored_in_clear(newcomer):
    user, code = newcomer
    with connection.cursor() as cursor:
        cursor.execute("SELECT code_hash FROM accounts_activationcode")
        hashes = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT phone, phone_hash FROM accounts_person")
        stored = cursor.fetchall()
    assert hashes and all(code not in h for h in hashes)
    assert stored and all("13700000001" not in value for row in stored for value in row)
    assert Person.objects.get(user=user).phone == "13700000001"
    assert ActivationCode.objects.filter(user=user).count() == 1


def test_the_activation_page_sets_the_password_and_keeps_the_username_on_error(client, newcomer):
    user, code = newcomer
    link = client.get(f"/activate/?username={user.username}&code={code}")
    assert link.status_code == 200 and code in link.content.decode()
    form = {"username": user.username, "code": "WRONGCOD", "password1": NEW_PASSWORD}
    wrong = client.post("/activate/", {**form, "password2": NEW_PASSWORD})
    body = wrong.content.decode()
    assert wrong.status_code == 400 and WRONG in body and f'value="{user.username}"' in body
    weak = client.post(
        "/activate/", {**form, "code": code, "password1": "1234", "password2": "1234"}
    )
    assert weak.status_code == 400 and "密码太短" in weak.content.decode()
    mismatch = client.post("/activate/", {**form, "code": code, "password2": "other-pass-2026"})
    assert mismatch.status_code == 400 and "两次输入的密码不一致" in mismatch.content.decode()
    done = client.post("/activate/", {**form, "code": code, "password2": NEW_PASSWORD})
    assert done.status_code == 302 and done["Location"] == "/login/"
    assert client.login(username=user.username, password=NEW_PASSWORD)


def test_the_activation_page_locks_out_after_repeated_failures(client, newcomer):
    user, code = newcomer
    form = {"username": user.username, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    for _ in range(7):
        assert client.post("/activate/", {**form, "code": "WRONGCOD"}).status_code == 400
    assert client.post("/activate/", {**form, "code": "WRONGCOD"}).status_code == 429
    locked = client.post("/activate/", {**form, "code": code})
    assert locked.status_code == 429 and "锁定" in locked.content.decode()
