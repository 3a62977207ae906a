"""API tokens: issuing, refusing bad credentials, expiry, revocation."""

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from carenet.accounts.models import ApiToken
from carenet.accounts.tokens import token_issue, token_revoke
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token"
PROTECTED = ["/api/v1/orgs", "/api/v1/children", "/api/v1/children/1"]


def _login(client, username, password):
    return client.post(
        TOKEN_URL, {"username": username, "password": password}, content_type="application/json"
    )


def _bearer(key):
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def test_good_credentials_get_a_token_that_opens_the_api(client, world):
    response = _login(client, "teacher", PASSWORD)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token", "expires"}
    expires = dt.datetime.fromisoformat(body["expires"])
    assert dt.timedelta(days=29) < expires - timezone.now() <= dt.timedelta(days=30)
    assert client.get("/api/v1/orgs", **_bearer(body["token"])).status_code == 200


def test_the_token_is_stored_only_as_its_hash(client, world):
    key = _login(client, "teacher", PASSWORD).json()["token"]
    stored = ApiToken.objects.get(user=world.user("teacher"))
    assert stored.key_hash == ApiToken.hash_key(key)
    assert key not in stored.key_hash


def test_a_wrong_password_is_refused_with_401(client, world):
    response = _login(client, "teacher", "wrong-password")
    assert response.status_code == 401
    assert response.json() == {"detail": "用户名或密码错误"}
    assert not ApiToken.objects.exists()


def test_an_unknown_user_is_refused_like_a_wrong_password(client, world):
    response = _login(client, "no-such-user", PASSWORD)
    assert response.status_code == 401
    assert response.json() == {"detail": "用户名或密码错误"}


def test_an_inactive_user_gets_no_token(client, world):
    world.user("teacher").__class__.objects.filter(username="teacher").update(is_active=False)
    assert _login(client, "teacher", PASSWORD).status_code == 401


def test_a_missing_password_is_a_422_naming_the_field(client, world):
    response = client.post(TOKEN_URL, {"username": "teacher"}, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["detail"] == [{"field": "password", "message": "必须填写此项"}]


def test_a_nul_character_in_the_username_is_a_422(client, world):
    response = _login(client, "teach\x00er", PASSWORD)
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "username"


def test_the_token_endpoint_needs_no_csrf_token(world):
    client = Client(enforce_csrf_checks=True)
    assert _login(client, "teacher", PASSWORD).status_code == 200


def test_a_locked_out_login_answers_429(client, world, monkeypatch):
    # What a lockout backend such as django-axes does: refuse and mark the request.
    def locked_out(request, **credentials):
        request.axes_locked_out = True
        return None

    monkeypatch.setattr("carenet.api.auth.authenticate", locked_out)
    response = _login(client, "teacher", PASSWORD)
    assert response.status_code == 429
    assert "锁定" in response.json()["detail"]


@pytest.mark.parametrize("url", PROTECTED)
def test_every_endpoint_refuses_a_request_without_a_token(client, world, url):
    response = client.get(url)
    assert response.status_code == 401
    assert set(response.json()) == {"detail"}


def test_creating_a_child_refuses_a_request_without_a_token(client, world):
    response = client.post("/api/v1/children", {}, content_type="application/json")
    assert response.status_code == 401


@pytest.mark.parametrize("url", PROTECTED)
def test_every_endpoint_refuses_an_unknown_token(client, world, url):
    assert client.get(url, **_bearer("cn_not-a-token")).status_code == 401


def test_a_session_login_does_not_open_the_api(client, world):
    client.force_login(world.user("county_admin"))
    assert client.get("/api/v1/orgs").status_code == 401


def test_an_expired_token_is_refused(client, world):
    _, key = token_issue(user=world.user("teacher"))
    assert client.get("/api/v1/orgs", **_bearer(key)).status_code == 200
    with time_machine.travel(timezone.now() + dt.timedelta(days=31)):
        assert client.get("/api/v1/orgs", **_bearer(key)).status_code == 401


def test_a_revoked_token_is_refused(client, world):
    token, key = token_issue(user=world.user("teacher"))
    token_revoke(token=token)
    assert client.get("/api/v1/orgs", **_bearer(key)).status_code == 401


def test_a_token_of_a_deactivated_user_is_refused(client, world):
    _, key = token_issue(user=world.user("teacher"))
    world.user("teacher").__class__.objects.filter(username="teacher").update(is_active=False)
    assert client.get("/api/v1/orgs", **_bearer(key)).status_code == 401


def test_using_a_token_records_when_it_was_last_used(client, world):
    token, key = token_issue(user=world.user("teacher"))
    assert token.last_used_at is None
    client.get("/api/v1/orgs", **_bearer(key))
    token.refresh_from_db()
    assert token.last_used_at is not None
