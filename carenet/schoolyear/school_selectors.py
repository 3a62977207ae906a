"""Reads for the school pages: who may run a county's schools or a school's classes, and
the county's schools by township with their counts."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, QuerySet

from carenet.children.models import Child, ChildStatus
from carenet.orgs.models import Org, OrgKind


def county_townships(county: Org) -> QuerySet[Org]:
    return Org.objects.filter(
        path__startswith=county.path, kind=OrgKind.TOWNSHIP, closed_on__isnull=True
    ).order_by("path")


@dataclass
class SchoolRow:
    school: Org
    classes: int
    children: int


@dataclass
class TownshipSchools:
    township: Org
    schools: list[SchoolRow] = field(default_factory=list)


def county_schools(county: Org, *, closed: bool = False) -> list[TownshipSchools]:
    """The county's schools under each township, with their open classes and their
    children on the roll (closed schools too with ``closed``)."""
    schools = Org.objects.filter(path__startswith=county.path, kind=OrgKind.SCHOOL)
    if not closed:
        schools = schools.filter(closed_on__isnull=True)
    schools = list(schools.order_by("path"))
    children = dict(
        Child.objects.filter(school__in=schools, status=ChildStatus.ACTIVE)
        .values_list("school")
        .annotate(n=Count("pk"))
        .values_list("school", "n")
    )
    classes: dict[str, int] = {}
    school_paths = {s.path for s in schools}
    depth = len(schools[0].path) if schools else 0
    for path in Org.objects.filter(
        path__startswith=county.path, kind=OrgKind.CLASS, closed_on__isnull=True
    ).values_list("path", flat=True):
        prefix = path[:depth]
        if prefix in school_paths:
            classes[prefix] = classes.get(prefix, 0) + 1
    townships = {
        t.path: TownshipSchools(t)
        for t in Org.objects.filter(path__startswith=county.path, kind=OrgKind.TOWNSHIP)
    }
    for school in schools:
        group = townships.get(school.path[: -Org.steplen])
        if group is None:
            continue
        group.schools.append(
            SchoolRow(school, classes.get(school.path, 0), children.get(school.pk, 0))
        )
    return [group for path, group in sorted(townships.items()) if group.schools]
