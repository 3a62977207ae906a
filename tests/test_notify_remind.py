"""carenet remind: one digest per user and day of the due and overdue care tasks (their
我的待办), each line a task to record; sent once, updated (not repeated) by a second run."""

import datetime as dt
import logging
import re
import zoneinfo

import pytest
import time_machine

from carenet.care.services import record_create
from carenet.cli import main
from carenet.notify import services
from carenet.notify.models import Notification, NotificationKind, NotificationLine
from carenet.notify.services import CLAIM_TIMEOUT, notifications_claim, reminders_run
from carenet.notify.tasks import remind_daily
from tests.factories import old_task_message

pytestmark = pytest.mark.django_db

TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
MONDAY = dt.date(2026, 10, 12)


@pytest.fixture
def monday():
    with time_machine.travel(dt.datetime(2026, 10, 12, 7, 0, tzinfo=TZ), tick=False):
        yield MONDAY


@pytest.fixture
def mailed(world):
    for name in ("teacher", "stranger_teacher"):
        user = world.user(name)
        user.email = f"{name}@school.example"
        user.save()
    return world


def _mine(world, name="teacher"):
    return Notification.objects.filter(user=world.user(name))


def _digest(world, name="teacher"):
    return _mine(world, name).get(kind=NotificationKind.DIGEST)


class TestRemind:
    def test_each_teacher_gets_one_digest_whose_lines_are_their_tasks(self, world, monday):
        result = reminders_run(today=monday)
        digest = _digest(world)
        assert _mine(world).count() == 1 and digest.day == monday
        assert digest.dedupe_key == f"digest:{world.user('teacher').pk}:2026-10-12"
        talk = digest.lines.get(child=world.own_child, care_kind="talk")
        assert talk.overdue and talk.due_date == dt.date(2026, 9, 8)
        assert digest.lines.filter(child=world.mentee).exists()
        assert not NotificationLine.objects.filter(child=world.school_child).exists()
        assert not _mine(world, "principal").exists()
        overdue = digest.lines.filter(overdue=True).count()
        assert digest.title == f"2026-10-12 待办 {digest.lines.count()} 项（已逾期 {overdue} 项）"
        assert result.created == Notification.objects.count() == 2  # teacher, stranger

    def test_the_lines_keep_the_order_of_the_working_list(self, world, monday):
        from carenet.care.selectors import my_tasks, worklist_until

        reminders_run(today=monday)
        tasks = my_tasks(world.user("teacher"), as_of=monday, until=worklist_until(monday))
        lines = list(_digest(world).lines.all())
        assert [(line.child_id, line.care_kind) for line in lines] == [
            (t.child.pk, t.kind) for t in tasks
        ]

    def test_a_task_due_within_days_is_announced_ahead(self, world, monday):
        record_create(
            actor=world.user("teacher"),
            child=world.own_child,
            kind="talk",
            date=dt.date(2026, 10, 6),
            summary="谈心",
        )
        reminders_run(today=monday)
        talk = _digest(world).lines.get(child=world.own_child, care_kind="talk")
        assert not talk.overdue and talk.due_date == dt.date(2026, 10, 13)

    def test_a_second_run_the_same_day_updates_the_digest_instead_of_adding_one(
        self, world, monday
    ):
        reminders_run(today=monday)
        digest = _digest(world)
        before = digest.lines.count()
        record_create(
            actor=world.user("teacher"),
            child=world.own_child,
            kind="talk",
            date=monday,
            summary="谈心",
        )
        assert reminders_run(today=monday).created == 0
        assert _mine(world).count() == 1
        after = _digest(world)
        assert after.pk == digest.pk and after.lines.count() == before - 1
        assert not after.lines.filter(child=world.own_child, care_kind="talk").exists()
        assert f"待办 {before - 1} 项" in after.title

    def test_a_read_digest_is_unread_again_only_when_a_task_was_added(self, world, monday):
        reminders_run(today=monday)
        digest = _digest(world)
        services.notification_mark_read(notification=digest)
        reminders_run(today=monday)  # same tasks: stays read
        assert _digest(world).read_at is not None
        digest.lines.filter(child=world.mentee).delete()  # as if the mentee's task were new
        reminders_run(today=monday)
        assert _digest(world).read_at is None

    def test_the_next_day_brings_a_new_digest(self, world, monday):
        reminders_run(today=monday)
        with time_machine.travel(dt.datetime(2026, 10, 13, 7, 0, tzinfo=TZ), tick=False):
            assert reminders_run(today=dt.date(2026, 10, 13)).created == 2
        assert list(_mine(world).order_by("day").values_list("day", flat=True)) == [
            monday,
            dt.date(2026, 10, 13),
        ]

    def test_a_user_with_nothing_due_gets_no_digest(self, world, monday):
        reminders_run(today=monday)
        assert not _mine(world, "principal").exists()
        assert not _mine(world, "county_admin").exists()

    def test_a_second_run_creates_and_sends_nothing_new(self, mailed, monday, mailoutbox):
        first = reminders_run(today=monday)
        assert first.created and first.emailed == 2 and first.sent == 2
        second = reminders_run(today=monday)
        assert (second.created, second.emailed, second.sent) == (0, 0, 0)
        assert len(mailoutbox) == 2
        assert not Notification.objects.filter(delivered_at__isnull=True).exists()

    def test_each_user_gets_exactly_one_digest_email(self, mailed, monday, mailoutbox):
        reminders_run(today=monday)
        recipients = sorted(address for mail in mailoutbox for address in mail.to)
        assert recipients == ["stranger_teacher@school.example", "teacher@school.example"]
        [digest] = [m for m in mailoutbox if m.to == ["teacher@school.example"]]
        assert "王子涵" in digest.body and "曾小雨" in digest.body
        lines = _digest(mailed).lines.count()
        assert digest.body.count("\n- ") + digest.body.startswith("- ") == lines
        assert f"{lines} 项关爱任务待办" in digest.subject
        assert "张伟" not in digest.body  # the other teacher's child
        assert "13812345678" not in digest.body

    def test_a_user_without_an_email_address_is_still_reminded_in_app(
        self, world, monday, mailoutbox
    ):
        result = reminders_run(today=monday)
        assert result.emailed == 0 and not mailoutbox
        assert _mine(world).filter(delivered_at__isnull=False, email_sent_at=None).count() == 1

    def test_a_failed_email_leaves_the_notifications_for_the_next_run(
        self, mailed, monday, mailoutbox, monkeypatch
    ):
        def broken(*args, **kwargs):
            raise OSError("mail server down")

        monkeypatch.setattr(services, "send_mail", broken)
        assert reminders_run(today=monday).emailed == 0
        assert _mine(mailed).filter(delivered_at=None, claimed_at=None).exists()
        monkeypatch.undo()
        again = reminders_run(today=monday)
        assert again.created == 0 and again.emailed == 2

    def test_an_old_undelivered_per_task_message_goes_out_in_the_same_email(
        self, mailed, monday, mailoutbox
    ):
        old = old_task_message(
            mailed.user("teacher"),
            mailed.own_child,
            care_kind="home_visit",
            title="王子涵的家访已逾期",
            due=dt.date(2026, 9, 1),
        )
        reminders_run(today=monday)
        [mail] = [m for m in mailoutbox if m.to == ["teacher@school.example"]]
        assert mail.body.count("王子涵的家访") == 1  # the digest names it too: once
        old.refresh_from_db()
        assert old.delivered_at is not None

    def test_the_log_sender_never_logs_a_phone_or_an_id_number(self, world, monday, caplog):
        with caplog.at_level(logging.INFO, logger="carenet.notify"):
            assert reminders_run(today=monday).sent == 2
        assert "short message to user #" in caplog.text
        assert not re.search(r"\d{11}", caplog.text)
        for child in (world.own_child, world.mentee):
            assert child.id_number not in caplog.text


