"""Reminders: turn due and overdue care tasks into notifications, then deliver them.

Safe to run twice, and twice at once: a notification is created once (unique
``dedupe_key``, conflicts ignored) and sent once (claimed with a conditional UPDATE
before anything goes out, as healthchecks' ``sendalerts`` does)."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from carenet.care.selectors import Task, my_tasks, worklist_until
from carenet.notify.models import Notification, NotificationKind
from carenet.notify.selectors import reminded_users
from carenet.notify.senders import get_sender

logger = logging.getLogger("carenet.notify")

# A claim older than this belongs to a run that died: its rows may be claimed again.
CLAIM_TIMEOUT = dt.timedelta(minutes=15)


@dataclass(frozen=True)
class RemindResult:
    created: int  # notifications created
    emailed: int  # digest e-mails sent
    sent: int  # short messages (SMS/WeChat) sent

    def describe(self) -> str:
        return _("提醒：新建 %(created)d 条，发送邮件 %(emailed)d 封，短信/微信 %(sent)d 条。") % {
            "created": self.created,
            "emailed": self.emailed,
            "sent": self.sent,
        }


def _notification_for(user_id: int, task: Task) -> Notification:
    kind = NotificationKind.TASK_OVERDUE if task.overdue else NotificationKind.TASK_DUE
    child = task.child
    values = {"child": child.name, "kind": task.kind_label, "due": task.due_date.isoformat()}
    if task.overdue:
        title = _("%(child)s的%(kind)s已逾期（应于 %(due)s 完成）") % values
    else:
        title = _("%(child)s的%(kind)s本周到期（%(due)s 前完成）") % values
    return Notification(
        user_id=user_id,
        county_code=child.county_code,
        kind=kind,
        child=child,
        care_kind=task.kind,
        due_date=task.due_date,
        title=title,
        body=child.place_label,
        dedupe_key=f"{user_id}:{child.pk}:{task.kind}:{kind}:{task.due_date.isoformat()}",
    )


def notifications_create(*, today: dt.date) -> int:
    """For every teacher and mentor, one notification per task of their 我的待办
    (``my_tasks``): 已逾期 and 本周到期 (``care.selectors.worklist_until``), the same
    tasks their working list shows. Returns how many were new."""
    created = 0
    for user in reminded_users().iterator():
        tasks = my_tasks(user, as_of=today, until=worklist_until(today))
        if not tasks:
            continue
        rows = {n.dedupe_key: n for n in (_notification_for(user.pk, t) for t in tasks)}
        existing = set(
            Notification.objects.filter(dedupe_key__in=list(rows)).values_list(
                "dedupe_key", flat=True
            )
        )
        new = [row for key, row in rows.items() if key not in existing]
        # A concurrent run may insert the same keys meanwhile: those are skipped.
        Notification.objects.bulk_create(new, ignore_conflicts=True, batch_size=500)
        created += len(new)
    return created


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


def _digest(notes: list[Notification]) -> tuple[str, str]:
    overdue = sum(n.overdue for n in notes)
    subject = ngettext(
        "关爱网提醒：%(count)d 项关爱任务待办（逾期 %(overdue)d 项）",
        "关爱网提醒：%(count)d 项关爱任务待办（逾期 %(overdue)d 项）",
        len(notes),
    ) % {"count": len(notes), "overdue": overdue}
    lines = [f"- {n.title}（{n.body}）" for n in notes]
    lines += ["", _("请登录关爱网，在“消息”和“我的待办”中查看。")]
    return subject, "\n".join(lines)


def _short_message(notes: list[Notification]) -> str:
    overdue = sum(n.overdue for n in notes)
    return ngettext(
        "关爱网：您有 %(count)d 项关爱任务待办，其中逾期 %(overdue)d 项，请登录查看。",
        "关爱网：您有 %(count)d 项关爱任务待办，其中逾期 %(overdue)d 项，请登录查看。",
        len(notes),
    ) % {"count": len(notes), "overdue": overdue}


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
    for note in Notification.objects.filter(pk__in=ids).order_by("due_date", "pk"):
        by_user[note.user_id].append(note)
    users = get_user_model().objects.in_bulk(list(by_user))
    sender = get_sender()
    emailed = sent = 0
    for user_id, notes in by_user.items():
        user = users[user_id]
        mine = Notification.objects.filter(pk__in=[n.pk for n in notes], claim_token=token)
        done: dict[str, dt.datetime] = {"delivered_at": now}
        if user.email:
            subject, body = _digest(notes)
            try:
                send_mail(subject, body, None, [user.email])
            except Exception:
                logger.exception("reminder e-mail to user #%s failed", user_id)
                mine.update(claimed_at=None, claim_token="")
                continue
            done["email_sent_at"] = now
            emailed += 1
        try:
            went = sender.send(user, _short_message(notes))
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
