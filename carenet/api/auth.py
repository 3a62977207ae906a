"""Bearer-token authentication for the API, and the login hook for lockouts."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.http import HttpRequest
from ninja.security import HttpBearer

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
