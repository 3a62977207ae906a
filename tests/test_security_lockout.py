"""Lockout (django-axes): eight wrong passwords lock a username from one address, on the
login page and on POST /api/v1/auth/token, for 30 minutes; never an address alone. Thirty
failures of one username from any addresses within 24 hours lock it from everywhere."""

import datetime as dt

import pytest
import time_machine
from axes.models import AccessAttempt
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token"
LOCKED_TEXT = "登录失败次数过多，账户已暂时锁定，请30分钟后再试或联系管理员。"


def _page_login(client, username, password, address="10.1.1.1"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def _api_login(client, username, password, address="10.1.1.1"):
    return client.post(
        TOKEN_URL,
        {"username": username, "password": password},
        content_type="application/json",
        REMOTE_ADDR=address,
    )


def _fail_eight_times(client, login, username="teacher"):
    for attempt in range(8):
        response = login(client, username, "wrong-password")
        assert response.status_code in (200, 401, 429), attempt
    return response


def test_eight_wrong_passwords_lock_the_login_page(client, world):
    for _ in range(7):
        response = _page_login(client, "teacher", "wrong-password")
        assert response.status_code == 200
        assert "用户名或密码不正确" in response.content.decode()
    eighth = _page_login(client, "teacher", "wrong-password")
    assert eighth.status_code == 429
    for password in ("wrong-password", PASSWORD):
        response = _page_login(client, "teacher", password)
        assert response.status_code == 429
        html = response.content.decode()
        assert LOCKED_TEXT in html
        assert '<html lang="zh-hans">' in html and 'name="username"' in html
        assert "_auth_user_id" not in client.session


def test_eight_wrong_passwords_lock_the_api(client, world):
    for _ in range(7):
        assert _api_login(client, "teacher", "wrong-password").status_code == 401
    assert _api_login(client, "teacher", "wrong-password").status_code == 429
    for password in ("wrong-password", PASSWORD):
        response = _api_login(client, "teacher", password)
        assert response.status_code == 429
        assert response["Content-Type"].startswith("application/json")
        assert set(response.json()) == {"detail"}
        assert "锁定" in response.json()["detail"]


def test_failures_on_the_page_and_the_api_add_up(client, world):
    for _ in range(4):
        _page_login(client, "teacher", "wrong-password")
        _api_login(client, "teacher", "wrong-password")
    assert _api_login(client, "teacher", PASSWORD).status_code == 429
    assert _page_login(client, "teacher", PASSWORD).status_code == 429


def test_another_user_at_the_same_address_is_not_locked(client, world):
    _fail_eight_times(client, _page_login)
    assert _page_login(client, "principal", PASSWORD).status_code == 302
    assert _api_login(client, "principal", PASSWORD).status_code == 200


def test_the_same_user_from_another_address_is_not_locked(client, world):
    _fail_eight_times(client, _page_login)
    assert _page_login(client, "teacher", PASSWORD, address="10.9.9.9").status_code == 302


def test_the_lock_ends_after_the_cool_off(client, world):
    _fail_eight_times(client, _api_login)
    assert _api_login(client, "teacher", PASSWORD).status_code == 429
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=31)):
        assert _page_login(client, "teacher", PASSWORD).status_code == 302


def test_a_right_password_resets_the_count(client, world):
    for _ in range(7):
        _page_login(client, "teacher", "wrong-password")
    assert _page_login(client, "teacher", PASSWORD).status_code == 302
    client.logout()
    for _ in range(7):
        assert _page_login(client, "teacher", "wrong-password").status_code == 200
    assert _page_login(client, "teacher", PASSWORD).status_code == 302


def test_axes_reset_unlocks(client, world):
    _fail_eight_times(client, _page_login)
    assert AccessAttempt.objects.exists()
    call_command("axes_reset", verbosity=0)
    assert _page_login(client, "teacher", PASSWORD).status_code == 302


