"""Login lockout (django-axes): the backend, the client address and the lockout answer.

Failures are counted per username *and* address together (settings.AXES_LOCKOUT_PARAMETERS):
a whole school behind one address is never locked out by one person's typos. Guessing one
user's password from many addresses is stopped by a second, wider count: failures of the
username from any address over a longer window (``USERNAME_FAILURE_LIMIT`` in
``USERNAME_FAILURE_WINDOW``, read from axes' failure log), since the user's last sign-in.
"""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend
from axes.exceptions import AxesBackendPermissionDenied
from axes.models import AccessFailureLog
from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from carenet.accounts.forms import LoginForm


class LockoutBackend(AxesStandaloneBackend):
    """Refuses a locked-out login; the next backend checks the password.

    A login without a request (a command or a script calling ``authenticate``) is not a
    login from an address and is not counted.
    """

    def authenticate(self, request: HttpRequest | None, *args: Any, **kwargs: Any) -> None:
        if request is None:
            return None
        username = kwargs.get("username")
        if username and username_locked(username):
            request.axes_locked_out = True  # type: ignore[attr-defined]  # django-axes reads it
            request.carenet_username_locked = True  # type: ignore[attr-defined]  # our mark
            raise AxesBackendPermissionDenied("locked out: too many failures of this username")
        return super().authenticate(request, *args, **kwargs)


def username_locked(username: str) -> bool:
    """Whether the username failed ``USERNAME_FAILURE_LIMIT`` times, from any addresses,
    within ``USERNAME_FAILURE_WINDOW`` and since the user last signed in."""
    since = timezone.now() - settings.USERNAME_FAILURE_WINDOW
    last_login = (
        get_user_model().objects.filter(username=username).values_list("last_login", flat=True)
    ).first()
    if last_login is not None and last_login > since:
        since = last_login
    failures = AccessFailureLog.objects.filter(username=username, attempt_time__gt=since)
    return failures.count() >= settings.USERNAME_FAILURE_LIMIT


def client_ip(request: HttpRequest) -> str | None:
    """The client's address. ``REMOTE_ADDR``, unless CARENET_BEHIND_PROXY=1: then the last
    address of ``X-Forwarded-For``, the one the (single, trusted) reverse proxy appended —
    earlier entries come from the client and can be forged."""
    if settings.CARENET_BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-1]
    return request.META.get("REMOTE_ADDR")


def lockout_minutes() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)


def lockout_message(request: HttpRequest | None = None) -> str:
    if getattr(request, "carenet_username_locked", False):
        return _("该账户近期登录失败次数过多，已暂时锁定，请%(hours)s小时后再试或联系管理员。") % {
            "hours": int(settings.USERNAME_FAILURE_WINDOW.total_seconds() // 3600)
        }
    return _("登录失败次数过多，账户已暂时锁定，请%(minutes)s分钟后再试或联系管理员。") % {
        "minutes": lockout_minutes()
    }


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict | None = None,
) -> HttpResponse:
    """What a locked-out login gets (AXES_LOCKOUT_CALLABLE): 429 and a Chinese message —
    the API's own JSON answer on the API, the login page with the message elsewhere."""
    if request.path.startswith("/api/"):
        if original_response is not None and original_response.status_code == 429:
            return original_response
        return JsonResponse({"detail": lockout_message(request)}, status=429)
    username = (credentials or {}).get("username") or ""
    context = {
        "form": LoginForm(request, initial={"username": username}),
        "lockout_message": lockout_message(request),
        "next": request.POST.get("next", "") if request.method == "POST" else "",
    }
    return render(request, "registration/login.html", context, status=429)


def attempt_locked(request: HttpRequest, username: str) -> bool:
    """Whether sign-in attempts for ``username`` from this request are locked out (the same
    counts as the login: axes by username and address, and the username-wide count)."""
    from axes.handlers.proxy import AxesProxyHandler

    if username and username_locked(username):
        request.carenet_username_locked = True  # type: ignore[attr-defined]  # our mark
        return True
    return AxesProxyHandler.is_locked(request, credentials={"username": username})


def attempt_failed(request: HttpRequest, username: str) -> None:
    """Count a failed attempt that is not a password login (a wrong activation code) as a
    failed login: django-axes records it, so guessing codes locks out like passwords."""
    from django.contrib.auth.signals import user_login_failed

    user_login_failed.send(sender=__name__, credentials={"username": username}, request=request)
