"""Short messages (SMS, WeChat…) behind one pluggable interface.

``settings.CARENET_SMS_SENDER`` names the class (dotted path); the default
``LogSender`` only writes to the log. A sender looks up the user's number itself:
nothing here — nor any log line — ever carries a phone or an ID number."""

from __future__ import annotations

import logging
from functools import cache
from typing import Protocol

from django.conf import settings
from django.contrib.auth.models import User
from django.utils.module_loading import import_string

logger = logging.getLogger("carenet.notify")


class Sender(Protocol):
    def send(self, user: User, message: str) -> bool:
        """Send ``message`` to ``user``; True when it went out."""


class LogSender:
    """Logs who would get a message (by user id) and the message; sends nothing."""

    def send(self, user: User, message: str) -> bool:
        logger.info("short message to user #%s: %s", user.pk, message)
        return True


class NullSender:
    """Sends nothing (for installations without SMS/WeChat)."""

    def send(self, user: User, message: str) -> bool:
        return False


@cache
def _sender_class(path: str) -> type:
    return import_string(path)


def get_sender() -> Sender:
    return _sender_class(settings.CARENET_SMS_SENDER)()
