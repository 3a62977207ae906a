"""The user's own account pages: password policy and change, two-factor sign-in (TOTP) for
administrators, and the API tokens page with revocation."""

import datetime as dt
import re

import pytest
import time_machine
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from carenet.accounts.models import ApiToken
from carenet.accounts.tokens import token_issue
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

ROLES = ["county_admin", "township_supervisor", "village_director", "principal", "teacher"]
TWO_FACTOR_ROLES = {"county_admin", "principal"}


def _code(device):
    """The code the device's app shows now."""
    device.refresh_from_db()
    code = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{code:0{device.digits}d}"


def _confirmed_device(user):
    return TOTPDevice.objects.create(user=user, name="totp", confirmed=True)


# Password policy -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Ab-12345", "密码太短，至少需要10个字符。"),
        ("2718281828459045", "密码只包含数字。"),
        ("password123", "这个密码太常见了。"),
    ],
)
def test_weak_passwords_are_refused_in_chinese(password, message):
    with pytest.raises(ValidationError) as error:
        validate_password(password)
    assert message in error.value.messages


def test_argon2_hashes_passwords(settings, world):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    user = world.user("teacher")
    user.set_password("Long-enough-2026")
    assert user.password.startswith("argon2")


def test_the_password_change_page_changes_the_password(client, world):
    client.force_login(world.user("teacher"))
    page = client.get(reverse("password_change"))
    assert page.status_code == 200 and "修改密码" in page.content.decode()
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "Qing-shan-2026",
            "new_password2": "Qing-shan-2026",
        },
    )
    assert response.status_code == 302 and response.url == reverse("account_security")
    assert client.get(reverse("home")).status_code == 200  # still signed in
    world.user("teacher").refresh_from_db()
    assert world.user("teacher").check_password("Qing-shan-2026")


