"""Bearer-token authentication for the API, and the login hook for lockouts."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.http import HttpRequest
from ninja.security import APIKeyCookie, HttpBearer

from carenet.accounts.tokens import token_authenticate


class BearerAuth(HttpBearer):
    """``Authorization: Bearer <token>``. The token's user becomes ``request.user`` so the
    selectors scope API calls exactly as they scope pages."""

    openapi_description = "Token from POST /api/v1/auth/token"

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        api_token = token_authenticate(token)
        if api_token is None:
            return None
        request.user = api_token.user
        return api_token.user


class BrowserSessionAuth(APIKeyCookie):
    """The signed-in browser's session, with Django's CSRF check (``X-CSRFToken``): the
    phone's offline queue sends its records this way (carenet.web.offline). A request
    without a signed-in session is left to the bearer token, so it still answers 401."""

    param_name = settings.SESSION_COOKIE_NAME
    openapi_description = "The web UI's session cookie, with the X-CSRFToken header"

    def _get_key(self, request: HttpRequest) -> str | None:
        user = getattr(request, "user", None)
        if not (isinstance(user, User) and user.is_active):
            return None  # no signed-in session: 401 as for a missing token
        return super()._get_key(request)  # refuses a missing or wrong CSRF token (403)

    def authenticate(self, request: HttpRequest, key: str | None) -> User | None:
        return request.user if key and isinstance(request.user, User) else None


class LockedOut(Exception):
    """Too many failed logins for these credentials or this address (answered 429)."""


def credentials_check(request: HttpRequest, *, username: str, password: str) -> User | None:
    """The user these credentials log in, or None; ``LockedOut`` once locked out.

    Lockout is left to an authentication backend: one that refuses a locked-out login
    marks the request ``axes_locked_out`` (django-axes does exactly this), so adding
    such a backend to the settings is all a lockout needs here.
    """
    user = authenticate(request, username=username, password=password)
    if getattr(request, "axes_locked_out", False):
        raise LockedOut
    return user
