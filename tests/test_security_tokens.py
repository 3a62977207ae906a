"""API tokens and the second factor and the password: a token is no back door around
either. Two-factor users give the authenticator's code to get a token; a password change,
by any path, ends every token issued under the old password."""

import pytest
from django.core.management import call_command
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from carenet.accounts.models import ApiToken
from carenet.accounts.tokens import token_issue
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token"
NEW_PASSWORD = "Another-long-2026"


def _code(device):
    device.refresh_from_db()
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def _token_request(client, username, password, **extra):
    body = {"username": username, "password": password, **extra}
    return client.post(TOKEN_URL, body, content_type="application/json")


def _opens_the_api(client, key):
    response = client.get("/api/v1/orgs", HTTP_AUTHORIZATION=f"Bearer {key}")
    return response.status_code == 200


@pytest.fixture
def device(world):
    return TOTPDevice.objects.create(user=world.user("principal"), name="totp", confirmed=True)


# Two-factor sign-in through the API ------------------------------------------------------


def test_a_two_factor_user_gets_no_token_on_the_password_alone(client, world, device):
    response = _token_request(client, "principal", PASSWORD)
    assert response.status_code == 401
    assert "两步验证" in response.json()["detail"]
    assert "code" in response.json()["detail"]
    assert not ApiToken.objects.exists()


def test_a_two_factor_user_gets_no_token_with_a_wrong_code(client, world, device):
    wrong = f"{(int(_code(device)) + 1) % 1_000_000:06d}"
    response = _token_request(client, "principal", PASSWORD, code=wrong)
    assert response.status_code == 401
    assert response.json() == {"detail": "动态验证码不正确或已过期。"}
    assert not ApiToken.objects.exists()


def test_a_two_factor_user_gets_a_token_with_the_current_code(client, world, device):
    response = _token_request(client, "principal", PASSWORD, code=_code(device))
    assert response.status_code == 200
    assert _opens_the_api(client, response.json()["token"])


def test_a_right_code_with_a_wrong_password_is_still_refused(client, world, device):
    response = _token_request(client, "principal", "wrong-password", code=_code(device))
    assert response.status_code == 401
    assert response.json() == {"detail": "用户名或密码错误"}


def test_a_user_without_two_factor_needs_no_code(client, world, device):
    assert _token_request(client, "teacher", PASSWORD).status_code == 200


def test_turning_two_factor_on_revokes_tokens_taken_on_the_password_alone(client, world):
    user = world.user("principal")
    _, key = token_issue(user=user)
    client.force_login(user)
    client.get(reverse("account_otp_setup"))
    pending = TOTPDevice.objects.get(user=user, confirmed=False)
    client.post(reverse("account_otp_setup"), {"code": _code(pending)})
    assert TOTPDevice.objects.get(user=user).confirmed
    assert not _opens_the_api(client, key)
    assert ApiToken.objects.get(user=user).revoked_at is not None


# A password change ends the tokens ----------------------------------------------------------


def test_changing_the_password_on_the_page_revokes_the_users_tokens(client, world):
    user = world.user("teacher")
    _, key = token_issue(user=user)
    _, other_key = token_issue(user=world.user("principal"))
    client.force_login(user)
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )
    assert "接口令牌已随旧密码一起吊销" in response.content.decode()
    assert not _opens_the_api(client, key)
    assert ApiToken.objects.get(user=user).revoked_at is not None
    assert _opens_the_api(client, other_key)


def test_a_password_set_by_another_path_also_ends_the_tokens(client, world):
    user = world.user("teacher")
    _, key = token_issue(user=user)
    assert _opens_the_api(client, key)
    user.set_password(NEW_PASSWORD)  # as the admin, a reset or a command would
    user.save()
    assert not _opens_the_api(client, key)
    assert ApiToken.objects.get(user=user).revoked_at is not None


def test_a_token_taken_after_the_change_works(client, world):
    user = world.user("teacher")
    user.set_password(NEW_PASSWORD)
    user.save()
    key = _token_request(client, "teacher", NEW_PASSWORD).json()["token"]
    assert _opens_the_api(client, key)


def test_a_refused_password_change_keeps_the_tokens(client, world):
    user = world.user("teacher")
    _, key = token_issue(user=user)
    client.force_login(user)
    client.post(
        reverse("password_change"),
        {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert _opens_the_api(client, key)


def test_changepassword_command_ends_the_tokens(client, world, monkeypatch):
    user = world.user("teacher")
    _, key = token_issue(user=user)
    monkeypatch.setattr("getpass.getpass", lambda prompt="": NEW_PASSWORD)
    call_command("changepassword", "teacher", stdout=open("/dev/null", "w"))
    assert not _opens_the_api(client, key)
