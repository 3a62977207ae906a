"""The logged "show" of ID numbers and phones.

Roles that need contacts (``Permission.SEE_CONTACTS``) see them masked until they press 显示; the
press is a POST that writes a ``reveal_contacts`` access log entry and unmasks that child's
file for ``REVEAL_MINUTES`` in the user's session. Roles without the right never see them.
"""

from __future__ import annotations

import time

from django.http import HttpRequest

from carenet.children.models import Child

REVEAL_MINUTES = 5
SESSION_KEY = "carenet_revealed"


def is_revealed(request: HttpRequest, child: Child) -> bool:
    """Whether the user pressed 显示 for this child in the last few minutes."""
    revealed = request.session.get(SESSION_KEY) or {}
    until = revealed.get(str(child.pk))
    return until is not None and until > time.time()


def mark_revealed(request: HttpRequest, child: Child) -> None:
    now = time.time()
    revealed = {
        pk: until for pk, until in (request.session.get(SESSION_KEY) or {}).items() if until > now
    }
    revealed[str(child.pk)] = now + REVEAL_MINUTES * 60
    request.session[SESSION_KEY] = revealed
