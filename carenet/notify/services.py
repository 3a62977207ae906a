"""Reminders: each day, one digest per user of the care tasks due and overdue (their
我的待办), then deliver it.

Safe to run twice, and twice at once: a user's digest of a day is created once (unique
``dedupe_key``; a second run brings its lines up to date) and sent once (claimed with a
conditional UPDATE before anything goes out, as healthchecks' ``sendalerts`` does)."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Prefetch, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from carenet.alerts.jobs import alerts_sweep
from carenet.care.selectors import Task, my_tasks, worklist_until
from carenet.notify.models import Notification, NotificationKind, NotificationLine
from carenet.notify.selectors import reminded_users
from carenet.notify.senders import get_sender

logger = logging.getLogger("carenet.notify")

# A claim older than this belongs to a run that died: its rows may be claimed again.
CLAIM_TIMEOUT = dt.timedelta(minutes=15)


@dataclass(frozen=True)
class RemindResult:
    created: int  # digests created (a later run the same day updates them)
    emailed: int  # digest e-mails sent
    sent: int  # short messages (SMS/WeChat) sent

    def describe(self) -> str:
        return _("提醒：新建 %(created)d 条，发送邮件 %(emailed)d 封，短信/微信 %(sent)d 条。") % {
            "created": self.created,
            "emailed": self.emailed,
            "sent": self.sent,
        }


def _digest_title(tasks: list[Task], today: dt.date) -> str:
    if not tasks:
        return _("%(day)s 待办：已全部完成") % {"day": today.isoformat()}
    overdue = sum(t.overdue for t in tasks)
    return ngettext(
        "%(day)s 待办 %(count)d 项（已逾期 %(overdue)d 项）",
        "%(day)s 待办 %(count)d 项（已逾期 %(overdue)d 项）",
        len(tasks),
    ) % {"day": today.isoformat(), "count": len(tasks), "overdue": overdue}


def _digest_key(user_id: int, today: dt.date) -> str:
    return f"digest:{user_id}:{today.isoformat()}"


def digest_update(*, user: User, today: dt.date) -> tuple[Notification | None, bool]:
    """The user's digest of ``today``: one message whose lines are their 我的待办 of the
    day (``my_tasks`` until ``worklist_until``: 已逾期 and 本周到期, in the list's order).

    Created the first time (returns ``(digest, True)``); a later run the same day brings
    its lines up to date instead of adding a message, and makes it unread again when a
    task was added. No digest for a user with nothing to do (``(None, False)``)."""
    tasks = my_tasks(user, as_of=today, until=worklist_until(today))
    key = _digest_key(user.pk, today)
    with transaction.atomic():
        if not tasks and not Notification.objects.filter(dedupe_key=key).exists():
            return None, False
        digest, created = Notification.objects.get_or_create(
            dedupe_key=key,
            defaults={
                "user_id": user.pk,
                "county_code": tasks[0].child.county_code if tasks else "",
                "kind": NotificationKind.DIGEST,
                "day": today,
                "title": _digest_title(tasks, today),
            },
        )
        # Two runs at once: the second waits here for the first (PostgreSQL).
        digest = Notification.objects.select_for_update().get(pk=digest.pk)
        before = set(digest.lines.values_list("child_id", "care_kind"))
        after = {(t.child.pk, t.kind) for t in tasks}
        digest.lines.all().delete()
        NotificationLine.objects.bulk_create(
            [
                NotificationLine(
                    notification=digest,
                    child=t.child,
                    care_kind=t.kind,
                    due_date=t.due_date,
                    overdue=t.overdue,
                    position=i,
                )
                for i, t in enumerate(tasks)
            ]
        )
        digest.title = _digest_title(tasks, today)
        fields = ["title"]
        if not created and digest.read_at is not None and after - before:
            digest.read_at = None
            fields.append("read_at")
        digest.save(update_fields=fields)
    return digest, created


def notifications_create(*, today: dt.date) -> int:
    """For every teacher, village director and mentor (``reminded_users``) with work to
    do, the day's digest (``digest_update``). Returns how many digests were new."""
    return sum(digest_update(user=user, today=today)[1] for user in reminded_users().iterator())


def notifications_claim(*, token: str, now: dt.datetime | None = None) -> list[int]:
    """Claim every undelivered notification nobody else holds, in one conditional UPDATE;
    returns the ids this claim got. A second claim meanwhile gets none of them."""
    now = now or timezone.now()
    free = Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_TIMEOUT)
    Notification.objects.filter(free, delivered_at__isnull=True).update(
        claimed_at=now, claim_token=token
    )
    return list(
        Notification.objects.filter(claim_token=token, delivered_at__isnull=True).values_list(
            "pk", flat=True
        )
    )


