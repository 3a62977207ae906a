"""Writes of the org tree: a county from the official division codes, its first
administrator."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from carenet.orgs.divisions import (
    COUNTY_DIGITS,
    County,
    DivisionSource,
    OfficialDivisions,
    Place,
)
from carenet.orgs.models import Membership, Org, OrgKind, Role
from carenet.orgs.selectors import setup_open

BATCH = 1000
PLACE_KINDS = (OrgKind.TOWNSHIP, OrgKind.VILLAGE)


class SetupError(Exception):
    """A county that cannot be set up: a bad or unknown code (the message says which and
    names the counties the user may have meant)."""

    def __init__(self, message: str, *, near: list[Place] | None = None) -> None:
        super().__init__(message)
        self.near = near or []


@dataclass(frozen=True)
class CountySetupResult:
    county: Org
    region: str  # province and city (安徽省安庆市)
    townships: int  # open townships, towns and streets now
    villages: int  # open villages and communities now
    created: int = 0
    renamed: int = 0
    closed: int = 0
    reopened: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.renamed or self.closed or self.reopened)

    def as_json(self) -> dict[str, Any]:
        return {"county": self.county.code, "townships": self.townships, "villages": self.villages}

    def describe(self) -> str:
        head = _(
            "%(region)s%(name)s（%(code)s）："
            "%(townships)d 个乡镇（街道）、%(villages)d 个村（社区）"
        ) % {
            "region": self.region,
            "name": self.county.name,
            "code": self.county.code,
            "townships": self.townships,
            "villages": self.villages,
        }
        if not self.changed:
            return head + _("，与区划代码一致，未作改动。")
        return head + _(
            "；新建 %(created)d 个，更名 %(renamed)d 个，撤销 %(closed)d 个，恢复 %(reopened)d 个。"
        ) % {
            "created": self.created,
            "renamed": self.renamed,
            "closed": self.closed,
            "reopened": self.reopened,
        }


def county_code_check(code: str) -> str:
    """The code, stripped, if it is six digits; else SetupError."""
    code = code.strip()
    if len(code) != COUNTY_DIGITS or not code.isdigit():
        raise SetupError(
            _("县级区划代码应为 6 位数字（如望江县 340827），不是“%(code)s”") % {"code": code}
        )
    return code


def county_division(*, code: str, source: DivisionSource | None = None) -> County:
    """The county's places in the division codes; SetupError for a bad or unknown code,
    naming the nearest counties."""
    code = county_code_check(code)
    source = source or OfficialDivisions()
    county = source.county(code)
    if county is None:
        near = source.near(code)
        message = _("没有代码为 %(code)s 的县级行政区") % {"code": code}
        if near:
            message += _("；是否要找：%(near)s") % {
                "near": "、".join(f"{place.code} {place.name}" for place in near)
            }
        raise SetupError(message, near=near)
    return county


def county_setup(
    *, code: str, today: dt.date, source: DivisionSource | None = None
) -> CountySetupResult:
    """Create the county with its townships and villages from the division codes, or
    bring it up to date: match orgs by code, rename those whose name changed, add the new
    ones, close (``closed_on = today``) townships and villages no longer in the codes and
    reopen those that came back. Nothing is deleted; schools and classes are left alone.
    Running it twice changes nothing. All or nothing."""
    division = county_division(code=code, source=source)
    with transaction.atomic():
        county = Org.objects.filter(code=division.code).first()
        if county is None:
            county = _county_create(division)
            counts = {"created": 1 + len(division.townships) + division.village_count}
        else:
            counts = _county_update(county, division, today)
        places = Org.objects.filter(path__startswith=county.path, closed_on__isnull=True)
        return CountySetupResult(
            county=county,
            region=division.region,
            townships=places.filter(kind=OrgKind.TOWNSHIP).count(),
            villages=places.filter(kind=OrgKind.VILLAGE).count(),
            **counts,
        )


def _node(code: str, name: str, kind: str, county_code: str, children=()) -> dict:
    data = {"code": code, "name": name, "kind": kind, "county_code": county_code}
    return {"data": data, "children": list(children)}


def _township_node(township, county_code: str) -> dict:
    villages = [_node(v.code, v.name, OrgKind.VILLAGE, county_code) for v in township.villages]
    return _node(township.code, township.name, OrgKind.TOWNSHIP, county_code, villages)


def _county_create(division: County) -> Org:
    townships = [_township_node(t, division.code) for t in division.townships]
    tree = [_node(division.code, division.name, OrgKind.COUNTY, division.code, townships)]
    _codes_free([division.code, *_place_codes(division)], under=None)
    Org.objects.load_bulk(tree, bulk_create=True, batch_size=BATCH)
    return Org.objects.get(code=division.code)


def _place_codes(division: County) -> list[str]:
    return [c for t in division.townships for c in (t.code, *(v.code for v in t.villages))]


def _codes_free(codes: list[str], *, under: Org | None) -> None:
    """SetupError when one of the codes belongs to an org elsewhere (or of another kind)."""
    taken = Org.objects.filter(code__in=codes)
    if under is not None:
        taken = taken.exclude(path__startswith=under.path, kind__in=PLACE_KINDS)
        taken = taken.exclude(pk=under.pk)
    clash = taken.first()
    if clash is not None:
        raise SetupError(
            _("代码 %(code)s 已被“%(name)s”使用，无法按区划代码建立")
            % {"code": clash.code, "name": clash.name}
        )


def _county_update(county: Org, division: County, today: dt.date) -> dict[str, int]:
    if county.kind != OrgKind.COUNTY:
        raise SetupError(
            _("代码 %(code)s 已被“%(name)s”使用，无法按区划代码建立")
            % {"code": county.code, "name": county.name}
        )
    _codes_free(_place_codes(division), under=county)
    counts = {"created": 0, "renamed": 0, "closed": 0, "reopened": 0}
    changed: dict[int, Org] = {}

    def sync(org: Org, name: str) -> None:
        if org.name != name:
            org.name = name
            counts["renamed"] += 1
            changed[org.pk] = org
        if org.closed_on is not None:
            org.closed_on = None
            counts["reopened"] += 1
            changed[org.pk] = org

    sync(county, division.name)
    existing = {
        org.code: org
        for org in Org.objects.filter(path__startswith=county.path, kind__in=PLACE_KINDS)
    }
    for township in division.townships:
        org = existing.get(township.code)
        if org is None:
            Org.objects.load_bulk(
                [_township_node(township, county.code)], parent=county, bulk_create=True
            )
            counts["created"] += 1 + len(township.villages)
            continue
        sync(org, township.name)
        new = []
        for village in township.villages:
            if village.code in existing:
                sync(existing[village.code], village.name)
            else:
                new.append(_node(village.code, village.name, OrgKind.VILLAGE, county.code))
        if new:
            Org.objects.load_bulk(new, parent=Org.objects.get(pk=org.pk), bulk_create=True)
            counts["created"] += len(new)
    wanted = set(_place_codes(division))
    for code, org in existing.items():
        if code not in wanted and org.closed_on is None:
            org.closed_on = today
            counts["closed"] += 1
            changed[org.pk] = org
    Org.objects.bulk_update(changed.values(), ["name", "closed_on"], batch_size=BATCH)
    return counts


def county_admin_first_create(*, county: Org, username: str, name: str, password: str) -> User:
    """The first user of a new site: a county administrator (县级管理员) of ``county``.

    Only while nobody has a role anywhere (``setup_open``), so nobody can take over a
    county that is in use. ValidationError by field for a taken username or a password
    that Django's validators refuse."""
    User = get_user_model()
    username = username.strip()
    name = name.strip()
    with transaction.atomic():
        if not setup_open():
            raise SetupError(_("本系统已有管理员，不能再次初始化。"))
        if county.kind != OrgKind.COUNTY:
            raise SetupError(_("请选择一个县（区）"))
        user = User(username=username, first_name=name, is_active=True)
        errors: dict[str, list[str]] = {}
        if not username:
            errors["username"] = [_("请填写用户名")]
        elif User.objects.filter(username__iexact=username).exists():
            errors["username"] = [_("该用户名已被使用")]
        if not name:
            errors["name"] = [_("请填写姓名")]
        try:
            validate_password(password, user)
        except ValidationError as exc:
            errors["password"] = list(exc.messages)
        if errors:
            raise ValidationError(errors)
        user.set_password(password)
        user.save()
        Membership.objects.create(
            user=user, org=county, role=Role.COUNTY_ADMIN, title=str(Role.COUNTY_ADMIN.label)
        )
    return user
