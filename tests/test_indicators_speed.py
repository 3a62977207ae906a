"""The fast paths of the indicators count what ``tasks_for`` and the plain filters count:
the one-date split of on-time tasks (``on_time_from``), the grouped count per school, and
the kept per-school counts (``SchoolFigures``), which must equal a count from scratch
after every kind of change to the records they were counted from."""

import datetime as dt
import random
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from carenet.care.models import (
    SCHEDULED_KINDS,
    CareGroup,
    CareKind,
    CarePlan,
    CareRecord,
    Frequency,
)
from carenet.care.presets import preset_plan
from carenet.care.selectors import next_due, on_time_from, tasks_for
from carenet.care.services import record_create
from carenet.children.access import visible_children
from carenet.children.models import AwayPeriod, Child, FamilyMember, Pairing, Relation
from carenet.children.services import pairing_start
from carenet.indicators.kept import valid_units
from carenet.indicators.models import SchoolFigures
from carenet.indicators.selectors import (
    TASK_KINDS,
    children_in_care,
    enrolled,
    file_complete,
    indicators_by_school,
    indicators_for,
    mentored,
    org_filter,
    school_age,
)
from carenet.orgs.models import Org, OrgKind
from carenet.support.models import LegalAidCase, ParentSchoolAttendance, ParentSchoolSession
from carenet.support.selectors import (
    guardian_attended,
    has_guardian,
    legal_aid_eligible,
    legal_aid_given,
)
from tests.factories import child_add

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 11, 16)
SHANGHAI = ZoneInfo("Asia/Shanghai")
# Across the term start, 国庆, a plain week, the winter break, the spring term start.
AS_OF_DAYS = [
    dt.date(2026, 9, 2),
    dt.date(2026, 10, 3),
    AS_OF,
    dt.date(2027, 1, 25),
    dt.date(2027, 2, 22),
]


def _from_scratch(org, as_of, children=None):
    """The indicators as plain filters and ``tasks_for`` count them, child by child: the
    left-behind ones over the children in care, the care-work ones over every child under
    the org (``tasks_for`` keeps those of their unit's plan's care groups)."""
    children = Child.objects.all() if children is None else children
    base = children_in_care(org, as_of=as_of, children=children)
    in_care = base.count()
    age = school_age(as_of)
    figures = {
        "filing_rate": (base.filter(file_complete(as_of)).count(), in_care),
        "enrollment_rate": (
            base.filter(age, enrolled(as_of)).count(),
            base.filter(age).count(),
        ),
        "retention_rate": (base.exclude(schooling="dropped_out").count(), in_care),
        "immunization_rate": (base.filter(immunization="complete").count(), in_care),
        "legal_aid_rate": (
            base.filter(legal_aid_given(as_of)).count(),
            base.filter(legal_aid_eligible(as_of)).count(),
        ),
        "parent_education_rate": (
            base.filter(guardian_attended(as_of)).count(),
            base.filter(has_guardian()).count(),
        ),
        "mentor_coverage": (base.filter(mentored(as_of)).count(), in_care),
    }
    under = children.filter(org_filter(org))
    tasks = tasks_for(under, as_of=as_of)
    for key, kind in TASK_KINDS.items():
        due = {t.child.pk for t in tasks if t.kind == kind}
        done = {t.child.pk for t in tasks if t.kind == kind and not t.overdue}
        figures[key] = (len(done), len(due))
    return figures


def _figures(org, as_of=AS_OF, children=None):
    children = Child.objects.all() if children is None else children
    return {
        i.key: (i.numerator, i.denominator)
        for i in indicators_for(org, as_of=as_of, children=children)
    }


def test_one_date_splits_overdue_from_on_time_tasks():
    kinds = (CareKind.TALK, CareKind.PARENT_CALL)  # a school-side kind and one that is not
    for as_of in [dt.date(2026, 8, 20) + dt.timedelta(days=17 * i) for i in range(24)]:
        for kind in kinds:
            for frequency in Frequency.values:
                rule = on_time_from(kind, frequency, as_of)
                if rule is None:
                    assert next_due(kind, frequency, None, as_of) is None
                    continue
                first, never = rule
                assert never == (next_due(kind, frequency, None, as_of) >= as_of)
                for back in range(-10, 420):
                    last = as_of - dt.timedelta(days=back)
                    on_time = next_due(kind, frequency, last, as_of) >= as_of
                    assert on_time == (last >= first), (kind, frequency, as_of, last)