def test_carenet_manage_axes_reset_unlocks(client, world, capsys):
    _fail_eight_times(client, _api_login)
    # call_command, not the CLI in-process: manage.py closes the connections when it ends,
    # and on PostgreSQL that would close the test's own connection.
    call_command("axes_reset")
    assert not AccessAttempt.objects.exists()
    assert _api_login(client, "teacher", PASSWORD).status_code == 200


def test_behind_a_proxy_the_address_is_the_one_the_proxy_added(client, world, settings):
    settings.CARENET_BEHIND_PROXY = True
    for index in range(8):
        # The client forges a different first hop every time; the proxy's hop is the same.
        client.post(
            reverse("login"),
            {"username": "teacher", "password": "wrong-password"},
            HTTP_X_FORWARDED_FOR=f"1.2.3.{index}, 10.5.5.5",
            REMOTE_ADDR="127.0.0.1",
        )
    locked = client.post(
        reverse("login"),
        {"username": "teacher", "password": PASSWORD},
        HTTP_X_FORWARDED_FOR="9.9.9.9, 10.5.5.5",
    )
    assert locked.status_code == 429
    other_school = client.post(
        reverse("login"),
        {"username": "teacher", "password": PASSWORD},
        HTTP_X_FORWARDED_FOR="10.6.6.6",
    )
    assert other_school.status_code == 302


def test_a_login_without_a_request_is_not_counted_or_refused(world):
    from django.contrib.auth import authenticate

    assert authenticate(username="teacher", password=PASSWORD) == world.user("teacher")
    assert not AccessAttempt.objects.exists()


# Failures of one username across addresses ---------------------------------------------------


def _spread_failures(client, count, username="teacher", login=_page_login, network=2):
    """``count`` failures, seven per address: never enough to lock any one address."""
    for index in range(count):
        address = f"10.{network}.{index // 7}.1"
        response = login(client, username, "wrong-password", address=address)
        assert response.status_code in (200, 401), index


def test_failures_from_many_addresses_lock_the_username_everywhere(client, world, settings):
    _spread_failures(client, settings.USERNAME_FAILURE_LIMIT)
    for login in (_page_login, _api_login):
        response = login(client, "teacher", PASSWORD, address="10.99.0.1")
        assert response.status_code == 429
    assert "24小时" in _api_login(client, "teacher", PASSWORD, address="10.98.0.1").json()["detail"]
    assert _page_login(client, "principal", PASSWORD, address="10.99.0.1").status_code == 302


def test_one_failure_fewer_does_not_lock_the_username(client, world, settings):
    _spread_failures(client, settings.USERNAME_FAILURE_LIMIT - 1, login=_api_login)
    assert _api_login(client, "teacher", PASSWORD, address="10.99.0.1").status_code == 200


def test_the_username_lock_ends_with_its_window(client, world, settings):
    _spread_failures(client, settings.USERNAME_FAILURE_LIMIT)
    assert _page_login(client, "teacher", PASSWORD, address="10.99.0.1").status_code == 429
    later = timezone.now() + settings.USERNAME_FAILURE_WINDOW + dt.timedelta(minutes=1)
    with time_machine.travel(later):
        assert _page_login(client, "teacher", PASSWORD, address="10.99.0.1").status_code == 302


def test_a_sign_in_starts_the_username_count_again(client, world, settings):
    _spread_failures(client, settings.USERNAME_FAILURE_LIMIT - 1)
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=1)):
        assert _page_login(client, "teacher", PASSWORD, address="10.99.0.1").status_code == 302
        client.logout()
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=2)):
        _spread_failures(client, 5, network=3)
        assert _page_login(client, "teacher", PASSWORD, address="10.99.0.1").status_code == 302


def test_resetting_the_failure_log_unlocks_the_username(client, world, settings):
    _spread_failures(client, settings.USERNAME_FAILURE_LIMIT)
    call_command("axes_reset_failure_logs", "--age", "0", stdout=open("/dev/null", "w"))
    assert _page_login(client, "teacher", PASSWORD, address="10.99.0.1").status_code == 302
