"""What the people pages and the staff import do: each action checks that the actor may
manage the person (``carenet.accounts.access``), writes, and leaves an access-log entry.

Refused actions raise ``PermissionDenied``; bad input raises ``ValidationError`` with a
Chinese message. Phones never reach the log.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from carenet.accounts.access import may_grant, may_manage
from carenet.accounts.models import ActivationCode
from carenet.accounts.services import (
    IssuedCode,
    activation_issue,
    activation_redeem,
    membership_grant,
    person_create,
    person_find,
    person_of,
    role_label,
)
from carenet.accounts.tokens import tokens_revoke_all
from carenet.audit.models import AccessAction
from carenet.audit.services import audit_log
from carenet.lib.names import user_name
from carenet.orgs.models import Membership, Org
from carenet.pairing.services import mentor_leave


@dataclass(frozen=True)
class Grant:
    """A role to give at an org (``title``: 班主任 / 任课教师 for a teacher at a class)."""

    role: str
    org: Org
    title: str = ""


def _who(user: User) -> str:
    person = person_of(user)
    name = person.name if person is not None else user_name(user)
    return f"{name}（{user.get_username()}）"


def _county(user: User, fallback: str = "") -> str:
    person = person_of(user)
    return person.county_code if person is not None else fallback


def _check_grants(actor: User, grants: Sequence[Grant]) -> None:
    if not grants:
        raise ValidationError(_("请至少选择一个角色和单位。"))
    for grant in grants:
        if not may_grant(actor, role=grant.role, org=grant.org):
            raise PermissionDenied


def _check_managed(actor: User, user: User) -> None:
    if not may_manage(actor, user):
        raise PermissionDenied


def _grants_text(grants: Sequence[Grant]) -> str:
    return "、".join(f"{g.org.name}{role_label(g.role)}" for g in grants)


@transaction.atomic
def person_add(
    *,
    request: HttpRequest | None,
    actor: User,
    name: str,
    phone: str,
    grants: Sequence[Grant],
) -> IssuedCode:
    """Add one person by hand with their roles; their activation code is returned (once)."""
    _check_grants(actor, grants)
    county_code = grants[0].org.county_code
    existing = person_find(county_code=county_code, phone=phone)
    if existing is not None:
        raise ValidationError(
            _("该手机号已登记为 %(name)s（%(username)s），请在其详情页添加角色。")
            % {"name": existing.name, "username": existing.user.get_username()}
        )
    user = person_create(name=name, phone=phone, county_code=county_code)
    for grant in grants:
        membership_grant(user=user, org=grant.org, role=grant.role, title=grant.title)
    issued = activation_issue(user=user, actor=actor)
    audit_log(
        request=request,
        user=actor,
        action=AccessAction.PERSON_CREATE,
        detail=_("新建 %(who)s：%(grants)s") % {"who": _who(user), "grants": _grants_text(grants)},
        county_code=county_code,
    )
    return issued


@transaction.atomic
def person_grants_add(
    *,
    request: HttpRequest | None,
    actor: User,
    user: User,
    grants: Sequence[Grant],
) -> int:
    """Give a managed person more roles; returns how many were new."""
    _check_managed(actor, user)
    _check_grants(actor, grants)
    added = sum(
        membership_grant(user=user, org=g.org, role=g.role, title=g.title)[1] for g in grants
    )
    if added:
        audit_log(
            request=request,
            user=actor,
            action=AccessAction.PERSON_ROLES,
            detail=_("%(who)s 增加角色：%(grants)s")
            % {"who": _who(user), "grants": _grants_text(grants)},
            county_code=_county(user, grants[0].org.county_code),
        )
    return added


@transaction.atomic
def person_membership_remove(
    *,
    request: HttpRequest | None,
    actor: User,
    membership: Membership,
) -> None:
    """Take one role away from a managed person; their last role stays (a person without
    any role would fall out of their school's sight)."""
    user = membership.user
    _check_managed(actor, user)
    if not may_grant(actor, role=membership.role, org=membership.org):
        raise PermissionDenied
    if not Membership.objects.filter(user=user).exclude(pk=membership.pk).exists():
        raise ValidationError(_("不能删除唯一的角色；不再任职请停用账户。"))
    text = f"{membership.org.name}{role_label(membership.role)}"
    membership.delete()
    audit_log(
        request=request,
        user=actor,
        action=AccessAction.PERSON_ROLES,
        detail=_("%(who)s 删除角色：%(grant)s") % {"who": _who(user), "grant": text},
        county_code=_county(user, membership.org.county_code),
    )


@transaction.atomic
def person_deactivate(
    *,
    request: HttpRequest | None,
    actor: User,
    user: User,
    successor: User | None,
    on: dt.date | None = None,
) -> int:
    """Stop an account: it can no longer sign in or use an API token. Its mentees go to
    ``successor`` (a teacher of their school), or wait unpaired for the principal.
    Returns the number of mentees handed over or released."""
    _check_managed(actor, user)
    if not user.is_active:
        return 0
    if successor is not None and not (successor.is_active and successor.pk != user.pk):
        raise ValidationError(_("接收人须是在职的另一位教师。"))
    on = on or timezone.localdate()
    moved = mentor_leave(
        actor=actor, mentor=user, successor=successor, on=on, reason=_("教师账户停用")
    )
    user.is_active = False
    user.save(update_fields=["is_active"])
    tokens_revoke_all(user=user)
    ActivationCode.objects.filter(user=user, used_at__isnull=True).update(used_at=timezone.now())
    if successor is not None:
        detail = _("停用 %(who)s，%(n)d 名结对儿童移交 %(to)s") % {
            "who": _who(user),
            "n": moved,
            "to": _who(successor),
        }
    else:
        detail = _("停用 %(who)s，%(n)d 名结对儿童待重新结对") % {"who": _who(user), "n": moved}
    audit_log(
        request=request,
        user=actor,
        action=AccessAction.PERSON_DEACTIVATE,
        detail=detail,
        county_code=_county(user),
    )
    return moved


@transaction.atomic
def person_reactivate(*, request: HttpRequest | None, actor: User, user: User) -> None:
    _check_managed(actor, user)
    if user.is_active:
        return
    user.is_active = True
    user.save(update_fields=["is_active"])
    audit_log(
        request=request,
        user=actor,
        action=AccessAction.PERSON_REACTIVATE,
        detail=_("恢复 %(who)s") % {"who": _who(user)},
        county_code=_county(user),
    )


@transaction.atomic
def person_reset(*, request: HttpRequest | None, actor: User, user: User) -> IssuedCode:
    """A new activation code; the old password stops working and API tokens are revoked."""
    _check_managed(actor, user)
    if not user.is_active:
        raise ValidationError(_("账户已停用，请先恢复。"))
    issued = activation_issue(user=user, actor=actor, reset_password=True)
    audit_log(
        request=request,
        user=actor,
        action=AccessAction.PERSON_RESET,
        detail=_("重置 %(who)s 的密码，发放新激活码") % {"who": _who(user)},
        county_code=_county(user),
    )
    return issued


@transaction.atomic
def activation_sheet_issue(
    *,
    request: HttpRequest | None,
    actor: User,
    users: Sequence[User],
) -> list[IssuedCode]:
    """New codes for people who have not activated yet (for a printed activation sheet);
    people who already chose a password are left alone."""
    issued = []
    for user in users:
        _check_managed(actor, user)
        if user.is_active and not user.has_usable_password():
            issued.append(activation_issue(user=user, actor=actor))
    if issued:
        audit_log(
            request=request,
            user=actor,
            action=AccessAction.PERSON_RESET,
            detail=_("打印激活单 %(n)d 人") % {"n": len(issued)},
            county_code=_county(issued[0].user),
        )
    return issued


def account_activate(
    *, request: HttpRequest | None, username: str, code: str, password: str
) -> User:
    """The user's own activation (see ``activation_redeem``), logged."""
    user = activation_redeem(username=username, code=code, password=password)
    audit_log(
        request=request,
        user=user,
        action=AccessAction.ACCOUNT_ACTIVATE,
        detail=_("设置密码"),
        county_code=_county(user),
    )
    return user
