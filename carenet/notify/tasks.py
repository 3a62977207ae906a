"""Queue jobs (huey, discovered by ``run_huey``): the daily reminder run."""

from __future__ import annotations

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from carenet.notify.services import reminders_run


# 07:00 every day, local time (settings.HUEY has utc=False and TIME_ZONE is Asia/Shanghai).
@db_periodic_task(crontab(minute="0", hour="7"))
def remind_daily() -> str:
    """The same work as ``carenet remind``; safe if it overlaps a manual run."""
    return reminders_run(today=timezone.localdate()).describe()