@pytest.fixture
def county(world):
    """Two schools under different plans (monthly talks and term-point home visits for the
    left-behind and 特困生 at 华阳小学, the default weekly talks for the left-behind at
    长岭中学) and 40 children with random families, pairings and a year and a half of
    records around the days measured; every third child is a 特困生 (some of them not
    left-behind)."""
    rng = random.Random(5)
    extra = random.Random(11)  # legal aid and parent school, apart from the rest's draws
    school_year = 2026
    plan = preset_plan("monthly_talks", org=world.school, school_year=school_year)
    plan.care_groups = [CareGroup.LEFT_BEHIND, CareGroup.POOR]
    plan.save()
    teacher = world.user("teacher")
    classes = [world.class_1, world.class_2, world.other_class]
    # Parent-school sessions in two school years, at both schools.
    sessions = [
        ParentSchoolSession.objects.create(
            org=school, county_code="340827", held_on=day, topic="家庭教育讲座"
        )
        for school in (world.school, world.other_school)
        for day in (dt.date(2026, 5, 10), dt.date(2026, 10, 20), dt.date(2027, 1, 8))
    ]
    villages = [world.village, world.other_village, None]
    for n in range(40):
        away = dt.date(2026, 1, 1) + dt.timedelta(days=rng.randrange(0, 400))
        child = child_add(
            rng.choice(classes),
            name=f"孩子{n}",
            village=rng.choice(villages),
            residence_address=rng.choice(["", "某村三组"]),
            birth=dt.date(rng.randrange(2008, 2022), 5, 1),
            schooling=rng.choice(["enrolled", "enrolled", "dropped_out"]),
            immunization=rng.choice(["complete", "unknown"]),
            father_away=away if rng.random() < 0.7 else None,
            mother_away=away if rng.random() < 0.4 else None,
        )
        if rng.random() < 0.6:
            guardian = FamilyMember.objects.create(
                child=child,
                county_code="340827",
                relation=Relation.GUARDIAN,
                name="奶奶",
                phone=rng.choice(["", "13700000000"]),
            )
            if extra.random() < 0.5:
                session = sessions[extra.randrange(len(sessions))]
                ParentSchoolAttendance.objects.create(
                    session=session, member=guardian, county_code="340827"
                )
        if extra.random() < 0.25:
            opened = dt.date(2025, 9, 1) + dt.timedelta(days=extra.randrange(0, 450))
            aided = extra.random() < 0.6
            LegalAidCase.objects.create(
                child=child,
                county_code="340827",
                opened_on=opened,
                matter="抚养费纠纷",
                eligible=extra.random() < 0.8,
                aided=aided,
                aided_on=opened + dt.timedelta(days=20) if aided else None,
                recorded_by=teacher,
            )
        if rng.random() < 0.5:
            start = dt.date(2026, rng.randrange(1, 13), 1)
            pairing = pairing_start(child=child, mentor=teacher, on=start)
            if rng.random() < 0.3:
                Pairing.objects.filter(pk=pairing.pk).update(ended_on=start + dt.timedelta(60))
        CareRecord.objects.bulk_create(
            CareRecord(
                child=child,
                county_code="340827",
                kind=rng.choice(SCHEDULED_KINDS),
                date=dt.date(2025, 12, 1) + dt.timedelta(days=rng.randrange(0, 480)),
                author=teacher,
                summary="记录",
            )
            for _ in range(rng.randrange(0, 12))
        )
        if n % 3 == 0:
            Child.objects.filter(pk=child.pk).update(categories=",poor,")
    return world


