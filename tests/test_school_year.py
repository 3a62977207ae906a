"""The school year (学年升级): ``carenet school-year start YEAR`` and the county page.

The county: the cast's ``world`` (华阳小学 with 一(1)班 and 二(1)班, 长岭中学 with 七(1)班)
plus a 六年级 at 华阳小学 whose children graduate, a closed class between two open first-year
classes (so that an undo must put tree paths back exactly), a 华阳中学 in the same township
with 七年级 and 九年级, and a kindergarten (skipped)."""

import datetime as dt
import json
from dataclasses import dataclass

import pytest
import time_machine

from carenet.audit.models import AccessAction, AccessLog
from carenet.care.selectors import tasks_for
from carenet.children.models import Child, ChildStatus, LeaveReason, Pairing, Schooling
from carenet.children.services import pairing_start
from carenet.cli import main
from carenet.orgs.grades import class_name_next
from carenet.orgs.models import Membership, Org, OrgKind, Role
from carenet.schoolyear.models import ClassTeacherCheck, SchoolYearStart
from carenet.schoolyear.selectors import school_year_preview
from carenet.schoolyear.services import (
    SchoolYearError,
    graduates_enrol,
    school_year_start,
    school_year_undo,
)
from tests.factories import child_add, org_add, user_add
from tests.test_indicators_speed import _figures, _from_scratch

pytestmark = pytest.mark.django_db

YEAR = 2027
SEPT = dt.date(YEAR, 9, 1)
NOW = dt.datetime(2027, 8, 25, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@dataclass
class County:
    world: object
    grade_6: Org
    class_6: Org
    closed_1: Org
    class_1b: Org
    middle: Org
    class_7: Org
    class_9: Org
    kindergarten: Org
    graduates: list
    middle_graduate: Child


@pytest.fixture
def county(world):
    school = world.school
    grade_1 = Org.objects.get_parent(world.class_1)
    closed_1 = org_add(grade_1, code="3434000001-G1-2", name="一(2)班", kind=OrgKind.CLASS)
    Org.objects.filter(pk=closed_1.pk).update(closed_on=dt.date(2026, 7, 1))
    grade_1.refresh_from_db()
    class_1b = org_add(grade_1, code="3434000001-G1-3", name="一(3)班", kind=OrgKind.CLASS)
    school.refresh_from_db()
    grade_6 = org_add(school, code="3434000001-G6", name="六年级", kind=OrgKind.GRADE, level=6)
    class_6 = org_add(grade_6, code="3434000001-G6-1", name="六(1)班", kind=OrgKind.CLASS)
    away = dt.date(2025, 2, 1)
    graduates = [
        child_add(class_6, name="毕业甲", birth=dt.date(2015, 1, 5), father_away=away),
        child_add(class_6, name="毕业乙", birth=dt.date(2015, 2, 5), mother_away=away),
    ]
    pairing_start(child=graduates[0], mentor=world.user("teacher"), on=dt.date(2026, 9, 1))
    Membership.objects.create(user=world.user("teacher"), org=class_6, role=Role.TEACHER)
    middle = org_add(
        world.township, code="3434000003", name="华阳中学", kind=OrgKind.SCHOOL, stage="middle"
    )
    grade_7 = org_add(middle, code="3434000003-G7", name="七年级", kind=OrgKind.GRADE, level=7)
    class_7 = org_add(grade_7, code="3434000003-G7-1", name="七(1)班", kind=OrgKind.CLASS)
    middle.refresh_from_db()
    grade_9 = org_add(middle, code="3434000003-G9", name="初三", kind=OrgKind.GRADE)
    class_9 = org_add(grade_9, code="3434000003-G9-1", name="初三(1)班", kind=OrgKind.CLASS)
    middle_graduate = child_add(class_9, name="初中毕业", birth=dt.date(2012, 3, 3))
    kindergarten = org_add(
        world.township, code="3434000004", name="华阳幼儿园", kind=OrgKind.SCHOOL,
        stage="kindergarten",
    )  # fmt: skip
    kg_grade = org_add(kindergarten, code="3434000004-G", name="大班", kind=OrgKind.GRADE)
    org_add(kg_grade, code="3434000004-G-1", name="大(1)班", kind=OrgKind.CLASS)
    return County(
        world, grade_6, class_6, closed_1, class_1b, middle, class_7, class_9, kindergarten,
        graduates, middle_graduate,
    )  # fmt: skip


def _snapshot() -> dict:
    """Everything the step may touch, to compare before and after."""
    orgs = {
        o["pk"]: o
        for o in Org.objects.values(
            "pk", "path", "depth", "numchild", "name", "code", "kind", "level", "closed_on"
        )
    }
    for org in orgs.values():
        parent = Org.objects.filter(path=org["path"][: -Org.steplen]).first()
        org["parent"] = parent.pk if parent else None
    children = list(
        Child.objects.order_by("pk").values(
            "pk", "status", "school_id", "school_class_id", "schooling", "left_on",
            "left_reason", "archived_on",
        )
    )  # fmt: skip
    pairings = list(Pairing.objects.order_by("pk").values())
    memberships = list(Membership.objects.order_by("pk").values("pk", "user_id", "org_id", "role"))
    return {"orgs": orgs, "children": children, "pairings": pairings, "members": memberships}


def _class_named(school: Org, name: str) -> Org:
    return Org.objects.get(path__startswith=school.path, kind=OrgKind.CLASS, name=name)


def _start(county_org, actor=None):
    with time_machine.travel(NOW, tick=False):
        return school_year_start(county=county_org, year=YEAR, actor=actor)


# ---------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("name", "level", "after"),
    [
        ("一(2)班", 1, "二(2)班"),
        ("五（1）班", 5, "六（1）班"),
        ("六(1)班", 6, "七(1)班"),
        ("初一(3)班", 7, "初二(3)班"),
        ("七(1)班", 7, "八(1)班"),
        ("高二(1)班", 11, "高三(1)班"),
        ("1年级2班", 1, "2年级2班"),
        ("一年级(2)班", 1, "二年级(2)班"),
        ("2026级1班", 1, "2026级1班"),
        ("火箭班", 3, "火箭班"),
        ("1班", 1, "1班"),
    ],
)
def test_a_class_name_moves_up_by_its_grade_prefix(name, level, after):
    assert class_name_next(name, level) == after


