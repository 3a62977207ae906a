"""Model fields declared alike in many tables."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise


def user_field(verbose_name: str | _StrPromise, *, related_name: str = "+") -> Any:
    """A nullable reference to the user who did something (recorded, closed, reported):
    kept as NULL when the account is deleted, so that the record outlives its author."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name=related_name,
        verbose_name=verbose_name,
    )