@pytest.mark.parametrize("as_of", AS_OF_DAYS)
def test_every_org_counts_as_tasks_for_does(county, as_of):
    world = county
    orgs = [
        world.county,
        world.township,
        world.other_township,
        world.school,
        world.other_school,
        world.class_1,
        world.village,
    ]
    for org in orgs:
        assert _figures(org, as_of) == _from_scratch(org, as_of), org
    # A partial view (a teacher's children) is counted from scratch, never kept.
    seen = visible_children(world.user("teacher"))
    assert _figures(world.school, as_of, children=seen) == _from_scratch(
        world.school, as_of, children=seen
    )
    assert _figures(world.county, as_of)["talk_completion"][1] > 0
    # 华阳小学's plan names 特困生: its talks are due for more children than the left-behind.
    in_care = children_in_care(world.school, as_of=as_of, children=Child.objects.all()).count()
    assert _figures(world.school, as_of)["talk_completion"][1] > in_care


def test_the_schools_add_up_to_the_county(county):
    per_school = indicators_by_school(county.county, as_of=AS_OF, children=Child.objects.all())
    assert set(per_school) == {county.school.pk, county.other_school.pk}
    total: dict[str, list[int]] = {}
    for indicators in per_school.values():
        for i in indicators:
            numerator, denominator = total.setdefault(i.key, [0, 0])
            total[i.key] = [numerator + i.numerator, denominator + i.denominator]
    assert {key: tuple(v) for key, v in total.items()} == _figures(county.county)
    school_targets = {i.key: i.target for i in per_school[county.school.pk]}
    assert school_targets == {
        i.key: i.target
        for i in indicators_for(county.school, as_of=AS_OF, children=Child.objects.all())
    }


def test_a_second_reader_gets_the_kept_counts_without_counting(county):
    first = _figures(county.county)
    # Kept per unit: the schools, and the villages (for the children not at a school).
    assert set(SchoolFigures.objects.values_list("school_id", flat=True)) == {
        county.school.pk,
        county.other_school.pk,
        county.village.pk,
        county.other_village.pk,
    }
    with CaptureQueriesContext(connection) as queries:
        assert _figures(county.county) == first
    assert not any("care_carerecord" in q["sql"] for q in queries.captured_queries)
    # A principal sees the whole school: the kept counts serve them too.
    principal = visible_children(county.user("principal"))
    with CaptureQueriesContext(connection) as queries:
        assert _figures(county.school, children=principal) == _figures(county.school)
    assert not any("care_carerecord" in q["sql"] for q in queries.captured_queries)


def _kept_schools():
    """The schools with valid kept counts (villages keep theirs too:
    tests/test_village_children.py)."""
    schools = Org.objects.filter(kind=OrgKind.SCHOOL).values_list("pk", flat=True)
    return valid_units(SchoolFigures, schools, as_of=AS_OF)


def _child_in_care_with_talks(school):
    child = (
        children_in_care(school, as_of=AS_OF, children=Child.objects.all())
        .filter(care_records__kind=CareKind.TALK)
        .order_by("pk")
        .first()
    )
    assert child is not None  # the fixture's random county has one
    return child