# ---------------------------------------------------------------- preview


def test_the_preview_writes_nothing_and_counts_what_the_start_does(county):
    world = county.world
    before = _snapshot()
    plans = {p.school.code: p.row() for p in school_year_preview(county=world.county)}
    assert _snapshot() == before
    assert not SchoolYearStart.objects.exists()
    assert plans[world.school.code] == {
        "school": world.school.code,
        "name": "华阳小学",
        "moving_up": 3,  # 一(1)班, 一(3)班, 二(1)班; the closed 一(2)班 stays
        "graduating_classes": 1,
        "graduates": 2,
        "new_classes": 2,
        "pairings_ending": 1,
        "skipped": "",
        "skipped_classes": 0,
    }
    assert plans[county.middle.code]["graduates"] == 1
    assert plans[county.middle.code]["moving_up"] == 1
    assert plans[county.kindergarten.code]["skipped"] == "幼儿园不按年级升级"
    step = _start(world.county)
    assert step.changes["schools"] == list(plans.values())
    assert len(step.changes["moved"]) == sum(p["moving_up"] for p in plans.values())
    assert len(step.changes["left"]) == sum(p["graduates"] for p in plans.values())


# ---------------------------------------------------------------- start


def test_classes_move_up_a_grade_keeping_code_children_and_teacher(county):
    world = county.world
    _start(world.county, actor=world.user("county_admin"))
    class_1 = Org.objects.get(pk=world.class_1.pk)
    assert (class_1.name, class_1.code) == ("二(1)班", "3434000001-G1-1")
    grade = Org.objects.get_parent(class_1)
    assert (grade.name, grade.level) == ("二年级", 2)
    class_2 = Org.objects.get(pk=world.class_2.pk)
    assert (
        class_2.name == "二(1)班".replace("二", "三") and Org.objects.get_parent(class_2).level == 3
    )
    assert Org.objects.get_parent(class_2).name == "三年级"  # created
    assert Org.objects.get(pk=county.class_1b.pk).name == "二(3)班"
    assert Org.objects.get(pk=county.class_7.pk).name == "八(1)班"
    world.own_child.refresh_from_db()
    assert world.own_child.school_class_id == world.class_1.pk
    assert world.own_child.status == ChildStatus.ACTIVE
    teacher = Membership.objects.get(user=world.user("teacher"), org=world.class_1)
    assert teacher.role == Role.TEACHER
    checks = ClassTeacherCheck.objects.filter(confirmed_at__isnull=True)
    assert set(checks.values_list("school_class_id", flat=True)) >= {world.class_1.pk}