def line_text(line: NotificationLine) -> str:
    """One task of a message as a sentence: who, what, and by when."""
    values = {
        "child": line.child.name,
        "kind": line.kind_label,
        "due": line.due_date.isoformat(),
    }
    if line.overdue:
        return _("%(child)s的%(kind)s已逾期（应于 %(due)s 完成）") % values
    return _("%(child)s的%(kind)s本周到期（%(due)s 前完成）") % values


def _lines_of(notes: list[Notification]) -> list[NotificationLine]:
    """The tasks of some messages, each once (the latest message's line wins)."""
    found: dict[tuple[int, str], NotificationLine] = {}
    for note in sorted(notes, key=lambda n: (n.day or n.created_at.date(), n.pk)):
        for line in note.lines.all():
            found[(line.child_id, line.care_kind)] = line
    return sorted(found.values(), key=lambda line: (not line.overdue, line.due_date))


def _digest(lines: list[NotificationLine]) -> tuple[str, str]:
    overdue = sum(line.overdue for line in lines)
    subject = ngettext(
        "关爱网提醒：%(count)d 项关爱任务待办（逾期 %(overdue)d 项）",
        "关爱网提醒：%(count)d 项关爱任务待办（逾期 %(overdue)d 项）",
        len(lines),
    ) % {"count": len(lines), "overdue": overdue}
    body = [f"- {line_text(line)}（{line.child.place_label}）" for line in lines]
    body += ["", _("请登录关爱网，在“消息”中逐项记录，或在“我的待办”中查看。")]
    return subject, "\n".join(body)


def _short_message(lines: list[NotificationLine]) -> str:
    overdue = sum(line.overdue for line in lines)
    return ngettext(
        "关爱网：您有 %(count)d 项关爱任务待办，其中逾期 %(overdue)d 项，请登录查看。",
        "关爱网：您有 %(count)d 项关爱任务待办，其中逾期 %(overdue)d 项，请登录查看。",
        len(lines),
    ) % {"count": len(lines), "overdue": overdue}


def notifications_deliver(*, now: dt.datetime | None = None) -> tuple[int, int]:
    """Claim undelivered notifications and send each user one digest e-mail (when they
    have an address) and one short message. Returns (e-mails, short messages) sent.

    A user whose e-mail fails keeps their notifications undelivered for the next run."""
    now = now or timezone.now()
    token = uuid.uuid4().hex
    ids = notifications_claim(token=token, now=now)
    if not ids:
        return 0, 0
    by_user: dict[int, list[Notification]] = defaultdict(list)
    claimed = Notification.objects.filter(pk__in=ids).prefetch_related(
        Prefetch(
            "lines",
            NotificationLine.objects.select_related(
                "child__school", "child__school_class", "child__village"
            ),
        )
    )
    for note in claimed.order_by("pk"):
        by_user[note.user_id].append(note)
    users = get_user_model().objects.in_bulk(list(by_user))
    sender = get_sender()
    emailed = sent = 0
    for user_id, notes in by_user.items():
        user = users[user_id]
        mine = Notification.objects.filter(pk__in=[n.pk for n in notes], claim_token=token)
        done: dict[str, dt.datetime] = {"delivered_at": now}
        lines = _lines_of(notes)
        if not lines:  # a digest emptied by records logged since: nothing to send
            mine.update(**done)
            continue
        if user.email:
            subject, body = _digest(lines)
            try:
                send_mail(subject, body, None, [user.email])
            except Exception:
                logger.exception("reminder e-mail to user #%s failed", user_id)
                mine.update(claimed_at=None, claim_token="")
                continue
            done["email_sent_at"] = now
            emailed += 1
        try:
            went = sender.send(user, _short_message(lines))
        except Exception:
            logger.exception("short message to user #%s failed", user_id)
            went = False
        if went:
            done["sms_sent_at"] = now
            sent += 1
        mine.update(**done)
    return emailed, sent


def reminders_run(*, today: dt.date) -> RemindResult:
    """What ``carenet remind`` and the daily queue job do."""
    # The early warning's time rules and auto-escalations first: the day's alerts.
    alerts_sweep(now=timezone.now())
    with translation.override(settings.LANGUAGE_CODE):
        created = notifications_create(today=today)
        emailed, sent = notifications_deliver()
    return RemindResult(created=created, emailed=emailed, sent=sent)


def notification_mark_read(*, notification: Notification) -> None:
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])


def notifications_mark_all_read(*, user) -> int:
    return Notification.objects.filter(user_id=user.pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )
