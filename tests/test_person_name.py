"""A person's name has one home (``lib.names.person_name``): family name first, no space,
on pages, in the dashboards' and the school's per-mentor tables and in the API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.template import Context, Template

from carenet.care import selectors as care_selectors
from carenet.children.access import visible_children
from carenet.dashboards.selectors import overdue_per_teacher
from carenet.lib.names import person_name, user_name
from carenet.orgs.models import Org
from tests.test_api_children import _get


def test_the_family_name_comes_first_without_a_space():
    assert person_name("三", "张", "zhangsan") == "张三"
    assert person_name("王芳", "", "wangfang") == "王芳"  # a name given whole
    assert person_name("", "", "teacher") == "teacher"
    assert person_name(None, None, "teacher") == "teacher"
    assert user_name(None) == ""


@pytest.fixture
def named_teacher(world):
    teacher = world.users["teacher"]
    teacher.last_name, teacher.first_name = "张", "老师"
    teacher.save(update_fields=["last_name", "first_name"])
    return teacher


def test_the_page_filter_the_api_and_the_tables_print_one_name(client, world, named_teacher):
    rendered = Template("{% load carenet_ui %}{{ user|person }}").render(
        Context({"user": named_teacher})
    )
    assert rendered == "张老师"
    key_response = _get(client, world, "teacher", f"/api/v1/children/{world.mentee.pk}")
    assert key_response.json()["mentor"] == "张老师"
    as_of = dt.date.today()
    tasks = care_selectors.tasks_for(visible_children(named_teacher), as_of=as_of)
    assert tasks, "the world's mentee has care tasks"
    _by_class, by_mentor = care_selectors.group_tasks(tasks, as_of)
    assert "张老师" in {row.label for row in by_mentor}
    school = Org.objects.get(pk=world.mentee.school_id)
    rows = overdue_per_teacher(school, tasks, as_of)
    assert "张老师" in {row.label for row in rows}
    assert not any("老师 张" in row.label for row in [*by_mentor, *rows])
