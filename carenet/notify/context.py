"""Template context: the unread badge in the navbar (one COUNT query)."""

from __future__ import annotations

from django.http import HttpRequest

from carenet.notify.selectors import unread_count


def inbox(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": unread_count(user)}
