"""Indicators (KPIs): every figure against a hand count, schools adding up to the
township and the county, and the API answering the selector's numbers."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from carenet.accounts.tokens import token_issue
from carenet.care.models import CareGroup
from carenet.care.presets import DEFAULT_PRESET, preset_plan
from carenet.care.selectors import tasks_for
from carenet.care.services import record_create
from carenet.children.access import visible_children
from carenet.children.models import Child, FamilyMember, Pairing, Relation
from carenet.children.services import family_member_save, pairing_start
from carenet.indicators.selectors import KEYS, indicators_for
from carenet.orgs.models import Org, OrgKind
from carenet.support.models import LegalAidCase, ParentSchoolAttendance, ParentSchoolSession
from tests.factories import child_add

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 11, 16)  # a Monday of the autumn term
AWAY = dt.date(2025, 2, 1)


@pytest.fixture
def frozen():
    with time_machine.travel(
        dt.datetime(2026, 11, 16, 10, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False
    ):
        yield


def _guardian(child, *, phone="13700000000"):
    family_member_save(
        actor=None,
        child=child,
        relation=Relation.GUARDIAN,
        data={"name": "奶奶", "phone": phone, "kinship": "祖母"},
    )


def _record(world, child, kind, date):
    record_create(actor=world.user("teacher"), child=child, kind=kind, date=date, summary="记录")


@pytest.fixture
def kids(world, frozen):
    """The world's four left-behind children (no guardian on file, schooling enrolled,
    immunization unknown, born 2015) plus:

    - a (华阳小学): complete file, immunized, talk 11-13, call 11-10, visit 08-01 (overdue
      quarterly), a mentor from 2026-12-01 (not yet);
    - b (华阳小学): guardian without a phone, immunized, dropped out, born 2008 (18);
    - c (长岭中学): complete file, dropped out, born 2012 (14), talk 11-13, a mentor
      pairing ended 2026-10-01;
    - f (华阳小学): father's name missing, otherwise complete;
    - h (华阳小学): no village and no address, otherwise complete;
    - not counted: d (left the school), e (father away only since 2026-10-01).

    Legal aid: a's eligible case was aided (04-01); c's eligible case from 2025-06 is still
    open; f's case closed in 2025 (out of the 12 months); h's case is not eligible.
    Parent school: the guardians of a and b attended 华阳小学's session on 2026-10-20, f's
    only last school year (2026-05-10), c's only after the date (2026-12-01).
    """
    a = child_add(
        world.class_1, name="安安", village=world.village, father_away=AWAY, immunization="complete"
    )
    _guardian(a)
    _record(world, a, "talk", dt.date(2026, 11, 13))
    _record(world, a, "parent_call", dt.date(2026, 11, 10))
    _record(world, a, "home_visit", dt.date(2026, 8, 1))
    pairing_start(child=a, mentor=world.user("principal"), on=dt.date(2026, 12, 1))
    b = child_add(
        world.class_2,
        name="贝贝",
        residence_address="华阳镇红星村三组",
        mother_away=AWAY,
        immunization="complete",
        schooling="dropped_out",
        birth=dt.date(2008, 1, 1),
    )
    _guardian(b, phone="")
    c = child_add(
        world.other_class,
        name="晨晨",
        village=world.other_village,
        father_away=AWAY,
        schooling="dropped_out",
        birth=dt.date(2012, 5, 6),
    )
    _guardian(c)
    _record(world, c, "talk", dt.date(2026, 11, 13))
    pairing_start(child=c, mentor=world.user("stranger_teacher"), on=dt.date(2025, 9, 1))
    Pairing.objects.filter(child=c).update(ended_on=dt.date(2026, 10, 1))
    f = child_add(world.class_1, name="芳芳", village=world.village, father_away=AWAY)
    _guardian(f)
    FamilyMember.objects.filter(child=f, relation=Relation.FATHER).update(name="")
    h = child_add(world.class_2, name="浩浩", father_away=AWAY)
    _guardian(h)
    d = child_add(world.class_1, name="丁丁", village=world.village, father_away=AWAY)
    d.status = "left"
    d.save()
    child_add(world.class_1, name="鹅鹅", village=world.village, father_away=dt.date(2026, 10, 1))
    teacher = world.user("teacher")
    _legal_aid(teacher, a, dt.date(2026, 3, 1), aided_on=dt.date(2026, 4, 1))
    _legal_aid(teacher, c, dt.date(2025, 6, 1))
    _legal_aid(teacher, f, dt.date(2025, 1, 1), closed_on=dt.date(2025, 6, 1))
    _legal_aid(teacher, h, dt.date(2026, 10, 1), eligible=False)
    _attended(world.school, dt.date(2026, 10, 20), a, b)
    _attended(world.school, dt.date(2026, 5, 10), f)
    _attended(world.other_school, dt.date(2026, 12, 1), c)
    return {"a": a, "b": b, "c": c, "f": f, "h": h}


def _legal_aid(recorder, child, opened_on, *, aided_on=None, closed_on=None, eligible=True):
    LegalAidCase.objects.create(
        child=child,
        recorded_by=recorder,
        county_code=child.county_code,
        opened_on=opened_on,
        matter="纠纷",
        eligible=eligible,
        aided=aided_on is not None,
        aided_on=aided_on,
        closed_on=closed_on,
    )


def _attended(org, held_on, *children):
    session = ParentSchoolSession.objects.create(
        org=org, county_code=org.county_code, held_on=held_on, topic="家庭教育"
    )
    for child in children:
        ParentSchoolAttendance.objects.create(
            session=session,
            member=FamilyMember.objects.get(child=child, relation=Relation.GUARDIAN),
            county_code=child.county_code,
        )


def _figures(org, children=None):
    children = Child.objects.all() if children is None else children
    return {
        i.key: (i.numerator, i.denominator)
        for i in indicators_for(org, as_of=AS_OF, children=children)
    }


def test_every_indicator_equals_a_hand_count(world, kids):
    # In care: own_child, mentee, villager_elsewhere, outsider, a, b, c, f, h (9).
    county = _figures(world.county)
    assert county == {
        "filing_rate": (2, 9),  # a and c
        "enrollment_rate": (7, 8),  # b is 18; c dropped out
        "retention_rate": (7, 9),  # b and c dropped out
        "immunization_rate": (2, 9),  # a and b
        "legal_aid_rate": (1, 2),  # a of a and c
        "parent_education_rate": (2, 5),  # a and b of the guardians of a, b, c, f, h
        "mentor_coverage": (1, 9),  # mentee; a's starts later, c's has ended
        "talk_completion": (2, 9),  # a and c talked on 11-13, the others never
        "home_visit_completion": (8, 9),  # a's last visit (08-01) is a quarter old
        "parent_call_completion": (1, 9),  # a called on 11-10
    }
    school = _figures(world.school)  # own_child, mentee, a, b, f, h
    assert school["filing_rate"] == (1, 6)
    assert school["enrollment_rate"] == (5, 5)
    assert school["retention_rate"] == (5, 6)
    assert school["mentor_coverage"] == (1, 6)
    assert school["talk_completion"] == (1, 6)
    assert school["legal_aid_rate"] == (1, 1)
    assert school["parent_education_rate"] == (2, 4)
    other = _figures(world.other_school)  # villager_elsewhere, outsider, c
    assert other["filing_rate"] == (1, 3)
    assert other["enrollment_rate"] == (2, 3)
    assert other["immunization_rate"] == (0, 3)
    assert other["legal_aid_rate"] == (0, 1)
    assert other["parent_education_rate"] == (0, 1)
    assert _figures(world.class_1)["filing_rate"] == (1, 3)  # own_child, a, f
    # A village counts the children living there: own_child, mentee, villager_elsewhere,
    # a and f.
    assert _figures(world.village)["filing_rate"] == (1, 5)


def test_a_plan_naming_poor_pupils_counts_their_care_work_only(world, kids):
    # 李明 (华阳小学, not left-behind) is 特困, and the county's plan names 特困生.
    plan = preset_plan(DEFAULT_PRESET, org=world.county, school_year=2026)
    plan.care_groups = [CareGroup.LEFT_BEHIND, CareGroup.POOR]
    plan.save()
    Child.objects.filter(pk=world.school_child.pk).update(categories=",poor,")
    county = _figures(world.county)
    assert county["talk_completion"] == (2, 10)  # and 李明, never talked with
    assert county["home_visit_completion"] == (9, 10)
    assert county["parent_call_completion"] == (1, 10)
    assert county["filing_rate"] == (2, 9)  # the left-behind, as before
    assert county["mentor_coverage"] == (1, 9)
    tasks = tasks_for(Child.objects.all(), as_of=AS_OF)
    talks = [t for t in tasks if t.kind == "talk"]
    assert county["talk_completion"] == (sum(not t.overdue for t in talks), len(talks))


def test_values_and_targets(world, kids):
    found = {
        i.key: i for i in indicators_for(world.county, as_of=AS_OF, children=Child.objects.all())
    }
    assert set(found) == set(KEYS)
    assert found["filing_rate"].value == 22.2
    assert found["home_visit_completion"].value == 88.9
    assert found["filing_rate"].target == 100.0
    assert found["immunization_rate"].target == 95.0
    assert found["mentor_coverage"].target is None
    assert found["legal_aid_rate"].value == 50.0
    assert str(found["filing_rate"].label) == "建档率"


def test_schools_add_up_to_the_township_and_the_county(world, kids):
    schools = Org.objects.filter(kind=OrgKind.SCHOOL)
    sums = {key: [0, 0] for key in KEYS}
    for school in schools:
        for key, (numerator, denominator) in _figures(school).items():
            sums[key][0] += numerator
            sums[key][1] += denominator
    assert {key: tuple(v) for key, v in sums.items()} == _figures(world.county)
    for township in (world.township, world.other_township):
        township_sums = {key: [0, 0] for key in KEYS}
        for school in schools.filter(path__startswith=township.path):
            for key, (numerator, denominator) in _figures(school).items():
                township_sums[key][0] += numerator
                township_sums[key][1] += denominator
        assert {key: tuple(v) for key, v in township_sums.items()} == _figures(township)


def _get(client, user, query):
    _, token = token_issue(user=user)
    return client.get(f"/api/v1/kpis{query}", HTTP_AUTHORIZATION=f"Bearer {token}")


def test_the_api_answers_the_selector_numbers(world, kids, client):
    response = _get(client, world.user("county_admin"), "?org=340827&as_of=2026-11-16")
    assert response.status_code == 200
    body = response.json()
    assert body["org"] == "340827" and body["as_of"] == "2026-11-16"
    expected = indicators_for(world.county, as_of=AS_OF, children=Child.objects.all())
    assert body["indicators"] == [
        {
            "key": i.key,
            "label": str(i.label),
            "definition": str(i.definition),
            "value": i.value,
            "numerator": i.numerator,
            "denominator": i.denominator,
            "target": i.target,
        }
        for i in expected
    ]


def test_the_api_counts_only_visible_children(world, kids, client):
    user = world.user("principal")
    body = _get(client, user, "?as_of=2026-11-16").json()  # default: the principal's school
    assert body["org"] == world.school.code
    figures = {i["key"]: (i["numerator"], i["denominator"]) for i in body["indicators"]}
    assert figures == _figures(world.school, children=visible_children(user))
    teacher = world.user("teacher")  # sees the school by name, but only their children
    body = _get(client, teacher, f"?org={world.school.code}&as_of=2026-11-16").json()
    filing = next(i for i in body["indicators"] if i["key"] == "filing_rate")
    assert (
        filing["denominator"]
        == visible_children(teacher)
        .filter(
            school=world.school,
            pk__in=[world.own_child.pk, world.mentee.pk, kids["a"].pk, kids["f"].pk],
        )
        .count()
        == 4
    )


def test_the_api_hides_orgs_outside_scope_and_checks_input(world, kids, client):
    principal = world.user("principal")
    for query in ("?org=340827", f"?org={world.other_school.code}", "?org=nosuchorg"):
        response = _get(client, principal, query)
        assert response.status_code == 404
        assert set(response.json()) == {"detail"}
    assert _get(client, world.user("nobody"), "").status_code == 404
    assert _get(client, principal, "?as_of=2026-13-40").status_code == 422
    assert client.get("/api/v1/kpis?org=340827").status_code == 401
