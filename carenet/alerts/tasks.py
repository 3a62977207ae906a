"""Queue jobs (huey, discovered by ``run_huey``): the early warning's hourly sweep."""

from __future__ import annotations

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from carenet.alerts.jobs import alerts_sweep


# Every hour at :10: unhandled alerts escalate within the hour their time is up (the
# daily ``carenet remind`` runs the same sweep).
@db_periodic_task(crontab(minute="10"))
def alerts_hourly() -> str:
    return alerts_sweep(now=timezone.now()).describe()