def test_graduates_leave_the_roll_and_their_classes_close(county):
    world = county.world
    _start(world.county)
    for child in [*county.graduates, county.middle_graduate]:
        child.refresh_from_db()
        assert child.status == ChildStatus.LEFT
        assert (child.left_on, child.left_reason) == (SEPT, LeaveReason.GRADUATED)
        assert child.schooling == Schooling.GRADUATED
    assert not Pairing.objects.filter(child=county.graduates[0], ended_on__isnull=True).exists()
    assert Pairing.objects.get(child=county.graduates[0]).ended_on == SEPT
    class_6 = Org.objects.get(pk=county.class_6.pk)
    assert class_6.closed_on == SEPT and class_6.name == "六(1)班（2027届）"
    assert Org.objects.get(pk=county.class_9.pk).closed_on == SEPT
    assert AccessLog.objects.filter(action=AccessAction.LEAVE).count() == 3


def test_each_first_grade_gets_as_many_new_empty_classes_as_it_had(county):
    world = county.world
    _start(world.county)
    grade_1 = Org.objects.get(path=world.class_1.path[: -Org.steplen])
    new = Org.objects.filter(path__startswith=grade_1.path, kind=OrgKind.CLASS, closed_on=None)
    assert sorted(new.values_list("name", flat=True)) == ["一(1)班", "一(3)班"]
    assert not Child.objects.filter(school_class__in=new).exists()
    assert {c.code for c in new} == {"3434000001-2027-1", "3434000001-2027-2"}
    grade_7 = Org.objects.get(code="3434000003-G7")
    assert list(Org.objects.get_children(grade_7).values_list("name", flat=True)) == ["七(1)班"]
    kg_class = Org.objects.get(code="3434000004-G-1")
    assert kg_class.name == "大(1)班" and kg_class.closed_on is None


def test_a_started_and_undone_school_year_leaves_everything_exactly_as_before(county):
    world = county.world
    before = _snapshot()
    _start(world.county)
    assert _snapshot() != before
    with time_machine.travel(NOW + dt.timedelta(days=3), tick=False):
        step = school_year_undo(county=world.county, year=YEAR, actor=world.user("county_admin"))
    assert _snapshot() == before
    assert step.undone_at is not None
    assert not ClassTeacherCheck.objects.exists()
    # Undone, the year may be started again.
    _start(world.county)


def test_an_undo_also_takes_back_the_graduates_moved_on_to_a_middle_school(county):
    world = county.world
    before = _snapshot()
    step = _start(world.county)
    graduates_enrol(step=step, primary=world.school, middle=county.middle, actor=None)
    with time_machine.travel(NOW + dt.timedelta(days=1), tick=False):
        school_year_undo(county=world.county, year=YEAR, actor=None)
    assert _snapshot() == before


def test_starting_a_year_twice_is_refused(county):
    world = county.world
    _start(world.county)
    snapshot = _snapshot()
    with pytest.raises(SchoolYearError, match="不能重复升级"):
        _start(world.county)
    with pytest.raises(SchoolYearError, match="不能重复升级"):
        with time_machine.travel(NOW, tick=False):
            school_year_start(county=world.county, year=YEAR - 1, actor=None)
    assert _snapshot() == snapshot


def test_an_undo_after_the_allowed_days_is_refused(county, settings):
    world = county.world
    settings.SCHOOL_YEAR_UNDO_DAYS = 14
    _start(world.county)
    snapshot = _snapshot()
    with time_machine.travel(NOW + dt.timedelta(days=15), tick=False):
        with pytest.raises(SchoolYearError, match="超过 14 天"):
            school_year_undo(county=world.county, year=YEAR, actor=None)
    assert _snapshot() == snapshot


