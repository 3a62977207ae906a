"""A register import raises the early warning's file alerts as it saves the files: a
guardian assessed 无人监护 or 监护能力不足 on the 2016 form is an alert at once, not when the
file is next edited."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import time_machine

from carenet.alerts.models import OPEN_STATUSES, Alert, AlertRule
from carenet.children.models import Child, RiskLevel
from carenet.exchange.importer import import_commit, import_preview
from tests.national_registers import survey_register
from tests.test_import_national import _survey_children

pytestmark = pytest.mark.django_db
TZ = zoneinfo.ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(dt.datetime(2026, 10, 15, 9, tzinfo=TZ), tick=False):
        yield


def _open(name: str) -> set[str]:
    return set(
        Alert.objects.filter(child__name=name, status__in=OPEN_STATUSES).values_list(
            "rule", flat=True
        )
    )


def test_the_2016_register_raises_the_alerts_its_rows_state(world):
    data = survey_register(_survey_children())
    preview = import_preview(data=data, filename="花名册.xlsx", school=world.village)
    import_commit(preview=preview, school=world.village, actor=world.user("village_director"))
    # 刘三弟: 监护类型 无人监护 → severe, a report due, high risk at once; reviewed, the
    # child's other rules run too (parents away since 2024, no call on record).
    assert _open("刘三弟") == {AlertRule.NO_GUARDIAN, AlertRule.NO_PARENT_CONTACT}
    alert = Alert.objects.get(child__name="刘三弟", rule=AlertRule.NO_GUARDIAN)
    assert alert.report_due and alert.owner == world.user("village_director")
    assert Child.objects.get(name="刘三弟").risk_level == RiskLevel.HIGH
    # 刘小妹: 受委托监护人监护能力不足 → 监护状况差 (serious): medium.
    assert AlertRule.GUARDIAN_POOR in _open("刘小妹")
    assert Child.objects.get(name="刘小妹").risk_level == RiskLevel.MEDIUM
    # The others state nothing a file rule reads.
    for name in ("刘洋", "刘大哥", "刘二姐"):
        assert _open(name) == set(), name


def test_the_same_register_twice_raises_nothing_more(world):
    data = survey_register(_survey_children())
    for _ in range(2):
        preview = import_preview(data=data, filename="花名册.xlsx", school=world.village)
        import_commit(preview=preview, school=world.village, actor=world.user("village_director"))
    assert Alert.objects.filter(child__name="刘三弟", rule=AlertRule.NO_GUARDIAN).count() == 1
