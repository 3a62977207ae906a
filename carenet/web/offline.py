"""The app on a phone without signal: the web app manifest, the service worker, the
outbox page (also the page shown offline for a page never opened) and the session
answer the offline queue reads before it sends.

The service worker is served by a view at ``/sw.js`` so that its scope is the whole
site and it names the static files by the URLs the pages use (``{% static %}``, hashed
by the manifest storage): a new deployment changes its text, and the browser installs
it. The queue itself (IndexedDB, sending, the 待发送 count) is in
``static/carenet/offline.js``; it posts each record to the API under an
``Idempotency-Key`` made when the form was opened, so a record is filed exactly once.
"""

from __future__ import annotations

import hashlib
import json

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

# The static files every page loads: cached when the service worker installs, so that a
# page opened online also works offline. Others are cached the first time a page uses
# them.
PRECACHE_STATIC = (
    "vendor/bootstrap/bootstrap.min.css",
    "vendor/bootstrap/bootstrap.bundle.min.js",
    "vendor/htmx/htmx.min.js",
    "carenet/app.css",
    "carenet/app.js",
    "carenet/offline.js",
    "carenet/offline.css",
    "carenet/favicon.svg",
    "carenet/icon-192.png",
)
THEME_COLOR = "#198754"


@require_GET
def manifest(request: HttpRequest) -> JsonResponse:
    """The web app manifest: 关爱网 installs to the home screen and opens full screen."""
    icons = [
        {"src": static(f"carenet/icon-{size}.png"), "sizes": f"{size}x{size}", "type": "image/png"}
        for size in (192, 512)
    ]
    body = {
        "name": _("关爱网"),
        "short_name": _("关爱网"),
        "lang": "zh-CN",
        "start_url": reverse("home"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": THEME_COLOR,
        "icons": icons + [{**icon, "purpose": "maskable"} for icon in icons],
    }
    response = JsonResponse(body, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json"
    return response


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """``/sw.js``: the service worker, at the site root so that it controls every page;
    never cached by the browser's HTTP cache, so a new version is found at once."""
    precache = [static(name) for name in PRECACHE_STATIC]
    version = hashlib.sha256("\n".join(precache).encode()).hexdigest()[:12]
    script = render_to_string(
        "web/offline/sw.js",
        {
            "precache_json": json.dumps(precache),
            "version": version,
            "outbox_url": reverse("offline_outbox"),
        },
    )
    response = HttpResponse(script, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = "/"
    return response


@require_GET
def outbox(request: HttpRequest) -> HttpResponse:
    """手机上的记录: what waits on this phone to be sent, and what could not be sent, with
    retry and delete. Filled in by offline.js from the phone's own store; the page holds
    nothing personal, so it is cached for offline use and shown for pages never opened."""
    return render(request, "web/offline/outbox.html", {"offline_page": True})


@never_cache
@require_GET
def session(request: HttpRequest) -> JsonResponse:
    """Who is signed in and a fresh CSRF token: the queue reads this before it sends, so
    it sends only the records of the person signed in, with a token that is valid now."""
    user = request.user
    if not user.is_authenticated:
        return JsonResponse({"user": None})
    return JsonResponse({"user": user.pk, "csrf": get_token(request)})
