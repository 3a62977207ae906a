"""Reads of notifications: a user's inbox, who gets reminders."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from carenet.children.models import Pairing, PairingKind
from carenet.notify.models import Notification
from carenet.orgs.models import Membership, OrgKind, Role
from carenet.orgs.selectors import AnyUser


def inbox(user: AnyUser) -> QuerySet[Notification]:
    """A user's own notifications, newest first."""
    return (
        Notification.objects.filter(user_id=user.pk)  # type: ignore[misc]  # an anonymous pk (None) matches no row
        .select_related("child")
        .order_by("-created_at", "-pk")
    )


def unread_count(user: AnyUser) -> int:
    return Notification.objects.filter(user_id=user.pk, read_at__isnull=True).count()  # type: ignore[misc]  # an anonymous pk (None) matches no row


def reminded_users() -> QuerySet:
    """Active users who may have children in care: class teachers (a teacher at a class
    or grade, as in ``care.selectors.my_children``), village directors and active
    mentors."""
    teachers = Membership.objects.filter(
        Q(role=Role.TEACHER, org__kind__in=(OrgKind.CLASS, OrgKind.GRADE))
        | Q(role=Role.VILLAGE_DIRECTOR)
    ).values("user_id")
    mentors = Pairing.objects.filter(kind=PairingKind.MENTOR, ended_on__isnull=True).values(
        "mentor_id"
    )
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(pk__in=teachers) | Q(pk__in=mentors))
        .order_by("pk")
    )
