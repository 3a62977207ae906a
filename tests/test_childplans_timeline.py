"""The child's story (成长记录): one timeline of records, pairings, plans, away periods
and file changes, newest first, hiding what the reader may not see."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from carenet.care.services import record_create
from carenet.childplans import services
from carenet.childplans.selectors import EntryKind, child_timeline
from carenet.children.services import child_save, pairing_start
from carenet.web.selectors import child_file

pytestmark = pytest.mark.django_db


def _story(world, *, records: int = 1) -> None:
    teacher, child = world.user("teacher"), world.own_child
    pairing_start(child=child, mentor=teacher, on=dt.date(2025, 9, 1))
    for i in range(records):
        record_create(
            actor=teacher, child=child, kind="talk", date=dt.date(2025, 10, 10), summary=f"谈心{i}"
        )
    record_create(
        actor=teacher, child=child, kind="counseling", date=dt.date(2025, 11, 1), summary="辅导内容"
    )
    plan = services.study_plan_create(
        actor=teacher,
        child=child,
        subjects=["math"],
        goals="数学及格",
        measures="课后辅导",
        start_date=dt.date(2025, 12, 1),
    )
    for _ in range(records):
        services.study_check_add(
            actor=teacher, plan=plan, date=dt.date(2026, 1, 5), result="clear", scores="80 分"
        )
    individual = services.individual_plan_open(
        actor=teacher,
        child=child,
        reason="psychological",
        goals="情绪稳定",
        measures="每周谈心",
        responsible=teacher,
        opened_on=dt.date(2026, 3, 2),
    )
    for _ in range(records):
        services.plan_review_add(
            actor=teacher, plan=individual, date=dt.date(2026, 4, 1), progress="好转"
        )


def _kinds(entries) -> list[str]:
    kinds: list[str] = []
    for entry in entries:
        if not kinds or kinds[-1] != entry.kind:
            kinds.append(entry.kind)
    return kinds


def test_the_timeline_tells_the_story_newest_first(world):
    _story(world)
    entries = child_timeline(world.user("principal"), world.own_child)
    assert _kinds(entries) == [
        EntryKind.CHANGE,  # the file was created today
        EntryKind.PLAN_REVIEW,
        EntryKind.INDIVIDUAL_PLAN,
        EntryKind.STUDY_CHECK,
        EntryKind.STUDY_PLAN,
        EntryKind.RECORD,
        EntryKind.PAIRING,
        EntryKind.AWAY,
    ]
    titles = [e.title for e in entries]
    assert "制定学习帮扶计划：数学" in titles and "结对：代理家长" in titles
    assert "父亲外出务工" in titles and "心理辅导" in titles
    plan_entry = next(e for e in entries if e.kind == EntryKind.STUDY_PLAN)
    assert plan_entry.url == reverse(
        "childplans_study_detail", args=[world.own_child.study_plans.get().pk]
    )


def test_a_confidential_record_stays_hidden_from_a_township_supervisor(world, client):
    _story(world)
    entries = child_timeline(world.user("township_supervisor"), world.own_child)
    summaries = [e.detail for e in entries if e.kind == EntryKind.RECORD]
    assert summaries == ["谈心0"]
    client.force_login(world.user("township_supervisor"))
    html = client.get(reverse("child_detail", args=[world.own_child.pk])).content.decode()
    assert "谈心0" in html and "辅导内容" not in html


def test_the_timeline_shows_field_names_never_values(world):
    child_save(actor=world.user("principal"), child=world.own_child, data={"interests": "秘密爱好"})
    entries = child_timeline(world.user("teacher"), world.own_child)
    change = next(e for e in entries if e.kind == EntryKind.CHANGE)
    assert change.detail == "修改儿童：兴趣爱好" and "秘密爱好" not in change.detail


def test_the_timeline_is_empty_out_of_scope(world):
    _story(world)
    assert child_timeline(world.user("stranger_teacher"), world.own_child) == []


def _timeline_queries(world) -> int:
    user = world.user("principal")
    child = child_file(user).get(pk=world.own_child.pk)
    with CaptureQueriesContext(connection) as captured:
        child_timeline(user, child)
    return len(captured)


def test_the_timeline_query_count_does_not_grow_with_entries(world, django_assert_max_num_queries):
    _story(world, records=1)
    few = _timeline_queries(world)
    _story(world, records=15)
    user = world.user("principal")
    child = child_file(user).get(pk=world.own_child.pk)
    with django_assert_max_num_queries(few):
        entries = child_timeline(user, child)
    assert len(entries) > 40
