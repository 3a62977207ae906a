"""Reads of the register exports: the children of a scope with everything a register row
shows, fetched a chunk at a time."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, TypeAlias, cast

from django.db.models import QuerySet

from carenet.children.models import AwayPeriod, Child, FamilyMember, Pairing, PairingKind
from carenet.children.selectors import LeftBehindAnnotations, pairing_in_force, with_left_behind

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

# Children fetched at a time (a county's 50,000 children: a few dozen queries in all).
_CHUNK = 2000
_ORDER = ("school__path", "school_class__path", "name_pinyin", "pk")


class _ExportAttributes(LeftBehindAnnotations):
    """What ``register_chunks`` sets on each child besides ``with_left_behind``'s
    annotations."""

    export_family: dict[str, FamilyMember]
    export_away: dict[str, AwayPeriod]
    export_mentor: Pairing | None
    export_buddy: Pairing | None


# A child as ``register_chunks`` hands it out (for the type checker).
ExportChild: TypeAlias = "WithAnnotations[Child, _ExportAttributes]"


def register_chunks(children: QuerySet[Child]) -> Iterator[list[ExportChild]]:
    """The children in register order, ``_CHUNK`` at a time, each chunk with its
    left-behind type, orgs, family, away periods and pairings in force fetched in a
    handful of queries (a county's 50,000 children: a few dozen queries in all)."""
    ids = list(children.order_by(*_ORDER).values_list("pk", flat=True))
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        fetched = with_left_behind(Child.objects.filter(pk__in=chunk)).select_related(
            "school", "school_class", "village"
        )
        by_pk = {child.pk: cast("ExportChild", child) for child in fetched}
        for child in by_pk.values():
            child.export_family, child.export_away = {}, {}
            child.export_mentor = child.export_buddy = None
        for member in FamilyMember.objects.filter(child_id__in=chunk):
            by_pk[member.child_id].export_family[member.relation] = member
        # The latest away period of each parent (ordered by start: the last one wins).
        for period in AwayPeriod.objects.filter(child_id__in=chunk).order_by("start", "pk"):
            by_pk[period.child_id].export_away[period.relation] = period
        pairings = Pairing.objects.filter(pairing_in_force(), child_id__in=chunk)
        for pairing in pairings.select_related("mentor"):
            child = by_pk[pairing.child_id]
            if pairing.kind == PairingKind.MENTOR:
                child.export_mentor = pairing
            elif pairing.kind == PairingKind.BUDDY:
                child.export_buddy = pairing
        yield [by_pk[pk] for pk in chunk if pk in by_pk]


def imported_children(id_hashes: list[str]) -> QuerySet[Child]:
    """The children of an import's rows, by the blind index of their ID numbers (read as
    the import's operator: the rows were just written by whoever may import them)."""
    return Child.objects.filter(id_number_hash__in=id_hashes)
