"""Writes about people: create a person, their memberships, one-time activation codes.

Nobody ever sees or sets another user's password: a new (or reset) account has an unusable
password and a one-time code, stored only as a keyed hash, with which its owner chooses one.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _

from carenet.accounts.models import ActivationCode, Person
from carenet.accounts.tokens import tokens_revoke_all
from carenet.lib.crypto import blind_index
from carenet.lib.names import clean_name, name_pinyin
from carenet.orgs.models import Membership, Org, Role

# Letters and digits that cannot be mistaken for one another on paper (no 0/O, 1/I/L).
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
USERNAME_MAX = 150


class ActivationError(Exception):
    """A wrong, spent or expired code (one message for all: nothing is revealed)."""


def phone_hash(phone: str) -> str:
    """The keyed hash a staff phone is found by (the canonical form from parse_phone).
    Plain ``blind_index`` of the value, so that a key rotation recomputes it
    (``carenet.audit.keys.BLIND_INDEXES``)."""
    return blind_index(phone) if phone else ""


def _code_hash(user_pk: int, code: str) -> str:
    return blind_index(f"activation:{user_pk}:{code_normalise(code)}")


def code_normalise(code: str) -> str:
    """What a user typed → the code: no spaces or dashes, upper case."""
    return "".join(ch for ch in str(code).upper() if ch.isalnum())


def code_display(code: str) -> str:
    """ABCD-EFGH: easier to read out and copy."""
    return f"{code[:4]}-{code[4:]}"


def username_for(name: str, *, taken: set[str] | None = None) -> str:
    """A free username from the name's pinyin: 王芳 → wangfang, then wangfang2, …"""
    base = name_pinyin(name)[0][: USERNAME_MAX - 6] or "user"
    taken = taken if taken is not None else set()
    User = get_user_model()
    existing = set(
        User.objects.filter(username__startswith=base).values_list("username", flat=True)
    )
    candidate, number = base, 1
    while candidate in existing or candidate in taken:
        number += 1
        candidate = f"{base}{number}"
    taken.add(candidate)
    return candidate


def person_find(*, county_code: str, phone: str) -> Person | None:
    if not phone:
        return None
    return (
        Person.objects.filter(county_code=county_code, phone_hash=phone_hash(phone))
        .select_related("user")
        .first()
    )


@transaction.atomic
def person_create(*, name: str, phone: str, county_code: str, username: str | None = None) -> User:
    """A new user with their profile and an unusable password (they activate it)."""
    name = clean_name(name)
    user = get_user_model()(username=username or username_for(name), first_name=name)
    user.set_unusable_password()
    user.save()
    Person.objects.create(
        user=user, name=name, phone=phone, phone_hash=phone_hash(phone), county_code=county_code
    )
    return user


def person_of(user: User) -> Person | None:
    try:
        return user.person
    except Person.DoesNotExist:
        return None


def membership_grant(
    *, user: User, org: Org, role: str, title: str = ""
) -> tuple[Membership, bool]:
    """The membership, created if missing (True); a class teacher's title wins over a
    subject teacher's on the same class."""
    membership, created = Membership.objects.get_or_create(
        user=user, org=org, role=role, defaults={"title": title}
    )
    if not created and title and membership.title != title and title == CLASS_TEACHER_TITLE:
        membership.title = title
        membership.save(update_fields=["title"])
    return membership, created


CLASS_TEACHER_TITLE = "班主任"
SUBJECT_TEACHER_TITLE = "任课教师"


def role_label(role: str) -> str:
    return str(Role(role).label) if role in Role.values else role


# ------------------------------------------------------------------- activation codes


@dataclass(frozen=True)
class IssuedCode:
    user: User
    code: str  # shown once
    expires_at: dt.datetime

    @property
    def display(self) -> str:
        return code_display(self.code)


@transaction.atomic
def activation_issue(*, user: User, actor: User | None, reset_password: bool = False) -> IssuedCode:
    """A new one-time code for the user; any earlier open code stops working. With
    ``reset_password`` the user's password becomes unusable and their API tokens are
    revoked (a reset: the old password opens nothing any more)."""
    now = timezone.now()
    ActivationCode.objects.filter(user=user, used_at__isnull=True).update(used_at=now)
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    expires = now + settings.ACTIVATION_CODE_VALIDITY
    ActivationCode.objects.create(
        user=user,
        code_hash=_code_hash(user.pk, code),
        created_at=now,
        expires_at=expires,
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )
    if reset_password:
        user.set_unusable_password()
        user.save(update_fields=["password"])
        tokens_revoke_all(user=user)
    return IssuedCode(user=user, code=code, expires_at=expires)


def activation_check(*, username: str, code: str) -> tuple[User, ActivationCode]:
    """The active user and their open code matching ``code``, or ActivationError."""
    wrong = ActivationError(_("用户名或激活码不正确，或激活码已使用、已过期。"))
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None or not code_normalise(code):
        raise wrong
    wanted = _code_hash(user.pk, code)
    now = timezone.now()
    for row in ActivationCode.objects.filter(user=user, used_at__isnull=True, expires_at__gt=now):
        if constant_time_compare(row.code_hash, wanted):
            return user, row
    raise wrong


@transaction.atomic
def activation_redeem(*, username: str, code: str, password: str) -> User:
    """Set the user's own password with their code; the code is then spent.

    ActivationError for a wrong, spent or expired code; django's ValidationError (Chinese
    messages) for a password the validators refuse, and then the code stays open."""
    user, row = activation_check(username=username, code=code)
    validate_password(password, user)
    spent = ActivationCode.objects.filter(pk=row.pk, used_at__isnull=True).update(
        used_at=timezone.now()
    )
    if not spent:  # redeemed at the same moment by another request
        raise ActivationError(_("用户名或激活码不正确，或激活码已使用、已过期。"))
    user.set_password(password)
    user.save(update_fields=["password"])
    return user


def activation_pending(user: User) -> bool:
    """Whether the user has not chosen a password yet (new or reset)."""
    return not user.has_usable_password()
