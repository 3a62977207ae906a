"""The demo county's care history: a term of records, some children well cared for,
some overdue, so that the teacher's and the principal's first screens show real work."""

import datetime as dt
from collections import Counter

import pytest
import time_machine
from django.contrib.auth.models import User
from django.utils import timezone

from carenet.care import calendar, selectors
from carenet.care.models import DETAIL_FIELDS, CareKind, CarePlan, CareRecord
from carenet.children.access import visible_children
from carenet.children.models import Child, Pairing, PairingKind
from carenet.children.selectors import left_behind_only, with_left_behind
from carenet.demo.history import term_for_history
from carenet.demo.services import demo_build
from carenet.orgs.models import OrgKind, Role

pytestmark = pytest.mark.django_db

PASSWORD = "Demo-pass-2026"


def _at(day: dt.date):
    return time_machine.travel(dt.datetime(day.year, day.month, day.day, 2, tzinfo=dt.UTC))


def _teacher_tasks(today: dt.date) -> list[selectors.Task]:
    teacher = User.objects.get(username="teacher")
    return selectors.tasks_for(
        selectors.my_children(teacher), as_of=today, until=selectors.week_end(today)
    )


@pytest.mark.parametrize(
    "day",
    [
        dt.date(2026, 11, 18),  # a Wednesday in the autumn term
        dt.date(2026, 10, 9),  # the Friday after 国庆
        dt.date(2027, 1, 27),  # a Wednesday in the winter break
        dt.date(2027, 4, 14),  # a Wednesday in the spring term
    ],
)
def test_the_teacher_has_overdue_tasks_and_tasks_due_this_week(day):
    with _at(day):
        demo_build(children=120, seed=5, password=PASSWORD)
        today = timezone.localdate()
        tasks = _teacher_tasks(today)
    assert today == day
    assert any(t.overdue for t in tasks), tasks
    due = [t for t in tasks if not t.overdue]
    assert due and all(today <= t.due_date <= selectors.week_end(today) for t in due)
    # Nothing is written after the day the demo is built.
    assert not CareRecord.objects.filter(date__gt=day).exists()


def test_the_principal_sees_teachers_behind_schedule():
    with _at(dt.date(2026, 11, 18)):
        demo_build(children=600, seed=2, password=PASSWORD)
        today = timezone.localdate()
        principal = User.objects.get(username="principal")
        tasks = selectors.tasks_for(visible_children(principal), as_of=today)
    _by_class, by_mentor = selectors.group_tasks(tasks, today)
    behind = [row for row in by_mentor if row.overdue]
    assert len(behind) >= 2
    # Not everyone is behind: most of the school's tasks are not overdue yet.
    assert sum(t.overdue for t in tasks) < len(tasks) / 2


def test_records_cover_most_left_behind_children_by_their_mentor_or_class_teacher():
    with _at(dt.date(2026, 11, 18)):
        demo_build(children=400, seed=3, password=PASSWORD)
        today = timezone.localdate()
        left_behind = list(
            left_behind_only(with_left_behind(Child.objects.all())).values_list("pk", flat=True)
        )
    with_records = set(CareRecord.objects.values_list("child_id", flat=True))
    assert len(with_records & set(left_behind)) >= 0.85 * len(left_behind)
    start, _end = term_for_history(today)
    assert start == dt.date(2026, 9, 1)
    records = list(CareRecord.objects.select_related("child__school_class", "author"))
    # 劝返 records only for the few children who dropped out (none in some builds).
    kinds = {r.kind for r in records}
    assert set(CareKind.values) - {CareKind.PERSUADE_BACK} <= kinds <= set(CareKind.values)
    assert all(start <= r.date <= today for r in records)
    mentors = {
        p.child_id: p.mentor_id
        for p in Pairing.objects.filter(kind=PairingKind.MENTOR, ended_on__isnull=True)
    }
    for record in records:
        assert record.summary and not record.summary.isascii()
        assert set(record.details) <= set(DETAIL_FIELDS.get(record.kind, ()))
        assert record.confidential == (record.kind == CareKind.COUNSELING)
        if record.child_id in mentors:
            assert record.author_id == mentors[record.child_id]
        else:
            assert record.author.memberships.filter(
                org=record.child.school_class, role=Role.TEACHER
            ).exists()
    talk = next(r for r in records if r.kind == CareKind.TALK)
    assert set(talk.details) == set(DETAIL_FIELDS[CareKind.TALK])
    assert talk.details["place"] in ("办公室", "教室", "操场", "教室走廊", "心理咨询室")
    visit = next(r for r in records if r.kind == CareKind.HOME_VISIT)
    assert visit.details["guardian_capacity"] in ("good", "fair", "poor")
    call = next(r for r in records if r.kind == CareKind.PARENT_CALL)
    assert call.details["with"] in ("父亲", "母亲") and 0 < call.details["duration_minutes"]


def test_schools_differ_and_some_follow_a_plan_of_their_own():
    with _at(dt.date(2026, 11, 18)):
        demo_build(children=1000, seed=1, password=PASSWORD)
        today = timezone.localdate()
        admin = User.objects.get(username="county_admin")
        tasks = selectors.tasks_for(visible_children(admin), as_of=today)
    county_plan = CarePlan.objects.get(org__kind=OrgKind.COUNTY)
    assert county_plan.preset == "weekly_talks"
    assert CarePlan.objects.filter(org__kind=OrgKind.SCHOOL, preset="monthly_talks").exists()
    overdue, total = Counter(), Counter()
    for task in tasks:
        total[task.child.school_id] += 1
        overdue[task.child.school_id] += task.overdue
    shares = sorted(overdue[s] / total[s] for s in total)
    assert shares[-1] - shares[0] > 0.2


def test_the_history_is_the_same_for_a_seed():
    def records():
        return list(
            CareRecord.objects.order_by("pk").values_list(
                "child__id_number_hash", "kind", "date", "author__username"
            )
        )

    with _at(dt.date(2026, 11, 18)):
        demo_build(children=150, seed=9, password=PASSWORD)
        first = records()
        demo_build(children=150, seed=9, password=PASSWORD, reset=True)
        assert records() == first and first


def test_the_term_of_the_history():
    assert term_for_history(dt.date(2026, 11, 18)) == calendar.terms(2026)[0]
    assert term_for_history(dt.date(2027, 1, 27)) == calendar.terms(2026)[0]
    assert term_for_history(dt.date(2027, 4, 1)) == calendar.terms(2026)[1]
    assert term_for_history(dt.date(2027, 8, 10)) == calendar.terms(2026)[1]
    assert term_for_history(dt.date(2026, 9, 1)) == calendar.terms(2026)[0]


def test_the_demo_has_open_individual_plans_with_reviews_one_for_the_teacher(db):
    from carenet.childplans.models import IndividualPlan, PlanStatus
    from carenet.demo.services import demo_build

    demo_build(children=300, seed=3)
    plans = IndividualPlan.objects.filter(status=PlanStatus.OPEN)
    assert plans.exists()
    assert all(plan.reviews.exists() for plan in plans)
    assert plans.filter(
        child__pairings__mentor__username="teacher", child__pairings__ended_on__isnull=True
    ).exists()
    assert not plans.filter(child__risk_level="low").exists()
