"""The demo county: deterministic, idempotent, valid, and real work for every demo account."""

import datetime as dt
from collections import Counter

import pytest
import time_machine
from dateutil.relativedelta import relativedelta
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.utils import timezone

from carenet.care.models import CarePlan, CareRecord
from carenet.care.services import record_create
from carenet.children.access import visible_children
from carenet.children.models import AwayPeriod, Child, FamilyMember, Pairing, PairingKind
from carenet.children.selectors import with_left_behind
from carenet.children.services import child_save, pairing_start
from carenet.demo.services import DEMO_ACCOUNTS, demo_build
from carenet.lib.crypto import blind_index
from carenet.lib.idcard import parse_id_number
from carenet.orgs.models import Membership, Org, OrgKind, Role

pytestmark = pytest.mark.django_db

N = 60
PASSWORD = "Demo-pass-2026"
ROLES = {
    "county_admin": (Role.COUNTY_ADMIN, OrgKind.COUNTY),
    "township_supervisor": (Role.TOWNSHIP_SUPERVISOR, OrgKind.TOWNSHIP),
    "village_director": (Role.VILLAGE_DIRECTOR, OrgKind.VILLAGE),
    "principal": (Role.PRINCIPAL, OrgKind.SCHOOL),
    "teacher": (Role.TEACHER, OrgKind.CLASS),
}


@pytest.fixture
def demo():
    return demo_build(children=N, seed=7, password=PASSWORD)


def _snapshot() -> list[tuple]:
    children = [
        (c.name, c.id_number, c.gender, c.birth_date, c.school.code, c.school_class.code)
        for c in Child.objects.select_related("school", "school_class").order_by("pk")
    ]
    family = list(
        FamilyMember.objects.order_by("pk").values_list("relation", "name", "id_number", "phone")
    )
    periods = list(AwayPeriod.objects.order_by("pk").values_list("relation", "start", "end"))
    mentors = list(
        Pairing.objects.order_by("pk").values_list("child__id_number_hash", "mentor__username")
    )
    records = [
        (r.child.id_number_hash, r.kind, r.date, r.author.username, r.summary, r.details)
        for r in CareRecord.objects.select_related("child", "author").order_by("pk")
    ]
    return [children, family, periods, mentors, records]


def _counts() -> dict[str, int]:
    models = [Org, User, Membership, Child, FamilyMember, AwayPeriod, Pairing, CarePlan, CareRecord]
    return {m.__name__: m.objects.count() for m in models}


def _user(username: str) -> User:
    return User.objects.get(username=username)


def test_it_builds_the_demo_county_with_the_children_asked_for(demo):
    assert demo.created
    assert (demo.county, demo.county_code, demo.children) == ("望江县", "340827", N)
    assert Child.objects.count() == N
    assert "望江县" in demo.describe() and str(N) in demo.describe()


def test_org_codes_follow_the_division_and_school_codes(demo):
    orgs = Org.objects.all()
    county = orgs.get(kind=OrgKind.COUNTY)
    assert (county.code, county.name) == ("340827", "望江县")
    for org in orgs.filter(kind=OrgKind.TOWNSHIP):
        assert len(org.code) == 9 and org.code.startswith("340827")
    for org in orgs.filter(kind=OrgKind.VILLAGE):
        assert len(org.code) == 12 and org.name.endswith(("村", "社区"))
    schools = orgs.filter(kind=OrgKind.SCHOOL)
    assert all(len(s.code) == 10 and s.code.startswith("2134") for s in schools)
    changling = schools.get(name="长岭中学")
    assert Org.objects.get_parent(changling).name == "长岭镇"
    assert {o.county_code for o in orgs} == {"340827"}
    assert Org.objects.find_problems() == ([], [], [], [], [])


def test_the_same_seed_builds_the_same_county():
    demo_build(children=N, seed=3, password=PASSWORD)
    first = _snapshot()
    demo_build(children=N, seed=3, password=PASSWORD, reset=True)
    assert _snapshot() == first
    demo_build(children=N, seed=4, password=PASSWORD, reset=True)
    again = _snapshot()
    assert again[0] != first[0] and again[4] != first[4]


def test_a_second_build_reuses_the_county_and_creates_nothing(demo):
    before = _counts()
    again = demo_build(children=500, seed=99, password=PASSWORD)
    assert not again.created
    assert "已存在" in again.describe()
    assert _counts() == before
    assert again.children == N


