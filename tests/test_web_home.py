"""The home page: each role's scope, counts and lists."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from carenet.children.models import Child, RiskLevel
from carenet.orgs.models import OrgKind
from tests.factories import child_add, org_add

pytestmark = pytest.mark.django_db


def _home(client, user):
    client.force_login(user)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return response


def _rows(response):
    return {row.org.name: (row.total, row.left_behind) for row in response.context["breakdown"]}


def test_county_admin_counts_every_child_of_the_county(client, world):
    Child.objects.filter(pk=world.outsider.pk).update(risk_level=RiskLevel.HIGH)
    counts = _home(client, world.user("county_admin")).context["counts"]
    assert counts == {"total": 5, "left_behind": 4, "both_parents": 1, "high_risk": 1}


def test_counts_leave_out_children_who_left(client, world):
    Child.objects.filter(pk=world.school_child.pk).update(status="left")
    counts = _home(client, world.user("principal")).context["counts"]
    assert counts["total"] == 2


def test_county_admin_sees_a_row_per_school(client, world):
    response = _home(client, world.user("county_admin"))
    assert _rows(response) == {"华阳小学": (3, 2), "长岭中学": (2, 2)}
    assert "各学校儿童情况" in response.content.decode()


def test_township_supervisor_sees_the_schools_their_children_attend(client, world):
    # 张伟 lives in 红星村 but goes to 长岭中学 in the other township.
    response = _home(client, world.user("township_supervisor"))
    assert _rows(response) == {"华阳小学": (3, 2), "长岭中学": (1, 1)}
    assert "华阳镇" in response.content.decode()


def test_a_school_without_children_still_has_its_row(client, world):
    org_add(world.township, code="3434000009", name="新建小学", kind=OrgKind.SCHOOL)
    assert _rows(_home(client, world.user("township_supervisor")))["新建小学"] == (0, 0)


def test_principal_sees_a_row_per_class(client, world):
    response = _home(client, world.user("principal"))
    assert _rows(response) == {"一(1)班": (1, 1), "二(1)班": (2, 1)}
    assert f"?school_class={world.class_1.pk}" in response.content.decode()


def test_village_director_sees_the_village_row(client, world):
    assert _rows(_home(client, world.user("village_director"))) == {"红星村": (4, 3)}


def test_breakdown_takes_the_same_queries_for_more_schools(client, world):
    client.force_login(world.user("county_admin"))

    def queries():
        with CaptureQueriesContext(connection) as captured:
            client.get(reverse("home"))
        return len(captured)

    before = queries()
    for n in range(3):
        school = org_add(world.township, code=f"343400010{n}", name=f"学校{n}", kind="school")
        grade = org_add(school, code=f"343400010{n}-G1", name="一年级", kind="grade")
        school_class = org_add(grade, code=f"343400010{n}-G1-1", name="一(1)班", kind="class")
        child_add(school_class, name=f"新生{n}")
    assert queries() == before


def test_teacher_sees_their_class_and_their_mentees(client, world):
    response = _home(client, world.user("teacher"))
    html = response.content.decode()
    assert [c.name for c in response.context["class_children"]] == ["王子涵"]
    assert [c.name for c in response.context["mentees"]] == ["曾小雨"]
    assert "我的班级" in html and "我的结对儿童" in html
    assert reverse("child_detail", args=[world.mentee.pk]) in html
    assert response.context["breakdown"] == []


def test_teacher_counts_cover_class_and_mentees(client, world):
    counts = _home(client, world.user("teacher")).context["counts"]
    assert counts == {"total": 2, "left_behind": 2, "both_parents": 1, "high_risk": 0}


def test_principal_has_no_teacher_lists(client, world):
    html = _home(client, world.user("principal")).content.decode()
    assert "我的班级" not in html and "我的结对儿童" not in html


def test_user_without_membership_is_told_to_ask_for_one(client, world):
    response = _home(client, world.user("nobody"))
    assert "尚未分配" in response.content.decode()
    assert response.context["counts"]["total"] == 0
