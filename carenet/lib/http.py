"""Request types for views behind a login: their ``request.user`` is a signed-in user."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.http import HttpRequest


class AuthenticatedRequest(HttpRequest):
    """The request of a view behind ``login_required`` (or an API route behind its bearer
    token): the type checker then knows ``request.user`` is a ``User``, never anonymous.
    Only an annotation: Django still builds a plain ``HttpRequest``."""

    user: User