def test_a_second_build_sets_the_new_password(demo):
    demo_build(children=N, password="Another-pass-2026")
    for username, _label in DEMO_ACCOUNTS:
        assert authenticate(username=username, password="Another-pass-2026") is not None
        assert authenticate(username=username, password=PASSWORD) is None


def test_reset_deletes_the_county_and_builds_it_anew(demo):
    # Work done in the demo since it was built: an edited file (with history), a pairing.
    edited = Child.objects.first()
    child_save(actor=_user("teacher"), child=edited, data={"notes": "已家访"})
    pairing_start(child=edited, mentor=_user("principal"), on=timezone.localdate())
    record_create(
        actor=_user("teacher"),
        child=edited,
        kind="talk",
        date=timezone.localdate(),
        summary="谈心",
    )
    assert Child.history.filter(id=edited.pk).exists()
    old_ids = set(Child.objects.values_list("pk", flat=True))
    rebuilt = demo_build(children=40, seed=7, password=PASSWORD, reset=True)
    assert rebuilt.created and rebuilt.children == 40
    assert Child.objects.count() == 40
    assert not old_ids & set(Child.objects.values_list("pk", flat=True))
    assert Org.objects.filter(kind=OrgKind.COUNTY).count() == 1
    assert User.objects.filter(username="teacher").count() == 1
    assert not Child.history.filter(id__in=old_ids).exists()
    # Nothing of the old county is left behind: the counts are those of a fresh build.
    after = _counts()
    demo_build(children=40, seed=7, password=PASSWORD, reset=True)
    assert _counts() == after


def test_every_id_number_is_valid_unique_and_agrees_with_the_file(demo):
    children = list(Child.objects.all())
    for child in children:
        parsed = parse_id_number(child.id_number)
        assert (parsed.birth_date, parsed.gender) == (child.birth_date, child.gender)
        assert child.id_number_hash == blind_index(child.id_number)
        assert child.student_number == f"G{child.id_number}"
    assert len({c.id_number for c in children}) == len(children)
    members = [m for m in FamilyMember.objects.all() if m.id_number]
    for member in members:
        parse_id_number(member.id_number)
    expected_gender = {"father": "M", "mother": "F"}
    for member in members:
        if member.relation in expected_gender:
            assert parse_id_number(member.id_number).gender == expected_gender[member.relation]
    adults = {m.id_number for m in members}
    assert len(adults) == len(members) and not adults & {c.id_number for c in children}


def test_children_are_the_age_of_their_grade(demo):
    today = timezone.localdate()
    for child in Child.objects.select_related("school_class"):
        grade = int(child.school_class.code.split("-G")[1].split("-")[0])
        age = relativedelta(today, child.birth_date).years
        assert (6 <= age <= 12) if grade <= 6 else (12 <= age <= 15), (grade, age)


def test_children_have_chinese_names_with_pinyin(demo):
    for child in Child.objects.all():
        assert 2 <= len(child.name) <= 4 and not child.name.isascii()
        assert child.name_pinyin.isascii() and child.name_pinyin
        assert len(child.name_initials) == len(child.name)


def test_demo_accounts_have_their_roles_and_log_in_with_the_password(demo):
    assert [username for username, _label in DEMO_ACCOUNTS] == list(ROLES)
    for username, (role, kind) in ROLES.items():
        user = _user(username)
        assert user.first_name and not user.first_name.isascii()
        assert user.memberships.filter(role=role, org__kind=kind).exists(), username
        assert authenticate(username=username, password=PASSWORD) == user


def test_only_the_demo_accounts_can_log_in(demo):
    staff = User.objects.exclude(username__in=ROLES)
    assert staff.count() > 50
    assert not any(user.has_usable_password() for user in staff)
    assert all(not user.first_name.isascii() for user in staff)


def test_the_accounts_are_in_the_township_of_changling_middle_school(demo):
    school = _user("principal").memberships.get(role=Role.PRINCIPAL).org
    township = _user("township_supervisor").memberships.get().org
    village = _user("village_director").memberships.get().org
    klass = _user("teacher").memberships.get(org__kind=OrgKind.CLASS).org
    assert school.name == "长岭中学"
    assert Org.objects.get_parent(school) == township == Org.objects.get_parent(village)
    assert klass.path.startswith(school.path)
    assert _user("teacher").memberships.filter(org=school, role=Role.TEACHER).exists()


