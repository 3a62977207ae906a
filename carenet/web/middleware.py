"""A new site sends every page to its setup page until its first administrator exists."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from carenet.orgs.selectors import setup_open, user_memberships

# Paths that answer as usual while the site waits for its first administrator.
SETUP_OPEN_PREFIXES = (
    "/setup/",
    settings.STATIC_URL,
    "/healthz",
    "/login/",
    "/logout/",
    "/api/",
    "/i18n/",
    "/privacy/",
)


class SetupMiddleware:
    """While nobody has a role anywhere (``setup_open``: no county yet, or a county set up
    from the command line without staff), every page but the open ones above redirects to
    the setup page, where the first county administrator is made. A signed-in user with a
    role costs no query (their memberships are read once per request anyway)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(SETUP_OPEN_PREFIXES) and self._waiting(request):
            return HttpResponseRedirect(reverse("setup"))
        return self.get_response(request)

    @staticmethod
    def _waiting(request: HttpRequest) -> bool:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user_memberships(user):
            return False
        return setup_open()