class TestClaim:
    def test_a_second_claim_gets_no_rows_while_the_first_is_still_sending(self, world, monday):
        services.notifications_create(today=monday)
        first = notifications_claim(token="a" * 32)
        assert first and len(first) == Notification.objects.count()
        assert notifications_claim(token="b" * 32) == []

    def test_a_claim_left_by_a_dead_run_is_taken_over_later(self, world, monday):
        services.notifications_create(today=monday)
        first = notifications_claim(token="a" * 32)
        later = dt.datetime(2026, 10, 12, 7, 0, tzinfo=TZ) + CLAIM_TIMEOUT * 2
        assert sorted(notifications_claim(token="b" * 32, now=later)) == sorted(first)


class TestQueue:
    def test_the_daily_job_runs_at_seven_and_does_what_remind_does(self, world, monday):
        job = remind_daily.task_class()
        assert job.validate_datetime(dt.datetime(2026, 10, 12, 7, 0))
        assert not job.validate_datetime(dt.datetime(2026, 10, 12, 8, 0))
        remind_daily()  # the queue runs it at once in tests
        assert _digest(world).lines.filter(child=world.own_child, care_kind="talk").exists()
        assert "新建 0 条" in remind_daily.call_local()


class TestCommand:
    def test_remind_twice_sends_each_notification_once(self, mailed, mailoutbox, capsys):
        assert main(["remind", "--today", "2026-10-12"]) == 0
        first = capsys.readouterr().out.strip()
        assert first.startswith("提醒：新建 ") and "发送邮件 2 封" in first
        assert main(["remind", "--today", "2026-10-12"]) == 0
        assert capsys.readouterr().out.strip() == "提醒：新建 0 条，发送邮件 0 封，短信/微信 0 条。"
        assert len(mailoutbox) == 2

    @pytest.mark.parametrize("value", ["2026-13-01", "tomorrow"])
    def test_a_bad_date_exits_2_with_one_line(self, value, capsys):
        with pytest.raises(SystemExit) as exit_info:
            main(["remind", "--today", value])
        assert exit_info.value.code == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and "--today" in err and "Traceback" not in err

    def test_remind_has_help(self, capsys):
        with pytest.raises(SystemExit) as exit_info:
            main(["remind", "--help"])
        assert exit_info.value.code == 0
        assert "--today" in capsys.readouterr().out
