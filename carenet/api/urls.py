"""``/api/v1/``: the NinjaAPI, with JSON answers for unknown paths and wrong methods too."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import URLPattern, re_path
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from carenet.api.views.api import api


def _json_method_not_allowed(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if response.status_code == 405:
            return JsonResponse(
                {"detail": _("不支持此请求方法")}, status=405, headers={"Allow": response["Allow"]}
            )
        return response

    return wrapped


def api_root(request: HttpRequest, **kwargs) -> JsonResponse:
    """``/api/v1/``: where the OpenAPI document is (ninja's own root only raises 404)."""
    return JsonResponse(
        {"name": api.title, "version": api.version, "openapi": request.path + "openapi.json"}
    )


@csrf_exempt
def not_found(request: HttpRequest, rest: str = "") -> JsonResponse:
    return JsonResponse({"detail": _("未找到")}, status=404)


api_patterns, _app_name, app_name = api.urls  # ninja names the namespace "api"
for pattern in api_patterns:
    if isinstance(pattern, URLPattern):
        if pattern.name == "api-root":
            pattern.callback = api_root
        else:
            pattern.callback = _json_method_not_allowed(pattern.callback)

urlpatterns = [
    *api_patterns,
    re_path(r"^(?P<rest>.*)$", not_found),
]