def test_an_undo_is_refused_once_a_new_class_has_children(county):
    world = county.world
    _start(world.county)
    new = Org.objects.get(code="3434000001-2027-1")
    child_add(new, name="新生")
    with time_machine.travel(NOW, tick=False):
        with pytest.raises(SchoolYearError, match="新建的班级已有儿童"):
            school_year_undo(county=world.county, year=YEAR, actor=None)


def test_an_undo_of_a_year_never_started_is_refused(county):
    with pytest.raises(SchoolYearError, match="没有可撤销"):
        school_year_undo(county=county.world.county, year=YEAR, actor=None)


# ---------------------------------------------------------------- tasks and figures


def test_graduates_have_no_tasks_and_the_kept_counts_follow(county):
    world = county.world
    as_of = dt.date(2027, 9, 15)
    _figures(world.county, as_of)  # kept before the step
    _start(world.county)
    tasks = tasks_for(Child.objects.all(), as_of=as_of)
    graduates = {c.pk for c in county.graduates}
    assert not {t.child.pk for t in tasks} & graduates
    assert _figures(world.county, as_of) == _from_scratch(world.county, as_of)
    assert _figures(world.school, as_of) == _from_scratch(world.school, as_of)


# ---------------------------------------------------------------- to the middle school


def test_primary_graduates_move_on_to_the_middle_school_as_a_batch(county):
    world = county.world
    step = _start(world.county)
    county.middle.refresh_from_db()
    count = graduates_enrol(step=step, primary=world.school, middle=county.middle, actor=None)
    assert count == 2
    new_7 = Org.objects.get(code="3434000003-2027-1")
    for child in county.graduates:
        child.refresh_from_db()
        assert (child.status, child.school_id) == (ChildStatus.ACTIVE, county.middle.pk)
        assert child.school_class_id == new_7.pk
        assert (child.left_on, child.left_reason, child.schooling) == (None, "", "enrolled")
        assert child.history.count() >= 3  # created, graduated, moved on
    with pytest.raises(SchoolYearError, match="没有待升学的毕业生"):
        graduates_enrol(step=step, primary=world.school, middle=county.middle, actor=None)


def test_graduates_go_only_to_a_middle_school(county):
    world = county.world
    step = _start(world.county)
    with pytest.raises(SchoolYearError, match="不是本县开办中的中学"):
        graduates_enrol(step=step, primary=world.school, middle=county.kindergarten, actor=None)


# ---------------------------------------------------------------- command line


