"""Queue jobs (huey, discovered by ``run_huey``): the day's indicator counts."""

from __future__ import annotations

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from carenet.indicators.figures import count_all


# 00:05 every day, local time: the first reader of the day finds the counts kept.
@db_periodic_task(crontab(minute="5", hour="0"))
def indicators_daily() -> int:
    return count_all(timezone.localdate())
