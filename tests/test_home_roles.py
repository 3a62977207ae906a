"""The first screen is the day's work, per role (issue 17).

A crafted world (``day_build``), time frozen on a Wednesday in term (2026-12-02): the
teacher's class child and mentee have overdue talks; a second mentor (teacher2) has a
mentee overdue and one due this week; a pupil has an open individual plan; a child of
红星村 not at a school is out of school with a guardian recorded as 无人监护 and high
risk; 张伟 lives in 红星村 and is schooled in the other township. Each role's first
screen is read for its sections and their content, and the refused paths are checked:
a teacher sees no other mentor's row, a village director no other village's child.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from carenet.care.models import CareKind
from carenet.care.selectors import my_tasks, task_counts, worklist_until
from carenet.care.services import record_create
from carenet.childplans.services import individual_plan_open
from carenet.children.access import visible_children
from carenet.children.models import Child, GuardianshipQuality, RiskLevel, Schooling
from carenet.children.services import child_save, pairing_start
from carenet.indicators.selectors import indicators_for
from carenet.lib.idcard import make_id_number
from carenet.orgs.models import Role
from tests.factories import PASSWORD, World, child_add, user_add, world_build

WEDNESDAY = dt.date(2026, 12, 2)
AWAY = dt.date(2025, 2, 1)

pytestmark = pytest.mark.django_db


@dataclass
class Day:
    world: World
    teacher2: User
    overdue_mentee: Child  # teacher2's, talk overdue
    due_mentee: Child  # teacher2's, talk due this week
    planned: Child  # an open individual plan
    dropout: Child  # 红星村, not at a school, out of school, 无人监护, high risk
    far_dropout: Child  # 长岭村 (the other village), the same troubles


def _talk(child: Child, on: dt.date, author: User) -> None:
    record_create(
        actor=author, child=child, kind=CareKind.TALK, date=on, summary="谈心", details={}
    )


def _village_child(village, name: str, serial: int) -> Child:
    """A left-behind child filed under a village, out of school, whose entrusted guardian
    is recorded as 无人监护, at high risk."""
    return child_save(
        actor=None,
        data=dict(
            name=name,
            gender="M",
            birth_date=dt.date(2012, 5, 6),
            id_number=make_id_number("340827", dt.date(2012, 5, 6), 900 + serial * 2 + 1, "M"),
            school_class=None,
            village=village,
            schooling=Schooling.DROPPED_OUT,
            risk_level=RiskLevel.HIGH,
        ),
        family={
            "father": {"name": "父亲", "phone": "13812345670", "away_since": AWAY},
            "mother": {"name": "母亲", "phone": "13912345670", "away_since": AWAY},
            "guardian": {
                "name": "邻居",
                "phone": "13712345670",
                "guardianship_quality": GuardianshipQuality.NONE,
            },
        },
    )


def day_build() -> Day:
    world = world_build()
    teacher2 = user_add("teacher2", Role.TEACHER, world.school)
    teacher2.first_name, teacher2.last_name = "丽", "刘"
    teacher2.save()
    world.users["teacher2"] = teacher2
    world.users["school_admin"] = user_add("school_admin", Role.SCHOOL_ADMIN, world.school)
    overdue_mentee = child_add(world.class_2, name="孙一", village=world.village, father_away=AWAY)
    due_mentee = child_add(world.class_2, name="孙二", village=world.village, mother_away=AWAY)
    for child in (overdue_mentee, due_mentee):
        pairing_start(child=child, mentor=teacher2, on=dt.date(2026, 9, 1))
    # A weekly talk (the default plan): on 11-20 → due 11-27 (overdue on 12-02); on 11-26
    # → due 12-03 (this week).
    _talk(overdue_mentee, dt.date(2026, 11, 20), teacher2)
    _talk(due_mentee, dt.date(2026, 11, 26), teacher2)
    planned = world.school_child
    individual_plan_open(
        actor=world.user("principal"),
        child=planned,
        reason="truancy",
        goals="按时到校",
        measures="每周谈心",
        responsible=world.user("teacher"),
        opened_on=dt.date(2026, 10, 8),
    )
    dropout = _village_child(world.village, "吴辍", 1)
    far_dropout = _village_child(world.other_village, "郑远", 2)
    return Day(world, teacher2, overdue_mentee, due_mentee, planned, dropout, far_dropout)


@pytest.fixture
def day(db):
    with time_machine.travel(dt.datetime(2026, 12, 2, 10, 0), tick=False):
        yield day_build()


def login(name: str) -> Client:
    client = Client()
    assert client.login(username=name, password=PASSWORD)
    return client


def home(name: str):
    response = login(name).get("/")
    assert response.status_code == 200
    return response, response.content.decode()


def section(html: str, section_id: str) -> str:
    """The HTML of ``<section … id="section_id">`` up to its end."""
    match = re.search(rf'<section[^>]*id="{section_id}"[^>]*>(.*?)</section>', html, re.S)
    assert match, f"no section {section_id}"
    return match.group(1)


def figure(html: str, name: str) -> int:
    match = re.search(rf'data-figure="{name}"[^>]*>\s*(\d+)\s*<', html)
    assert match, f"no figure {name}"
    return int(match.group(1))


# --- teacher ----------------------------------------------------------------------------


def test_a_teachers_first_screen_is_their_due_work_with_a_record_button_each(day):
    response, html = home("teacher")
    teacher = day.world.user("teacher")
    expected = my_tasks(teacher, as_of=WEDNESDAY, until=worklist_until(WEDNESDAY))
    counts = task_counts(expected, WEDNESDAY)
    work = section(html, "home-my-work")
    assert figure(work, "home-work-overdue") == counts.overdue > 0
    assert figure(work, "home-work-due-week") == counts.due_this_week
    for task in expected:
        record = reverse("care_record_new", args=[task.child.pk]) + f"?kind={task.kind}"
        assert record in work
        assert f'data-record="{task.child.pk}-{task.kind}"' in work
    # The work comes first, then the teacher's children, then the counters.
    assert html.index('id="home-my-work"') < html.index('id="home-class"')
    assert html.index('id="home-mentees"') < html.index('data-figure="home-total"')


def test_the_record_button_opens_the_record_form_for_that_child_and_kind(day):
    _response, html = home("teacher")
    child = day.world.own_child
    match = re.search(rf'href="([^"]+)" data-record="{child.pk}-talk"', html)
    assert match
    form = login("teacher").get(match.group(1).replace("&amp;", "&"))
    assert form.status_code == 200
    assert form.context["child"] == child
    assert form.context["form"]["kind"].value() == CareKind.TALK
    assert form.context["next"] == "/"


def test_a_teacher_sees_no_other_mentors_rows(day):
    response, html = home("teacher")
    assert "school_work" not in response.context
    assert 'id="home-by-mentor"' not in html
    assert "刘丽" not in html and "孙一" not in html
    # Asking the task list for another mentor shows the teacher their own list only.
    tasks = login("teacher").get(f"/care/tasks/?mentor={day.teacher2.pk}")
    assert tasks.status_code == 200
    assert "孙一" not in tasks.content.decode()
    assert not tasks.context["school_view"]


# --- principal and school admin ---------------------------------------------------------


@pytest.mark.parametrize("role", ("principal", "school_admin"))
def test_a_school_leaders_first_screen_is_the_schools_overdue_work(day, role):
    response, html = home(role)
    work = response.context["school_work"]
    by_mentor = {row.mentor_id: row for row in work.by_mentor}
    teacher = day.world.user("teacher")
    row = by_mentor[day.teacher2.pk]
    assert row.overdue >= 1 and row.due_this_week == 1  # the talk due on 12-03
    assert by_mentor[teacher.pk].overdue >= 1
    # The row counts what the mentor's list (the link) shows.
    listed = login(role).get(f"/care/tasks/?mentor={day.teacher2.pk}").content.decode()
    assert len(re.findall(r"data-task=", section(listed, "school-tasks"))) == row.tasks
    rows = section(html, "home-school-work")
    mentor_url = f"/care/tasks/?mentor={day.teacher2.pk}#school-tasks"
    assert f'href="{mentor_url}">刘丽</a>' in rows
    assert {row.label for row in work.by_class} == {"华阳小学 一(1)班", "华阳小学 二(1)班"}
    # The school's work comes before the counters.
    assert html.index('id="home-school-work"') < html.index('data-figure="home-total"')


def test_a_mentor_link_leads_to_that_mentors_list(day):
    client = login("principal")
    response = client.get(f"/care/tasks/?mentor={day.teacher2.pk}")
    html = response.content.decode()
    listed = re.findall(r'data-task="(\d+)-(\w+)"', section(html, "school-tasks"))
    found = {(int(pk), kind) for pk, kind in listed}
    assert {(day.overdue_mentee.pk, "talk"), (day.due_mentee.pk, "talk")} <= found
    assert {pk for pk, _kind in found} == {day.overdue_mentee.pk, day.due_mentee.pk}
    assert f'data-mentor-list="{day.teacher2.pk}"' in html
    assert "刘丽" in html
    # The whole school without the filter (more children than the mentor's).
    whole = client.get("/care/tasks/").content.decode()
    assert len(re.findall(r"data-task=", section(whole, "school-tasks"))) > len(listed)


def test_a_principal_sees_incomplete_files_as_the_filing_rate_counts_them(day):
    response, html = home("principal")
    school = day.world.school
    principal = day.world.user("principal")
    filing = next(
        i
        for i in indicators_for(school, as_of=WEDNESDAY, children=visible_children(principal))
        if i.key == "filing_rate"
    )
    files = section(html, "home-files-incomplete")
    assert figure(files, "home-files-incomplete") == filing.denominator - filing.numerator > 0
    assert "/dashboard/indicators/filing_rate/" in files and "counted=0" in files


def test_a_principal_sees_the_open_individual_plans(day):
    _response, html = home("principal")
    plans = section(html, "home-open-plans")
    assert figure(html, "home-open-plans") == 1
    assert day.planned.name in plans
    assert "吴辍" not in plans  # not the school's


# --- village director -------------------------------------------------------------------


def test_a_village_directors_first_screen_lists_the_villages_children_at_risk(day):
    response, html = home("village_director")
    without = section(html, "home-without-carer")
    assert "吴辍" in without
    assert "吴辍" in section(html, "home-high-risk")
    assert "吴辍" in section(html, "home-out-of-school")
    # The director's own work: the out-of-school child's home visit, with 记录.
    work = section(html, "home-my-work")
    assert f'data-record="{day.dropout.pk}-home_visit"' in work
    # Home visits of the village's pupils (the school's), not twice the director's own.
    visits = response.context["village_work"].home_visits
    assert all(t.kind == CareKind.HOME_VISIT and t.child.pk != day.dropout.pk for t in visits)
    assert {t.child.pk for t in visits} <= set(
        Child.objects.filter(village=day.world.village).values_list("pk", flat=True)
    )


def test_a_village_director_does_not_see_another_villages_children(day):
    _response, html = home("village_director")
    assert "郑远" not in html and "赵强" not in html


# --- township supervisor ----------------------------------------------------------------


def test_a_township_first_screen_puts_its_own_schools_first_and_the_others_apart(day):
    response, html = home("township_supervisor")
    own = section(html, "home-own-schools")
    elsewhere = section(html, "home-elsewhere-schools")
    assert "华阳小学" in own and "长岭中学" not in own
    assert "长岭中学" in elsewhere and "华阳小学" not in elsewhere
    assert html.index('id="home-own-schools"') < html.index('id="home-elsewhere-schools"')
    # 张伟 lives in 红星村 and goes to 长岭中学: one child there.
    assert re.search(r'data-home-row="长岭中学".*?data-figure="total">1<', elsewhere, re.S)


def test_a_township_first_screen_shows_overdue_work_per_school_and_village_visits(day):
    response, html = home("township_supervisor")
    by_school = section(html, "home-overdue-by-school")
    assert 'data-home-school="华阳小学"' in by_school
    assert "长岭中学" not in by_school  # not the township's school
    visits = {row.village.name: row for row in response.context["township_work"].visits}
    # 吴辍's home visit is the village director's (a child not at a school).
    assert visits["红星村"].overdue + visits["红星村"].due_this_week == 1
    assert "长岭村" not in visits
    assert "郑远" not in html


# --- county -----------------------------------------------------------------------------


def test_a_county_first_screen_sets_targets_against_actual_and_the_schools_behind(day):
    response, html = home("county_admin")
    work = response.context["county_work"]
    targets = section(html, "home-targets")
    immunization = next(i for i in work.indicators if i.key == "immunization_rate")
    assert immunization.target == 95 and immunization.value == 0
    assert 'data-indicator="immunization_rate"' in targets and "目标 95" in targets
    behind = section(html, "home-schools-behind")
    names = [s.org.name for s in work.schools_behind]
    assert "华阳小学" in names and "长岭中学" in names
    shortfalls = [s.shortfall for s in work.schools_behind]
    assert shortfalls == sorted(shortfalls, reverse=True)
    assert f'data-school-behind="{names[0]}"' in behind


# --- the tab bar's pages ----------------------------------------------------------------


def test_the_record_tab_lists_a_teachers_children_each_with_record(day):
    client = login("teacher")
    html = client.get("/record/").content.decode()
    for child in (day.world.own_child, day.world.mentee):
        assert reverse("care_record_new", args=[child.pk]) in html
    assert "孙一" not in html and "赵强" not in html


def test_the_record_tab_sends_a_user_without_children_to_their_due_list(day):
    response = login("county_admin").get("/record/")
    assert response.status_code == 302 and response["Location"] == reverse("care_tasks")


def test_every_page_has_the_tab_bar_with_the_unread_badge(day):
    from carenet.notify.models import Notification

    teacher = day.world.user("teacher")
    client = login("teacher")
    html = client.get("/children/").content.decode()
    assert 'id="tabbar"' in html and 'id="tab-unread"' not in html
    Notification.objects.create(
        user=teacher,
        county_code="340827",
        kind="task_due",
        title="待办提醒",
        body="谈心",
        dedupe_key="test-home-roles-1",
    )
    html = client.get("/children/").content.decode()
    tab = re.search(r'<nav class="cn-tabbar[^>]*>(.*?)</nav>', html, re.S).group(1)
    assert 'id="tab-unread"' in tab and 'id="toggler-unread"' in html
    assert re.search(r'data-tab="children" aria-current="page"', tab)
    for name in ("care_tasks", "child_list", "record_pick", "notify_inbox", "account_me"):
        assert f'href="{reverse(name)}"' in tab


def test_the_me_page_lists_the_account_links_and_logout(day):
    html = login("teacher").get("/me/").content.decode()
    for name in ("account_security", "password_change", "account_tokens"):
        assert reverse(name) in html
    assert reverse("logout") in html
    assert reverse("set_language") in html
