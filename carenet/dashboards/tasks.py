"""Queue jobs (huey, discovered by ``run_huey``): the day's dashboard counts."""

from __future__ import annotations

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from carenet.children.access import operator_scope
from carenet.dashboards.counts import keep_all, purge_kept


# 00:20 every day, local time, after the indicators' own counts (00:05): the first
# reader of a county's dashboard finds its charts counted.
@db_periodic_task(crontab(minute="20", hour="0"))
def dashboards_daily() -> int:
    today = timezone.localdate()
    purge_kept(today)
    return keep_all(today, children=operator_scope("dashboards keep").children())
