"""API tokens: issuing, using and revoking them. A token is a credential of an account (as
its password), so it lives in accounts; the API authenticates with it (``api.auth``)."""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.contrib.auth.models import User
from django.utils import timezone

from carenet.accounts.models import ApiToken

TOKEN_PREFIX = "cn_"
# A token's last use is recorded at most this often, so reads do not all write.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


def token_issue(*, user: User) -> tuple[ApiToken, str]:
    """A new token for the user, valid ``settings.API_TOKEN_DAYS``; returns the row and the
    plaintext key, which is not stored and cannot be shown again."""
    key = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        key_hash=ApiToken.hash_key(key),
        expires_at=timezone.now() + dt.timedelta(days=settings.API_TOKEN_DAYS),
        password_mark=user.get_session_auth_hash(),
    )
    return token, key


def token_authenticate(key: str) -> ApiToken | None:
    """The usable token with this key, its use recorded; None for any other key."""
    if not key or len(key) > 200:
        return None
    token = ApiToken.objects.select_related("user").filter(key_hash=ApiToken.hash_key(key)).first()
    now = timezone.now()
    if token is None:
        return None
    if not token.issued_under_current_password():
        # The password changed by a path that did not revoke (the admin, a command).
        token_revoke(token=token)
        return None
    if not token.is_usable(now=now):
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def token_revoke(*, token: ApiToken) -> None:
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


def tokens_revoke_all(*, user: User) -> int:
    """Revoke every live token of the user (a password changed, two-factor turned on);
    returns how many."""
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
