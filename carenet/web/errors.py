"""The 400 page: for a host not in ALLOWED_HOSTS, say which setting to change.

Django turns ``DisallowedHost`` (raised by ``request.get_host()`` in the middleware) into
a 400 through ``handler400``; its default page says nothing of the cause. Rendered
without the request and its context processors: they would ask for the host again."""

from __future__ import annotations

from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.http.request import split_domain_port
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token


def unknown_host(request: HttpRequest) -> str:
    """The host name (without the port) the request asked for, or "" when the header is
    not a valid host name at all (then there is nothing to add)."""
    domain, _port = split_domain_port(request._get_raw_host())  # type: ignore[attr-defined]  # the unvalidated host
    return domain


@requires_csrf_token
def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    context: dict[str, object] = {}
    if isinstance(exception, DisallowedHost):
        context = {"disallowed_host": True, "host": unknown_host(request)}
    return HttpResponseBadRequest(loader.get_template("400.html").render(context))
