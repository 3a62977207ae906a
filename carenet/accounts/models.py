"""People: a profile per user (name, phone) and one-time activation codes.

A person's roles are ``carenet.orgs.models.Membership`` rows: a new kind of user (a parent
far away, a volunteer) is a new ``Role`` value and its memberships, never a new model.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext_lazy as _

from carenet.lib.crypto import EncryptedCharField


class Person(models.Model):
    """The person behind a user account. The phone is encrypted at rest and found through
    its keyed hash (``phone_hash``), unique within a county."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="person",
        verbose_name=_("用户"),
    )
    name = models.CharField(_("姓名"), max_length=50)
    phone = EncryptedCharField(_("手机号"), blank=True, default="")
    phone_hash = models.CharField(max_length=64, blank=True, default="", editable=False)
    county_code = models.CharField(_("县级区划代码"), max_length=6, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("人员")
        verbose_name_plural = _("人员")
        constraints = [
            models.UniqueConstraint(
                fields=["county_code", "phone_hash"],
                condition=~Q(phone_hash=""),
                name="person_phone_unique_in_county",
            )
        ]

    def __str__(self) -> str:
        return self.name


class ActivationCode(models.Model):
    """A one-time code with which a user sets their own password. Only a keyed hash of the
    code is stored; the code itself is shown once, to whoever created it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="activation_codes"
    )
    code_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    expires_at = models.DateTimeField(_("过期时间"))
    used_at = models.DateTimeField(_("使用时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("激活码")
        verbose_name_plural = _("激活码")
        indexes = [models.Index(fields=["user", "used_at"])]

    def __str__(self) -> str:
        return f"{self.user} · {self.created_at:%Y-%m-%d}"

    def is_open(self, *, now=None) -> bool:
        now = now or timezone.now()
        return self.used_at is None and self.expires_at > now


class ApiToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("用户"),
    )
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    expires_at = models.DateTimeField(_("过期时间"))
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    # The user's session hash (a keyed digest of the password hash) when the token was
    # issued: once the password changes, by any path, the token no longer opens the API.
    password_mark = models.CharField(max_length=128, blank=True, editable=False)

    class Meta:
        db_table = "api_apitoken"  # created by the api app, moved here unchanged
        verbose_name = _("接口令牌")
        verbose_name_plural = _("接口令牌")

    def __str__(self) -> str:
        return f"{self.user} · {self.created_at:%Y-%m-%d %H:%M}"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode("utf-8")).hexdigest()

    def is_usable(self, *, now: dt.datetime | None = None) -> bool:
        """Neither revoked nor expired, its user still active and with the password the
        token was issued under."""
        now = now or timezone.now()
        return (
            self.revoked_at is None
            and self.expires_at > now
            and self.user.is_active
            and self.issued_under_current_password()
        )

    def issued_under_current_password(self) -> bool:
        return constant_time_compare(self.password_mark, self.user.get_session_auth_hash())