def test_the_password_change_refuses_a_short_password_and_a_wrong_old_one(client, world):
    client.force_login(world.user("teacher"))
    response = client.post(
        reverse("password_change"),
        {"old_password": "wrong", "new_password1": "short1", "new_password2": "short1"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "你的旧密码不正确" in html
    assert "密码太短，至少需要10个字符。" in html


def test_the_user_menu_links_the_account_pages(client, world):
    client.force_login(world.user("teacher"))
    html = client.get(reverse("home")).content.decode()
    for name in ("account_security", "password_change", "account_tokens"):
        assert f'href="{reverse(name)}"' in html


@pytest.mark.parametrize("role", ROLES)
def test_every_role_opens_its_account_pages(client, world, role):
    client.force_login(world.user(role))
    for name in ("account_security", "password_change", "account_tokens"):
        assert client.get(reverse(name)).status_code == 200
    expected = 200 if role in TWO_FACTOR_ROLES else 403
    assert client.get(reverse("account_otp_setup")).status_code == expected
    # Without a device, the verification step has nothing to ask and goes home.
    assert client.get(reverse("account_otp_verify")).status_code == 302


def test_account_pages_want_a_signed_in_user(client, world):
    for name in ("account_security", "password_change", "account_tokens", "account_otp_setup"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and response.url.startswith(reverse("login"))


# Two-factor sign-in -------------------------------------------------------------------


def test_enrolling_shows_a_qr_code_and_confirms_with_a_code(client, world):
    user = world.user("principal")
    client.force_login(user)
    html = client.get(reverse("account_otp_setup")).content.decode()
    assert "<svg" in html and "otpauth://totp/CareNet" in html
    assert "<script" not in html.split("<body", 1)[1].replace('<script src="/static/', "")
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    wrong = client.post(reverse("account_otp_setup"), {"code": "000000"})
    assert "验证码不正确或已过期" in wrong.content.decode()
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=5)):
        response = client.post(reverse("account_otp_setup"), {"code": _code(device)})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    # This session is verified by the confirmation and goes on working.
    assert client.get(reverse("home")).status_code == 200


def test_a_user_with_a_device_must_enter_the_code_after_the_password(client, world):
    user = world.user("county_admin")
    device = _confirmed_device(user)
    response = client.post(reverse("login"), {"username": "county_admin", "password": PASSWORD})
    assert response.status_code == 302
    for path in (reverse("home"), reverse("child_list"), "/admin/"):
        page = client.get(path)
        assert page.status_code == 302
        assert page.url.startswith(reverse("account_otp_verify"))
    form = client.get(page.url)
    assert form.status_code == 200 and "动态验证码" in form.content.decode()
    verified = client.post(reverse("account_otp_verify"), {"code": _code(device), "next": "/"})
    assert verified.status_code == 302 and verified.url == "/"
    assert client.get(reverse("home")).status_code == 200


def test_a_wrong_code_is_refused_in_chinese(client, world):
    _confirmed_device(world.user("county_admin"))
    client.post(reverse("login"), {"username": "county_admin", "password": PASSWORD})
    response = client.post(reverse("account_otp_verify"), {"code": "123456"})
    assert response.status_code == 400
    assert "验证码不正确或已过期，请重新输入。" in response.content.decode()
    assert client.get(reverse("home")).status_code == 302


def test_the_verification_step_goes_only_to_this_site(client, world):
    device = _confirmed_device(world.user("county_admin"))
    client.post(reverse("login"), {"username": "county_admin", "password": PASSWORD})
    response = client.post(
        reverse("account_otp_verify"), {"code": _code(device), "next": "https://evil.example/"}
    )
    assert response.status_code == 302 and response.url == reverse("home")


def test_a_user_without_a_device_signs_in_as_before(client, world):
    _confirmed_device(world.user("county_admin"))  # someone else's device changes nothing
    response = client.post(reverse("login"), {"username": "principal", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200


def test_an_unverified_session_can_still_sign_out(client, world):
    _confirmed_device(world.user("county_admin"))
    client.post(reverse("login"), {"username": "county_admin", "password": PASSWORD})
    assert client.post(reverse("logout")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_turning_two_factor_off_takes_a_current_code(client, world):
    user = world.user("principal")
    device = _confirmed_device(user)
    client.post(reverse("login"), {"username": "principal", "password": PASSWORD})
    client.post(reverse("account_otp_verify"), {"code": _code(device)})
    assert "已开启" in client.get(reverse("account_otp_setup")).content.decode()
    refused = client.post(reverse("account_otp_disable"), {"code": "000000"})
    assert refused.status_code == 400 and TOTPDevice.objects.filter(user=user).exists()
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=65)):
        done = client.post(reverse("account_otp_disable"), {"code": _code(device)})
    assert done.status_code == 302
    assert not TOTPDevice.objects.filter(user=user).exists()


def test_a_teacher_cannot_turn_on_two_factor(client, world):
    client.force_login(world.user("teacher"))
    assert client.post(reverse("account_otp_setup"), {"code": "123456"}).status_code == 403
    assert not TOTPDevice.objects.exists()


# API tokens ---------------------------------------------------------------------------


def test_the_tokens_page_lists_only_the_users_tokens(client, world):
    mine, _ = token_issue(user=world.user("teacher"))
    theirs, _ = token_issue(user=world.user("principal"))
    client.force_login(world.user("teacher"))
    html = client.get(reverse("account_tokens")).content.decode()
    assert "接口令牌" in html
    assert f'id="token-{mine.pk}"' in html and f'id="token-{theirs.pk}"' not in html
    assert mine.created_at.astimezone(timezone.get_current_timezone()).strftime("%Y-%m-%d") in html
    assert "从未使用" in html


def test_revoking_a_token_stops_it(client, world):
    token, key = token_issue(user=world.user("teacher"))
    client.force_login(world.user("teacher"))
    response = client.post(reverse("account_token_revoke", args=[token.pk]))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert client.get("/api/v1/orgs", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 401
    assert "已吊销" in client.get(reverse("account_tokens")).content.decode()


def test_another_users_token_cannot_be_revoked(client, world):
    theirs, _ = token_issue(user=world.user("principal"))
    client.force_login(world.user("teacher"))
    assert client.post(reverse("account_token_revoke", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("account_token_revoke", args=[999999])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_revoking_is_a_post(client, world):
    token, _ = token_issue(user=world.user("teacher"))
    client.force_login(world.user("teacher"))
    assert client.get(reverse("account_token_revoke", args=[token.pk])).status_code == 405
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None


def test_sessions_end_with_the_browser_and_after_twelve_hours(settings):
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
    assert settings.SESSION_COOKIE_AGE == 12 * 60 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is False


def test_the_otp_uri_is_not_in_a_script(client, world):
    client.force_login(world.user("principal"))
    html = client.get(reverse("account_otp_setup")).content.decode()
    assert not re.search(r"<script(?![^>]*src=)", html)
