"""Every API error is JSON ``{"detail": …}``; validation errors list the fields.

A 422 answers ``{"detail": [{"field": "father.phone", "message": "…"}, …]}`` where
``field`` is the name as in the JSON body or the query string (dotted for nested
objects, with list indexes: ``family.0.phone``) and ``message`` is a Chinese sentence.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.db import connections
from django.http import Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from carenet.accounts.lockout import lockout_message
from carenet.api.auth import LockedOut

logger = logging.getLogger(__name__)

FieldError = dict[str, str]


class FieldErrors(Exception):
    """Raised by a handler when input fails validation beyond the schema (forms, scope)."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors
        super().__init__(errors)

    @classmethod
    def one(cls, field: str, message: str) -> FieldErrors:
        return cls([{"field": field, "message": message}])


def field_name(loc: Iterable[Any]) -> str:
    """``("body", "payload", "father", "phone")`` → ``"father.phone"``; ``("query", "page")``
    → ``"page"``. The source and the handler's body parameter are not the client's names."""
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header", "cookie", "form"):
        source = parts.pop(0)
        if source == "body" and parts and parts[0] == "payload":
            parts.pop(0)
    return ".".join(str(p) for p in parts)


def pydantic_message(error: Mapping[str, Any]) -> str:
    """A Chinese sentence for one pydantic error."""
    kind: str = error.get("type", "")
    ctx: Mapping[str, Any] = error.get("ctx") or {}
    if kind == "missing":
        return _("必须填写此项")
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return _("应为整数")
    if kind in ("bool_parsing", "bool_type"):
        return _("应为 true 或 false")
    if kind.startswith("date") or kind.startswith("datetime"):
        return _("应为 YYYY-MM-DD 格式的日期")
    if kind == "string_type":
        return _("应为文本")
    if kind in ("list_type", "tuple_type", "set_type"):
        return _("应为列表")
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return _("应为 JSON 对象")
    if kind == "greater_than_equal":
        return _("不能小于 %(n)s") % {"n": ctx.get("ge")}
    if kind == "greater_than":
        return _("应大于 %(n)s") % {"n": ctx.get("gt")}
    if kind == "less_than_equal":
        return _("不能大于 %(n)s") % {"n": ctx.get("le")}
    if kind == "less_than":
        return _("应小于 %(n)s") % {"n": ctx.get("lt")}
    if kind == "string_too_long":
        return _("不能超过 %(n)s 个字符") % {"n": ctx.get("max_length")}
    if kind == "string_too_short":
        return _("不能少于 %(n)s 个字符") % {"n": ctx.get("min_length")}
    if kind in ("enum", "literal_error"):
        expected = str(ctx.get("expected", ""))
        values = re.findall(r"'([^']*)'", expected) or [expected]
        return _("取值无效，应为 %(values)s 之一") % {"values": "、".join(values)}
    if kind == "value_error" and ctx.get("error"):
        return str(ctx["error"])
    return _("取值无效")


def _json(api: NinjaAPI, request: HttpRequest, detail: Any, status: int) -> HttpResponse:
    return api.create_response(request, {"detail": detail}, status=status)


def install_error_handlers(api: NinjaAPI) -> None:
    """Replace ninja's default handlers so that every answer is ``{"detail": …}`` in Chinese."""

    @api.exception_handler(ValidationError)
    def _validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        errors = [
            {"field": field_name(e.get("loc", ())), "message": pydantic_message(e)}
            for e in exc.errors
        ]
        return _json(api, request, errors, 422)

    @api.exception_handler(FieldErrors)
    def _field_errors(request: HttpRequest, exc: FieldErrors) -> HttpResponse:
        return _json(api, request, exc.errors, 422)

    @api.exception_handler(AuthenticationError)
    def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        response = _json(api, request, _("未登录或访问令牌无效、已过期"), 401)
        response["WWW-Authenticate"] = "Bearer"
        return response

    @api.exception_handler(LockedOut)
    def _locked_out(request: HttpRequest, exc: LockedOut) -> HttpResponse:
        return _json(api, request, lockout_message(request), 429)

    @api.exception_handler(HttpError)
    def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        message = str(exc)
        if exc.status_code == 400 and message.startswith("Cannot parse request body"):
            message = _("请求内容不是有效的 JSON")
        elif exc.status_code == 429:
            message = _("请求过于频繁，请稍后再试")
        return _json(api, request, message, exc.status_code)

    @api.exception_handler(MultiPartParserError)
    def _bad_body(request: HttpRequest, exc: MultiPartParserError) -> HttpResponse:
        # A form body that cannot be parsed (e.g. multipart without a boundary), read by
        # the login hooks (django-axes reads request.POST): the client's fault, not ours.
        return _json(api, request, _("请求内容不是有效的 JSON"), 400)

    @api.exception_handler(Http404)
    def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return _json(api, request, _("未找到"), 404)

    @api.exception_handler(Exception)
    def _server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
        if settings.DEBUG:
            raise exc
        logger.exception("API error on %s %s", request.method, request.path)
        for connection in connections.all(initialized_only=True):
            if connection.in_atomic_block:
                connection.set_rollback(True)
        return _json(api, request, _("服务器内部错误"), 500)
