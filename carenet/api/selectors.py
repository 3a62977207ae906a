"""Reads behind the API. Children always start from ``visible_children``."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db.models import Q, QuerySet

from carenet.children.models import LeftBehindType, PairingKind
from carenet.children.selectors import (
    ChildLeftBehind,
    active_pairings,
    search_children,
    visible_children,
    with_left_behind,
)
from carenet.orgs.models import Org
from carenet.orgs.selectors import visible_orgs


def orgs_with_parents(user: User, *, kind: str | None = None) -> list[tuple[Org, str | None]]:
    """The orgs a user may list, each with its parent's code, in two queries."""
    orgs = list(visible_orgs(user, kind=kind))
    parent_paths = {org.path[: -Org.steplen] for org in orgs if org.depth > 1}
    codes = dict(Org.objects.filter(path__in=parent_paths).values_list("path", "code"))
    return [(org, codes.get(org.path[: -Org.steplen])) for org in orgs]


def child_list(
    user: User,
    *,
    school: str | None = None,
    org: str | None = None,
    q: str | None = None,
    left_behind: bool | None = None,
    risk: str | None = None,
) -> QuerySet[ChildLeftBehind]:
    """The children a user may see, filtered, annotated with ``left_behind_type`` and
    ready for ``serializers.child_item``; ordered by school, class and name.

    ``org`` is any org's code: children whose school, class or village lies under it.
    An unknown code finds nothing (as does one outside the user's scope).
    """
    children = with_left_behind(visible_children(user))
    if school:
        children = children.filter(school__code=school)
    if org:
        path = Org.objects.filter(code=org).values_list("path", flat=True).first()
        if path is None:
            return children.none()
        children = children.filter(
            Q(school__path__startswith=path)
            | Q(school_class__path__startswith=path)
            | Q(village__path__startswith=path)
        )
    if q:
        children = search_children(children, q)
    if left_behind is True:
        children = children.exclude(left_behind_type=LeftBehindType.NONE)
    elif left_behind is False:
        children = children.filter(left_behind_type=LeftBehindType.NONE)
    if risk:
        children = children.filter(risk_level=risk)
    return (
        children.select_related("school", "school_class")
        .prefetch_related(active_pairings(PairingKind.MENTOR, "active_mentor_pairings"))
        .order_by("school__code", "school_class__code", "name_pinyin", "name", "pk")
    )


def child_file(user: User, child_id: int) -> ChildLeftBehind | None:
    """One child file the user may see, with everything ``serializers.child_detail`` reads;
    None when it does not exist or lies outside the user's scope (the caller cannot tell)."""
    return (
        with_left_behind(visible_children(user))
        .select_related("school", "school_class", "village")
        .prefetch_related(
            "family", "away_periods", active_pairings(PairingKind.MENTOR, "active_mentor_pairings")
        )
        .filter(pk=child_id)
        .first()
    )