def test_the_kept_counts_equal_a_count_from_scratch_after_every_change(county):
    world = county
    teacher = world.user("teacher")
    a = _child_in_care_with_talks(world.school)
    b = _child_in_care_with_talks(world.other_school)
    changes = [
        # (what changes, whose school's counts it must drop)
        ("a talk logged", lambda: record_create(
            actor=teacher, child=a, kind="talk", date=AS_OF, summary="谈心"), {world.school}),
        ("a record's date changed by update()", lambda: CareRecord.objects.filter(
            child=b, kind__in=TASK_KINDS.values()).update(date=dt.date(2025, 1, 1)),
            {world.other_school}),
        ("records deleted", lambda: CareRecord.objects.filter(child=a).delete(), {world.school}),
        ("a mentor paired", lambda: pairing_start(
            child=b, mentor=teacher, on=dt.date(2026, 11, 1)), {world.other_school}),
        ("a pairing ended by update()", lambda: Pairing.objects.filter(child=b).update(
            ended_on=dt.date(2026, 11, 10)), {world.other_school}),
        ("a parent's name cleared", lambda: FamilyMember.objects.filter(
            child=a, relation__in=(Relation.FATHER, Relation.MOTHER)).update(name=""),
            {world.school}),
        ("a parent comes home", lambda: AwayPeriod.objects.filter(child=b).update(
            end=dt.date(2026, 11, 1)), {world.other_school}),
        ("a parent leaves", lambda: AwayPeriod.objects.create(
            child=b, county_code="340827", relation=Relation.MOTHER,
            start=dt.date(2026, 1, 1)), {world.other_school}),
        ("a legal-aid case opened", lambda: LegalAidCase.objects.create(
            child=a, county_code="340827", opened_on=dt.date(2026, 10, 1), matter="纠纷",
            eligible=True, recorded_by=teacher), {world.school}),
        ("legal aid given by update()", lambda: LegalAidCase.objects.filter(child=a).update(
            aided=True, aided_on=dt.date(2026, 10, 15)), {world.school}),
        ("a guardian attends", lambda: ParentSchoolAttendance.objects.create(
            session=ParentSchoolSession.objects.filter(held_on=dt.date(2026, 10, 20)).first(),
            member=FamilyMember.objects.create(child=b, county_code="340827",
                relation=Relation.GUARDIAN, name="外婆"),
            county_code="340827"), {world.other_school}),
        ("a session moved to another year", lambda: ParentSchoolSession.objects.filter(
            held_on=dt.date(2026, 10, 20)).update(held_on=dt.date(2026, 5, 20)),
            {world.school, world.other_school}),
        ("a child becomes a 特困生", lambda: Child.objects.filter(pk=a.pk).update(
            categories=",poor,"), {world.school}),
        ("a child leaves school", lambda: Child.objects.filter(pk=a.pk).update(status="left"),
            {world.school}),
        ("a child moves school", lambda: Child.objects.filter(pk=b.pk).update(
            school=world.school, school_class=world.class_1), {world.school, world.other_school}),
        ("a child's file deleted", lambda: Child.objects.filter(pk=b.pk).delete(),
            {world.school}),
    ]  # fmt: skip
    # The fixture gives the support indicators something to count.
    start = _figures(world.county)
    assert start["legal_aid_rate"][1] and start["parent_education_rate"][0]
    for label, change, dropped in changes:
        assert _figures(world.county) == _from_scratch(world.county, AS_OF), label
        assert _kept_schools() == {world.school.pk, world.other_school.pk}
        change()
        assert _kept_schools() == {world.school.pk, world.other_school.pk} - {
            s.pk for s in dropped
        }, label
        assert _figures(world.county) == _from_scratch(world.county, AS_OF), label


def test_a_plan_that_schedules_differently_is_counted_again(county):
    world = county
    before = _figures(world.school)
    plan = CarePlan.objects.get(org=world.school)
    plan.frequencies = plan.frequencies | {CareKind.TALK: Frequency.WEEKLY}
    plan.save()
    after = _figures(world.school)
    assert after == _from_scratch(world.school, AS_OF)
    assert after["talk_completion"] != before["talk_completion"]
    plan.frequencies = plan.frequencies | {CareKind.HOME_VISIT: Frequency.NONE}
    plan.save()
    assert _figures(world.county) == _from_scratch(world.county, AS_OF)
    assert _figures(world.school)["home_visit_completion"] == (0, 0)


def test_a_plan_that_cares_for_other_groups_is_counted_again(county):
    world = county
    before = _figures(world.school)
    plan = CarePlan.objects.get(org=world.school)
    plan.care_groups = [CareGroup.LEFT_BEHIND]
    plan.save()
    after = _figures(world.school)
    assert after == _from_scratch(world.school, AS_OF)
    assert after["talk_completion"][1] < before["talk_completion"][1]
    assert after["filing_rate"] == before["filing_rate"]
    assert _figures(world.county) == _from_scratch(world.county, AS_OF)


def test_the_daily_job_counts_every_school_of_every_county(county):
    from carenet.indicators.tasks import indicators_daily

    with time_machine.travel(dt.datetime(2026, 11, 16, 0, 5, tzinfo=SHANGHAI), tick=False):
        indicators_daily()  # run at once (the tests' queue is immediate)
    assert _kept_schools() == {county.school.pk, county.other_school.pk}
    assert _figures(county.county) == _from_scratch(county.county, AS_OF)
