"""Sessions of users with a second factor stay unverified until they enter a code."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from carenet.accounts.twofactor import confirmed_device

# Paths an unverified session may still reach (besides the verification page itself).
OPEN_PREFIXES = ("/logout/", "/i18n/", "/static/", "/api/", "/healthz")


class SecondFactorMiddleware:
    """After OTPMiddleware: a signed-in user with a confirmed device whose session is not
    verified is sent to the verification step from every page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        verify_url = reverse("account_otp_verify")
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith((verify_url, *OPEN_PREFIXES))
            and not user.is_verified()
            and confirmed_device(user) is not None
        ):
            query = urlencode({"next": request.get_full_path()})
            return HttpResponseRedirect(f"{verify_url}?{query}")
        return self.get_response(request)
