"""Queue jobs (huey, discovered by ``run_huey``): the day's indicator counts."""

from __future__ import annotations

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from carenet.indicators.figures import count_all
from carenet.indicators.kept import purge
from carenet.indicators.models import SchoolFigures


# 00:05 every day, local time: the first reader of the day finds the counts kept; the
# rows of past days go.
@db_periodic_task(crontab(minute="5", hour="0"))
def indicators_daily() -> int:
    today = timezone.localdate()
    purge(SchoolFigures, today)
    return count_all(today)
