"""The consistency matrix (issue 16): every figure shown on more than one screen is read
from each screen — the pages rendered by the test client and parsed by their
``data-figure`` attributes, the API's JSON, the reminders written — and the readings are
equal, for every role of a cast whose township has children living there but schooled
elsewhere, mentors with overdue tasks, tasks due this week and tasks due later.

Time is frozen on a Wednesday in term (2026-12-02): this week still has school days, so
本周到期 is not empty. The regressions of the issue's first bullets come last.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client
from python_calamine import CalamineWorkbook

from carenet.accounts.tokens import token_issue
from carenet.care.models import CareKind
from carenet.care.selectors import tasks_for
from carenet.care.services import record_create
from carenet.children.access import mentee_ids
from carenet.children.models import Child
from carenet.children.services import pairing_start
from carenet.indicators.selectors import KEYS, TASK_KINDS
from carenet.notify.models import Notification, NotificationKind, NotificationLine
from carenet.notify.services import notifications_create
from carenet.orgs.models import Membership, Role
from tests.factories import PASSWORD, World, child_add, user_add, world_build

WEDNESDAY = dt.date(2026, 12, 2)
AWAY = dt.date(2025, 2, 1)


@dataclass
class Cast:
    world: World
    teacher2: User


def _talk(child, on: dt.date, author: User) -> None:
    record_create(
        actor=author, child=child, kind=CareKind.TALK, date=on, summary="谈心", details={}
    )


def cast_build() -> Cast:
    """``world_build`` and more: a second mentor in the school with mentees overdue, due
    this week and due later; a child living in the township's village but schooled in
    the other township (``villager_elsewhere``) and another such child; a child not at a
    school filed under the village."""
    world = world_build()
    teacher2 = user_add("teacher2", Role.TEACHER, world.school)
    teacher2.first_name, teacher2.last_name = "丽", "刘"
    teacher2.save()
    # The school's other roles: a school admin (德育主任) and a counselor (心理辅导教师).
    for name, role in (("school_admin", Role.SCHOOL_ADMIN), ("counselor", Role.COUNSELOR)):
        world.users[name] = user_add(name, role, world.school)
    teacher = world.user("teacher")
    extra = [
        child_add(world.class_2, name="孙一", village=world.village, father_away=AWAY),
        child_add(world.class_2, name="孙二", village=world.village, mother_away=AWAY),
        child_add(world.class_2, name="孙三", father_away=AWAY, mother_away=AWAY),
        child_add(world.class_1, name="孙四", village=world.village, father_away=AWAY),
    ]
    child_add(world.other_class, name="周五", village=world.village, mother_away=AWAY)
    child_add(world.other_class, name="周六", village=world.village)  # not left-behind
    for child in extra[:3]:
        pairing_start(child=child, mentor=teacher2, on=dt.date(2026, 9, 1))
    pairing_start(child=extra[3], mentor=teacher, on=dt.date(2026, 9, 1))
    # A weekly talk (the default plan): last on 11-20 → due 11-27 (overdue on 12-02); on
    # 11-26 → due 12-03 (this week); on 12-01 → due 12-08 (next week: not yet work).
    _talk(extra[0], dt.date(2026, 11, 20), teacher2)
    _talk(extra[1], dt.date(2026, 11, 26), teacher2)
    _talk(extra[2], dt.date(2026, 12, 1), teacher2)
    _talk(world.mentee, dt.date(2026, 11, 26), teacher)
    return Cast(world, teacher2)


@pytest.fixture
def cast(db) -> Cast:
    with time_machine.travel(dt.datetime(2026, 12, 2, 10, 0), tick=False):
        yield cast_build()


def figures(html: str) -> dict[str, int]:
    """Every ``data-figure="name">N<`` of a page (a figure inside a row is not unique:
    read those with ``row_figures``)."""
    found: dict[str, int] = {}
    for name, value in re.findall(r'data-figure="([^"]+)"[^>]*>\s*(\d+)\s*<', html):
        found.setdefault(name, int(value))
    return found


def row_figures(html: str, attribute: str) -> dict[str, dict[str, int]]:
    """The figures of each table row marked ``data-<attribute>="key"``."""
    rows: dict[str, dict[str, int]] = {}
    for key, body in re.findall(rf'<tr data-{attribute}="([^"]+)"[^>]*>(.*?)</tr>', html, re.S):
        rows[key] = figures(body)
    return rows


def login(name: str) -> Client:
    client = Client()
    assert client.login(username=name, password=PASSWORD)
    return client


def page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def api(user: User, url: str) -> dict:
    _token, raw = token_issue(user=user)
    response = Client().get(url, HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200, url
    return response.json()


def indicator_figures(html: str) -> dict[str, tuple[int, int]]:
    found = figures(html)
    return {key: (found[f"{key}-numerator"], found[f"{key}-denominator"]) for key in KEYS}


def list_count(client: Client, query: str) -> int:
    return figures(page(client, f"/children/?{query}"))["list-count"]


ROLES_WITH_ORG = (
    "county_admin",
    "township_supervisor",
    "village_director",
    "principal",
    "school_admin",
)


@pytest.fixture
def frozen():
    with time_machine.travel(dt.datetime(2026, 12, 2, 10, 0), tick=False):
        yield


@pytest.mark.parametrize("role", ROLES_WITH_ORG)
def test_indicators_agree_on_the_indicators_page_the_dashboard_and_the_api(cast, frozen, role):
    user = cast.world.user(role)
    org = Membership.objects.filter(user=user).first().org
    client = login(role)
    query = f"?org={org.code}&as_of={WEDNESDAY}"
    on_page = indicator_figures(page(client, f"/dashboard/indicators/{query}"))
    on_board = indicator_figures(page(client, f"/dashboard/{query}"))
    body = api(user, f"/api/v1/kpis{query}")
    from_api = {i["key"]: (i["numerator"], i["denominator"]) for i in body["indicators"]}
    assert on_page == on_board == from_api
    assert on_page["filing_rate"][1] > 0, "the cast has children in care under every org"
    # Each indicator's definition is given with it, the same on the page and the API.
    html = page(client, f"/dashboard/indicators/{query}")
    for item in body["indicators"]:
        assert item["definition"] and item["definition"] in html


@pytest.mark.parametrize("role", ("county_admin", "township_supervisor"))
def test_an_area_home_page_names_both_populations_and_each_agrees_with_its_list(cast, frozen, role):
    user = cast.world.user(role)
    org = Membership.objects.get(user=user).org
    client = login(role)
    home = page(client, "/")
    found = figures(home)
    assert "本辖区学校的儿童" in home and "住在本辖区或在本辖区上学的儿童" in home
    for population in ("schools", "residence"):
        query = f"org={org.code}&population={population}"
        assert found[f"home-{population}-total"] == list_count(client, query)
        left_behind = found[f"home-{population}-left_behind"]
        assert left_behind == list_count(client, f"{query}&left_behind=any")
        both = found[f"home-{population}-both_parents"]
        assert both == list_count(client, f"{query}&left_behind=both_parents")
    # By school: the population of the indicators, the dashboard and the statistics table.
    in_care = indicator_figures(page(client, f"/dashboard/indicators/?org={org.code}"))
    assert found["home-schools-left_behind"] == in_care["filing_rate"][1]
    assert list_count(client, f"org={org.code}&left_behind=any") == in_care["filing_rate"][1]
    workbook = client.get(f"/reports/statistics.xlsx?org={org.code}&as_of={WEDNESDAY}")
    assert workbook.status_code == 200
    assert statistics_total(workbook.content) == in_care["filing_rate"][1]


def statistics_total(content: bytes) -> int:
    """The statistics table's total of children (its 合计 row's first figure)."""
    book = CalamineWorkbook.from_filelike(io.BytesIO(content))
    for row in book.get_sheet_by_index(0).to_python():
        if any(cell == "合计" for cell in row):
            return int(next(cell for cell in row if isinstance(cell, int | float)))
    raise AssertionError("no 合计 row")


def test_the_township_populations_differ_by_the_children_schooled_elsewhere(cast, frozen):
    client = login("township_supervisor")
    found = figures(page(client, "/"))
    # 张伟 and 周五 live in 红星村 and go to 长岭中学 (the other township).
    assert found["home-residence-left_behind"] == found["home-schools-left_behind"] + 2


@pytest.mark.parametrize(
    "role", ("principal", "school_admin", "counselor", "village_director", "teacher")
)
def test_a_home_page_agrees_with_the_child_list_and_its_indicators(cast, frozen, role):
    client = login(role)
    found = figures(page(client, "/"))
    assert found["home-total"] == list_count(client, "")
    assert found["home-left_behind"] == list_count(client, "left_behind=any")
    assert found["home-both_parents"] == list_count(client, "left_behind=both_parents")
    if role != "teacher":  # a principal's or village director's scope is their org's
        org = Membership.objects.get(user=cast.world.user(role)).org
        in_care = indicator_figures(page(client, f"/dashboard/indicators/?org={org.code}"))
        assert found["home-left_behind"] == in_care["filing_rate"][1]


@pytest.mark.parametrize("name", ("teacher", "teacher2", "principal", "village_director"))
def test_my_work_agrees_on_the_working_list_the_api_and_the_reminders(cast, frozen, name):
    user = User.objects.get(username=name)
    mine = figures(page(login(name), "/care/tasks/"))
    body = api(user, "/api/v1/tasks/due?scope=mine")
    assert (body["overdue"], body["due_this_week"]) == (
        mine["tasks-overdue"],
        mine["tasks-due-week"],
    )
    assert body["count"] == mine["tasks-total"] == len(body["items"])
    assert sum(item["overdue"] for item in body["items"]) == mine["tasks-overdue"]
    notifications_create(today=WEDNESDAY)
    notes = Notification.objects.filter(user=user)
    assert notes.count() == (1 if mine["tasks-total"] else 0), mine  # one digest a day
    if not mine["tasks-total"]:
        return
    digest = notes.get(kind=NotificationKind.DIGEST)
    lines = digest.lines.all()
    assert lines.filter(overdue=True).count() == mine["tasks-overdue"]
    assert lines.filter(overdue=False).count() == mine["tasks-due-week"]
    inbox = page(login(name), "/inbox/")
    assert digest.title in inbox
    for line in lines:
        assert f'data-line="{line.child_id}-{line.care_kind}"' in inbox


@pytest.mark.parametrize("viewer", ("principal", "county_admin"))
def test_each_mentors_row_equals_the_mentees_part_of_their_working_list(cast, frozen, viewer):
    school = cast.world.school
    client = login(viewer)
    board = row_figures(page(client, f"/dashboard/?org={school.code}"), "mentor")
    for name in ("teacher", "teacher2"):
        mentor = User.objects.get(username=name)
        mine = figures(page(login(name), "/care/tasks/"))
        row = board[str(mentor.pk)]
        assert (row["overdue"], row["due-week"]) == (
            mine["mentee-tasks-overdue"],
            mine["mentee-tasks-due-week"],
        )
    talks = {
        (item["child"], item["overdue"])
        for item in api(cast.teacher2, "/api/v1/tasks/due?scope=mine")["items"]
        if item["kind"] == CareKind.TALK
    }
    names = dict(Child.objects.values_list("pk", "name"))
    # 孙一's talk is overdue, 孙二's due this week; 孙三's (12-08) is not work yet.
    assert {(names[pk], overdue) for pk, overdue in talks} == {("孙一", True), ("孙二", False)}
    # The principal's working list shows the same table.
    school_view = row_figures(page(login("principal"), "/care/tasks/"), "mentor")
    assert school_view == board


def test_the_per_school_row_of_a_township_equals_the_schools_own_indicators(cast, frozen):
    client = login("township_supervisor")
    township = cast.world.township
    board = page(client, f"/dashboard/?org={township.code}")
    rows = {
        label: figures(body)
        for label, body in re.findall(
            r'<tr data-mentor="none" data-row="([^"]+)"[^>]*>(.*?)</tr>', board, re.S
        )
    }
    school = cast.world.school
    own = indicator_figures(page(client, f"/dashboard/indicators/?org={school.code}"))
    due = sum(own[key][1] for key in TASK_KINDS)
    done = sum(own[key][0] for key in TASK_KINDS)
    assert rows[school.name] == {"overdue": due - done, "due": due}


def test_the_work_summary_counts_the_children_the_indicators_count(cast, frozen):
    from carenet.children.access import visible_children
    from carenet.reports.summary import work_summary_build

    for role in ("county_admin", "township_supervisor", "principal"):
        user = cast.world.user(role)
        org = Membership.objects.get(user=user).org
        built = work_summary_build(
            org=org,
            start=dt.date(2026, 9, 1),
            end=WEDNESDAY,
            children=visible_children(user),
        )
        in_care = indicator_figures(
            page(login(role), f"/dashboard/indicators/?org={org.code}&as_of={WEDNESDAY}")
        )
        assert built.basics.in_care == in_care["filing_rate"][1]
        assert built.basics.mentored == in_care["mentor_coverage"][0]
        by_key = {i.key: (i.numerator, i.denominator) for i in built.indicators}
        assert by_key == in_care


# --- the issue's examples -------------------------------------------------------------


@pytest.mark.django_db
def test_reminders_never_name_a_task_the_working_list_does_not_list():
    """Issue 16: on Saturday 12-05 the reminders named tasks due Monday 12-07 that 我的待办
    (due by Sunday) did not list."""
    with time_machine.travel(dt.datetime(2026, 12, 5, 10, 0), tick=False):
        world = world_build()
        teacher = world.user("teacher")
        _talk(world.mentee, dt.date(2026, 11, 7), teacher)  # monthly: due 12-07
        listed = {t["child"] for t in api(teacher, "/api/v1/tasks/due?scope=mine")["items"]}
        notifications_create(today=dt.date(2026, 12, 5))
        named = NotificationLine.objects.filter(notification__user=teacher)
        assert not named.filter(due_date=dt.date(2026, 12, 7)).exists()
        assert {line.child_id for line in named} <= listed


def test_a_mentors_dashboard_row_leaves_out_tasks_due_after_this_week(cast, frozen):
    """Issue 16: a mentor's 待办 was 23 on 我的待办 and 30 on the dashboard, which counted
    every task however far off. 孙三's talk, due 12-08, is no one's work this week."""
    school = cast.world.school
    board = row_figures(page(login("principal"), f"/dashboard/?org={school.code}"), "mentor")
    row = board[str(cast.teacher2.pk)]
    mentees = Child.objects.filter(pk__in=mentee_ids(cast.teacher2))
    every = tasks_for(mentees, as_of=WEDNESDAY)
    this_week = [t for t in every if t.due_date <= dt.date(2026, 12, 6)]
    assert len(this_week) < len(every), "the mentees have tasks due after this week"
    assert row["overdue"] + row["due-week"] == len(this_week)


def test_a_township_home_page_says_which_children_it_counts(cast, frozen):
    """Issue 16: the township's home page said 219 left-behind children and its dashboard
    203, with no word of the two populations."""
    client = login("township_supervisor")
    home = page(client, "/")
    board = page(client, f"/dashboard/?org={cast.world.township.code}")
    found = figures(home)
    lb = indicator_figures(board)["filing_rate"][1]
    assert found["home-schools-left_behind"] == lb
    assert "本辖区学校的儿童" in board


@pytest.mark.django_db
def test_the_draft_summary_says_only_what_is_counted_of_the_guardians():
    """Issue 16: the draft always said guardians were old and poorly educated."""
    from carenet.children.models import Education, FamilyMember, Relation
    from carenet.reports.summary import work_summary_build

    with time_machine.travel(dt.datetime(2026, 12, 2, 10, 0), tick=False):
        world = world_build()
        period = {"org": world.school, "start": dt.date(2026, 9, 1), "end": WEDNESDAY}
        silent = "\n".join(work_summary_build(**period, children=Child.objects.all()).problems)
        assert "文化程度" not in silent and "年龄在60岁" not in silent
        FamilyMember.objects.create(
            child=world.own_child,
            relation=Relation.GUARDIAN,
            name="王奶奶",
            age=68,
            education=Education.PRIMARY,
        )
        counted = "\n".join(work_summary_build(**period, children=Child.objects.all()).problems)
        assert "有1名留守儿童的委托监护人年龄在60岁及以上" in counted
        assert "有1名留守儿童的委托监护人文化程度为小学及以下" in counted