def test_the_command_has_help(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["school-year", "start", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "--dry-run" in out and "--undo" in out


def test_the_command_previews_starts_refuses_twice_and_undoes(county, capsys):
    world = county.world
    before = _snapshot()
    with time_machine.travel(NOW, tick=False):
        assert main(["school-year", "start", str(YEAR), "--dry-run", "--json"]) == 0
        shown = json.loads(capsys.readouterr().out)
        assert _snapshot() == before
        rows = {r["school"]: r for r in shown["counties"][0]["schools"]}
        assert rows[world.school.code]["graduates"] == 2
        assert main(["school-year", "start", str(YEAR)]) == 0
        assert "华阳小学：已升级 3 个班" in capsys.readouterr().out
        assert main(["school-year", "start", str(YEAR)]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and "不能重复升级" in err
        assert main(["school-year", "to-middle-school", str(YEAR), "--from", "3434000001"]) == 0
        assert "2 名毕业生已升入华阳中学" in capsys.readouterr().out
        assert main(["school-year", "start", str(YEAR), "--undo"]) == 0
    assert _snapshot() == before


def _exit_code(argv) -> int:
    try:
        return main(argv)
    except SystemExit as exit_info:  # a bad option, refused by argparse
        return exit_info.code


@pytest.mark.parametrize(
    "argv",
    [
        ["school-year", "start", "twenty"],
        ["school-year", "start", "1999"],
        ["school-year", "start", "2027", "--county", "999999"],
        ["school-year", "start", "2027", "--undo"],
        ["school-year", "start", "2027", "--undo", "--dry-run"],
        ["school-year", "to-middle-school", "2027", "--from", "nope"],
        ["school-year", "to-middle-school", "2027", "--from", "3434000001"],
    ],
)
def test_unusable_input_exits_2_with_one_line(county, capsys, argv):
    before = _snapshot()
    assert _exit_code(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert _snapshot() == before


# ---------------------------------------------------------------- pages


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("county_admin", 200),
        ("township_supervisor", 404),
        ("principal", 404),
        ("teacher", 403),  # sees the county by name above their class
        ("village_director", 404),
        ("nobody", 404),
    ],
)
def test_the_county_page_answers_only_its_county_admins(county, client, role, expected):
    world = county.world
    client.force_login(world.user(role))
    before = _snapshot()
    assert client.get(f"/school-year/{world.county.pk}/").status_code == expected
    post = client.post(
        f"/school-year/{world.county.pk}/start/", {"year": YEAR, "confirm": "yes"}
    ).status_code
    assert post == (302 if expected == 200 else expected)
    if expected != 200:
        assert _snapshot() == before and not SchoolYearStart.objects.exists()


def test_a_county_officer_who_is_not_its_admin_is_refused(county, client):
    world = county.world
    officer = user_add("officer", Role.TOWNSHIP_SUPERVISOR, world.county)
    client.force_login(officer)
    assert client.get(f"/school-year/{world.county.pk}/").status_code == 403
    assert client.get("/school-year/").status_code == 403


def test_the_county_admin_previews_then_confirms_then_undoes(county, client):
    world = county.world
    before = _snapshot()
    with time_machine.travel(NOW, tick=False):
        client.force_login(world.user("county_admin"))
        assert client.get("/school-year/").status_code == 302
        page = client.get(f"/school-year/{world.county.pk}/?year={YEAR}").content.decode()
        assert "华阳小学" in page and "确认升级" in page
        assert _snapshot() == before
        # Without the confirmation box nothing happens.
        client.post(f"/school-year/{world.county.pk}/start/", {"year": YEAR})
        assert not SchoolYearStart.objects.exists()
        client.post(f"/school-year/{world.county.pk}/start/", {"year": YEAR, "confirm": "yes"})
        step = SchoolYearStart.objects.get()
        assert step.started_by == world.user("county_admin")
        page = client.get(f"/school-year/{world.county.pk}/").content.decode()
        assert "撤销升级" in page and "待升学" in page
        client.post(
            f"/school-year/{world.county.pk}/enrol/",
            {"primary": world.school.pk, "middle": county.middle.pk},
        )
        assert Child.objects.filter(school=county.middle, status="active").count() == 2
        client.post(f"/school-year/{world.county.pk}/undo/", {"year": YEAR, "confirm": "yes"})
    assert _snapshot() == before


def test_the_principal_confirms_each_class_teacher(county, client):
    world = county.world
    _start(world.county)
    client.force_login(world.user("principal"))
    assert client.get("/school-year/").status_code == 302
    page = client.get("/school-year/teachers/").content.decode()
    assert "请确认各班班主任" in page and "二(1)班" in page
    assert "八(1)班" not in page  # another school's class
    check = ClassTeacherCheck.objects.get(school_class=world.class_1)
    assert client.post(f"/school-year/teachers/{check.pk}/confirm/").status_code == 302
    check.refresh_from_db()
    assert check.confirmed_by == world.user("principal") and check.confirmed_at
    other = ClassTeacherCheck.objects.get(school_class=county.class_7)
    assert client.post(f"/school-year/teachers/{other.pk}/confirm/").status_code == 404
    assert ClassTeacherCheck.objects.get(pk=other.pk).confirmed_at is None


def test_a_teacher_may_not_confirm_class_teachers(county, client):
    world = county.world
    _start(world.county)
    client.force_login(world.user("teacher"))
    assert client.get("/school-year/teachers/").status_code == 403
    assert client.get("/school-year/").status_code == 403
    check = ClassTeacherCheck.objects.get(school_class=world.class_1)
    assert client.post(f"/school-year/teachers/{check.pk}/confirm/").status_code == 404
    assert ClassTeacherCheck.objects.get(pk=check.pk).confirmed_at is None
