"""The printed cards of a class: contact cards (联系卡) and talk record cards (谈心记录卡).

The seeds' 联系卡制度 asks for a card per child with the parents, where they work, the
guardian and the phones; the 谈心制度 asks the mentor to fill a record card every month.
Both are printed several to an A4 page from the child files (``templates/reports/cards_*``).

The children are those the user may see (``visible_children``) in the class, on the roll.
Phones are masked unless the caller asks for the full version, and then only for the
children whose contacts the user may see (``Permission.SEE_CONTACTS``); the views log every card.
Talk records on a card are the child's non-confidential talks of the month: a sheet of
paper cannot keep a confidential note from the next reader, and counseling (always
confidential) never appears.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from dateutil.relativedelta import relativedelta
from django.db.models import QuerySet

from carenet.accounts.models import Person
from carenet.care.models import CareRecord
from carenet.children.access import Permission, visible_children
from carenet.children.models import (
    Child,
    ChildStatus,
    FamilyMember,
    LeftBehindType,
    Relation,
)
from carenet.children.selectors import ChildLeftBehind, with_left_behind
from carenet.lib.addresses import address_once
from carenet.lib.names import user_name
from carenet.lib.phone import mask_phone
from carenet.orgs.models import Org, OrgKind
from carenet.orgs.selectors import AnyUser, visible_orgs
from carenet.reports.selectors import family_members, mentor_pairings, paper_talks

CONTACT_CARDS_PER_PAGE = 4  # 2 × 2, each about A6
TALK_CARDS_PER_PAGE = 2  # two A5 halves
TALK_ROWS = 10  # ruled rows on a blank talk card


# --------------------------------------------------------------------------- the class


def card_class(user: AnyUser, class_id: int) -> Org | None:
    """The class if the user may print its cards: a class among the orgs they may list,
    or one with a child they may see (a mentor's mentee in another class). None otherwise:
    a class out of sight does not exist for them."""
    school_class = Org.objects.filter(pk=class_id, kind=OrgKind.CLASS).first()
    if school_class is None:
        return None
    if visible_orgs(user, kind=OrgKind.CLASS).filter(pk=class_id).exists():
        return school_class
    if visible_children(user).filter(school_class_id=class_id).exists():
        return school_class
    return None


def class_children(
    user: AnyUser, school_class: Org, *, left_behind_only: bool = False
) -> QuerySet[ChildLeftBehind]:
    """The children on the roll in the class that the user may see, in name order."""
    children = visible_children(user, Permission.VIEW_CHILDREN).filter(
        school_class=school_class, status=ChildStatus.ACTIVE
    )
    children = with_left_behind(children).select_related("school", "school_class", "village")
    if left_behind_only:
        children = children.exclude(left_behind_type=LeftBehindType.NONE)
    return children.order_by("name_pinyin", "pk")


def _mentors(children: Sequence[Child]) -> dict[int, str]:
    pairings = mentor_pairings(children).select_related("mentor")
    return {p.child_id: user_name(p.mentor) for p in pairings if p.mentor is not None}


def _mentor_phones(children: Sequence[Child]) -> dict[int, str]:
    """The mentor's phone (from their profile) per child, for the contact card."""
    pairings = (
        mentor_pairings(children).filter(mentor__isnull=False).values_list("child_id", "mentor_id")
    )
    mentors = dict(pairings)
    phones = dict(
        Person.objects.filter(user_id__in=set(mentors.values())).values_list("user_id", "phone")
    )
    return {child: phones.get(mentor, "") for child, mentor in mentors.items()}


def _township_names(children: Sequence[Child]) -> dict[str, str]:
    """Township names by path, for the villages of the children's addresses."""
    paths = {c.village.path[: -Org.steplen] for c in children if c.village is not None}
    return dict(Org.objects.filter(path__in=paths).values_list("path", "name"))


def _address(child: Child, townships: dict[str, str]) -> str:
    """The home address, each place once (the stored address often names them)."""
    places = []
    if child.village is not None:
        places += [townships.get(child.village.path[: -Org.steplen], ""), child.village.name]
    places.append(child.residence_group)
    return address_once(places, child.residence_address)


def _age(birth_date: dt.date, on: dt.date) -> int:
    return relativedelta(on, birth_date).years


# --------------------------------------------------------------------------- contact cards


@dataclass(frozen=True)
class ParentLine:
    title: str  # 父亲 / 母亲
    name: str
    phone: str
    work_place: str
    employer: str
    employer_phone: str


@dataclass(frozen=True)
class ContactCard:
    child_id: int
    name: str
    gender: str
    birth_date: dt.date
    age: int
    school: str
    school_class: str
    left_behind: str
    address: str
    mentor: str
    mentor_phone: str
    guardian_name: str
    guardian_kinship: str
    guardian_phone: str
    parents: list[ParentLine]
    unmasked: bool


def _parent_line(title: str, member: FamilyMember | None, shown) -> ParentLine:
    if member is None:
        return ParentLine(title, "", "", "", "", "")
    place = "".join(p for p in (member.work_province, member.work_city) if p)
    return ParentLine(
        title=title,
        name=member.name,
        phone=shown(member.phone),
        work_place=place,
        employer=member.employer,
        employer_phone=shown(member.employer_phone),
    )


def contact_cards(
    user: AnyUser,
    school_class: Org,
    *,
    full: bool,
    on: dt.date,
    left_behind_only: bool = False,
) -> list[ContactCard]:
    """A contact card per child of the class the user may see. Phones in full only when
    ``full`` and only for the children whose contacts the user may see."""
    children = list(class_children(user, school_class, left_behind_only=left_behind_only))
    unmasked_ids: set[int] = set()
    if full:
        allowed = visible_children(user, Permission.SEE_CONTACTS).filter(school_class=school_class)
        unmasked_ids = set(allowed.values_list("pk", flat=True))
    family: dict[int, dict[str, FamilyMember]] = {c.pk: {} for c in children}
    for member in family_members(children):
        family[member.child_id][member.relation] = member
    mentors = _mentors(children)
    mentor_phones = _mentor_phones(children)
    townships = _township_names(children)
    labels = dict(LeftBehindType.choices)
    cards = []
    for child in children:
        unmasked = child.pk in unmasked_ids

        def shown(value: str, unmasked: bool = unmasked) -> str:
            return (value or "") if unmasked else mask_phone(value or "")

        members = family[child.pk]
        guardian = members.get(Relation.GUARDIAN)
        cards.append(
            ContactCard(
                child_id=child.pk,
                name=child.name,
                gender=child.get_gender_display(),
                birth_date=child.birth_date,
                age=_age(child.birth_date, on),
                school=child.school.name if child.school else "",
                school_class=child.school_class.name if child.school_class else "",
                left_behind=str(labels.get(child.left_behind_type, "")),
                address=_address(child, townships),
                mentor=mentors.get(child.pk, ""),
                mentor_phone=shown(mentor_phones.get(child.pk, "")),
                guardian_name=guardian.name if guardian else "",
                guardian_kinship=guardian.kinship if guardian else "",
                guardian_phone=shown(guardian.phone) if guardian else "",
                parents=[
                    _parent_line(str(Relation.FATHER.label), members.get(Relation.FATHER), shown),
                    _parent_line(str(Relation.MOTHER.label), members.get(Relation.MOTHER), shown),
                ],
                unmasked=unmasked,
            )
        )
    return cards


# --------------------------------------------------------------------------- talk cards


@dataclass(frozen=True)
class TalkLine:
    date: dt.date | None
    place: str = ""
    content: str = ""
    measures: str = ""
    follow_up: str = ""
    author: str = ""


@dataclass(frozen=True)
class TalkCard:
    child_id: int
    name: str
    gender: str
    age: int
    school: str
    school_class: str
    left_behind: str
    mentor: str
    month: dt.date | None  # the first day of the month printed, or None for a blank card
    lines: list[TalkLine] = field(default_factory=list)


def month_bounds(month: dt.date) -> tuple[dt.date, dt.date]:
    """The first and the last day of ``month``'s month."""
    first = month.replace(day=1)
    return first, first + relativedelta(months=1) - dt.timedelta(days=1)


def _talk_line(record: CareRecord) -> TalkLine:
    details = record.details or {}
    content = record.summary
    if details.get("topics"):
        content = f"{content}（{details['topics']}）"
    measures = "；".join(str(details[k]) for k in ("problems", "measures") if details.get(k))
    return TalkLine(
        date=record.date,
        place=str(details.get("place") or ""),
        content=content,
        measures=measures,
        follow_up=str(details.get("follow_up") or ""),
        author=user_name(record.author),
    )


def talk_records(children: Sequence[Child], month: dt.date) -> dict[int, list[CareRecord]]:
    """The talks of ``month`` of these children that may go on paper: kind talk, never
    confidential (counseling is another kind and always confidential), oldest first."""
    first, last = month_bounds(month)
    records = paper_talks(children, first, last)
    by_child: dict[int, list[CareRecord]] = {c.pk: [] for c in children}
    for record in records:
        by_child[record.child_id].append(record)
    return by_child


def talk_cards(
    user: AnyUser,
    school_class: Org,
    *,
    on: dt.date,
    month: dt.date | None = None,
    left_behind_only: bool = False,
) -> list[TalkCard]:
    """A talk record card per child of the class the user may see: the header filled from
    the file, the month's talks written in when ``month`` is given, blank ruled rows to
    fill by hand below them (at least ``TALK_ROWS`` rows in all)."""
    children = list(class_children(user, school_class, left_behind_only=left_behind_only))
    mentors = _mentors(children)
    records = talk_records(children, month) if month else {}
    labels = dict(LeftBehindType.choices)
    cards = []
    for child in children:
        lines = [_talk_line(r) for r in records.get(child.pk, [])]
        lines += [TalkLine(date=None)] * max(0, TALK_ROWS - len(lines))
        cards.append(
            TalkCard(
                child_id=child.pk,
                name=child.name,
                gender=child.get_gender_display(),
                age=_age(child.birth_date, on),
                school=child.school.name if child.school else "",
                school_class=child.school_class.name if child.school_class else "",
                left_behind=str(labels.get(child.left_behind_type, "")),
                mentor=mentors.get(child.pk, ""),
                month=month.replace(day=1) if month else None,
                lines=lines,
            )
        )
    return cards


def pages(cards: list, per_page: int) -> list[list]:
    """The cards cut into printed pages of ``per_page``."""
    return [cards[i : i + per_page] for i in range(0, len(cards), per_page)]
