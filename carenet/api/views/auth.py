from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router
from ninja.errors import HttpError

from carenet.accounts.lockout import attempt_failed, attempt_locked
from carenet.accounts.tokens import token_issue
from carenet.accounts.twofactor import confirmed_device, verify
from carenet.api.auth import LockedOut, credentials_check
from carenet.api.errors import FieldErrors
from carenet.api.schemas import (
    ActivateIn,
    ActivateOut,
    ErrorOut,
    TokenIn,
    TokenOut,
    ValidationErrorOut,
)

router = Router()


@router.post(
    "/token",
    auth=None,
    response={200: TokenOut, 401: ErrorOut, 422: ValidationErrorOut, 429: ErrorOut},
    summary="Issue a token",
)
def token_create(request: HttpRequest, payload: TokenIn) -> dict:
    """Trade a username and password for a token; the token is shown only this once.

    A user who turned two-factor sign-in on also gives the authenticator's current
    ``code``: the password alone opens no more through the API than on the web."""
    user = credentials_check(request, username=payload.username, password=payload.password)
    if user is None:
        raise HttpError(401, _("用户名或密码错误"))
    device = confirmed_device(user)
    if device is not None:
        if not payload.code:
            raise HttpError(
                401, _("该账户已开启两步验证：请在 code 字段填写验证器应用中的动态验证码。")
            )
        if not verify(device, payload.code):
            raise HttpError(401, _("动态验证码不正确或已过期。"))
    token, key = token_issue(user=user)
    return {"token": key, "expires": token.expires_at}


@router.post(
    "/activate",
    auth=None,
    response={200: ActivateOut, 400: ErrorOut, 422: ValidationErrorOut, 429: ErrorOut},
    summary="Activate an account",
)
def activate(request: HttpRequest, payload: ActivateIn) -> dict:
    """Set one's own password with the one-time activation code (the code is then spent).

    A wrong, spent or expired code answers 400 and counts as a failed login: repeated
    failures lock the username out (429) as wrong passwords do. A password the rules
    refuse answers 422 and leaves the code open."""
    from django.core.exceptions import ValidationError

    from carenet.accounts.people import account_activate
    from carenet.accounts.services import ActivationError

    if attempt_locked(request, payload.username):
        raise LockedOut
    try:
        account_activate(
            request=request,
            username=payload.username,
            code=payload.code,
            password=payload.password,
        )
    except ActivationError as exc:
        attempt_failed(request, payload.username)
        if attempt_locked(request, payload.username):
            raise LockedOut from None
        raise HttpError(400, str(exc)) from None
    except ValidationError as exc:
        raise FieldErrors(
            [{"field": "password", "message": message} for message in exc.messages]
        ) from None
    return {"detail": _("账户已激活，请用新密码登录。")}