def test_the_teacher_mentors_five_to_seven_children_one_outside_own_class(demo):
    teacher = _user("teacher")
    klass = teacher.memberships.get(org__kind=OrgKind.CLASS).org
    mentees = Child.objects.filter(
        pairings__mentor=teacher,
        pairings__kind=PairingKind.MENTOR,
        pairings__ended_on__isnull=True,
    )
    assert 5 <= mentees.count() <= 7
    assert mentees.exclude(school_class=klass).exists()
    assert mentees.filter(school_class=klass).exists()
    kinds = with_left_behind(mentees).values_list("left_behind_type", flat=True)
    assert "none" not in set(kinds)


def test_every_left_behind_child_of_the_principals_school_has_a_mentor(demo):
    school = _user("principal").memberships.get(role=Role.PRINCIPAL).org
    left_behind = with_left_behind(Child.objects.filter(school=school)).exclude(
        left_behind_type="none"
    )
    paired = Pairing.objects.filter(kind=PairingKind.MENTOR, ended_on__isnull=True)
    assert left_behind.count() >= 8
    assert not left_behind.exclude(pk__in=paired.values("child_id")).exists()
    loads = Counter(paired.filter(child__school=school).values_list("mentor_id", flat=True))
    assert max(loads.values()) <= 7


def test_each_account_sees_children_and_narrower_roles_see_fewer(demo):
    seen = {u: visible_children(_user(u)).count() for u in ROLES}
    assert all(seen.values()), seen
    assert seen["teacher"] < seen["principal"] < seen["county_admin"] == N
    assert seen["village_director"] <= seen["township_supervisor"] < seen["county_admin"]


def test_the_county_has_both_kinds_of_left_behind_children_and_others():
    demo_build(children=300, seed=1, password=PASSWORD)
    kinds = Counter(
        with_left_behind(Child.objects.all()).values_list("left_behind_type", flat=True)
    )
    assert set(kinds) == {"both_parents", "one_parent", "none"}
    assert 0.25 < kinds["both_parents"] / 300 < 0.45
    assert 0.2 < kinds["one_parent"] / 300 < 0.4
    # Parents who left only weeks ago, and parents who came back, are in the history.
    recent = timezone.localdate() - dt.timedelta(days=90)
    assert AwayPeriod.objects.filter(start__gt=recent, end__isnull=True).exists()
    assert AwayPeriod.objects.filter(end__isnull=False).exists()
    assert FamilyMember.objects.filter(can_guard=False).exists()
    # Some schools have paired every left-behind child, others still have work to do.
    paired = Pairing.objects.filter(kind=PairingKind.MENTOR, ended_on__isnull=True)
    unpaired = with_left_behind(Child.objects.all()).exclude(left_behind_type="none")
    unpaired = unpaired.exclude(pk__in=paired.values("child_id"))
    assert unpaired.exists() and paired.exists()
    assert Pairing.objects.filter(kind=PairingKind.BUDDY).exists()


def test_a_county_of_one_child_still_has_every_account():
    summary = demo_build(children=1, password=PASSWORD)
    assert summary.children == 1
    for username in ROLES:
        assert User.objects.filter(username=username).exists()
    assert visible_children(_user("teacher")).count() == 1


def test_dates_are_relative_to_the_day_the_demo_is_built():
    with time_machine.travel(dt.datetime(2031, 3, 15, 10, tzinfo=dt.UTC), tick=False):
        demo_build(children=N, password=PASSWORD)
        today = timezone.localdate()
        kinds = Counter(
            with_left_behind(Child.objects.all()).values_list("left_behind_type", flat=True)
        )
    assert {"both_parents", "one_parent"} <= set(kinds)
    youngest = Child.objects.order_by("-birth_date").first()
    assert 6 <= relativedelta(today, youngest.birth_date).years <= 7
    assert Pairing.objects.filter(started_on__gt=today).count() == 0
    assert AwayPeriod.objects.filter(start__gt=today).count() == 0


def test_the_demo_has_alerts_on_its_first_day_and_risk_never_below_the_floor(demo):
    from carenet.alerts.models import Alert
    from carenet.alerts.selectors import RISK_RANK
    from carenet.children.models import Child, RiskLevel

    assert Alert.objects.filter(status="open").exists()
    for child in Child.objects.exclude(risk_floor=""):
        assert RISK_RANK[RiskLevel(child.risk_level)] >= RISK_RANK[RiskLevel(child.risk_floor)]
