"""Reads of the documents and printed cards: who may write documents, and for which orgs
(``Permission.WRITE_DOCUMENTS`` of the access table, ``carenet.children.access``); the
family, mentors and talks of the children on a card."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import QuerySet

from carenet.care.models import CareKind, CareRecord
from carenet.children.access import Permission, default_document_org, holds
from carenet.children.models import Child, FamilyMember, Pairing, PairingKind
from carenet.children.selectors import pairing_in_force
from carenet.orgs.models import Org
from carenet.orgs.selectors import AnyUser


def may_write_documents(user: AnyUser) -> bool:
    return holds(user, Permission.WRITE_DOCUMENTS)


def default_org(user: AnyUser, orgs: QuerySet[Org]) -> Org | None:
    """The widest org of the user's document roles (else the first one they may use)."""
    return default_document_org(user) or orgs.first()


def mentor_pairings(children: Iterable[Child]) -> QuerySet[Pairing]:
    """The mentor pairings in force of ``children`` (already in the reader's scope)."""
    return Pairing.objects.filter(pairing_in_force(), child__in=children, kind=PairingKind.MENTOR)


def family_members(children: Iterable[Child]) -> QuerySet[FamilyMember]:
    """The family members on file of ``children`` (already in the reader's scope)."""
    return FamilyMember.objects.filter(child__in=children)


def paper_talks(children: Iterable[Child], first: dt.date, last: dt.date) -> QuerySet[CareRecord]:
    """The talks of ``children`` from ``first`` to ``last`` that may go on paper: kind
    talk, never confidential (counseling is another kind and always confidential), oldest
    first."""
    return (
        CareRecord.objects.filter(
            child__in=children, kind=CareKind.TALK, date__gte=first, date__lte=last
        )
        .filter(confidential=False)
        .select_related("author")
        .order_by("date", "created_at", "pk")
    )
