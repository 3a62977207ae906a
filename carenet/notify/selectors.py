"""Reads of notifications: a user's inbox, who gets reminders."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from carenet.care.models import CareRecord
from carenet.children.access import visible_children, working_list_memberships
from carenet.children.models import Pairing, PairingKind
from carenet.children.selectors import pairing_in_force
from carenet.notify.models import Notification, NotificationLine
from carenet.orgs.models import Membership
from carenet.orgs.selectors import AnyUser


def inbox(user: AnyUser) -> QuerySet[Notification]:
    """A user's own notifications, newest first, with their lines (the tasks of a digest)
    about the children the user may still see: a child who left their scope since the
    message was written is no longer named. A line is ``recorded`` once a record of its
    kind was logged for its child after the message was written."""
    recorded = CareRecord.objects.filter(
        child_id=OuterRef("child_id"),
        kind=OuterRef("care_kind"),
        created_at__gte=OuterRef("notification__created_at"),
    )
    lines = (
        NotificationLine.objects.filter(child__in=visible_children(user).values("pk"))
        .annotate(recorded=Exists(recorded))
        .select_related("child", "child__school_class", "child__village")
    )
    return (
        Notification.objects.filter(user_id=user.pk)  # type: ignore[misc]  # an anonymous pk (None) matches no row
        .prefetch_related(Prefetch("lines", lines))
        .order_by("-created_at", "-pk")
    )


def unread_count(user: AnyUser) -> int:
    return Notification.objects.filter(user_id=user.pk, read_at__isnull=True).count()  # type: ignore[misc]  # an anonymous pk (None) matches no row


def reminded_users() -> QuerySet:
    """Active users who may have children in care: class teachers (a teacher at a class
    or grade, as in ``care.selectors.my_children``), village directors and active
    mentors."""
    teachers = Membership.objects.filter(working_list_memberships()).values("user_id")
    mentors = Pairing.objects.filter(pairing_in_force(), kind=PairingKind.MENTOR).values(
        "mentor_id"
    )
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(pk__in=teachers) | Q(pk__in=mentors))
        .order_by("pk")
    )
