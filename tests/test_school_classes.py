"""The classes screen (年级和班级): a principal gives each grade of the school's stage a
number of classes; missing grades and classes are added, empty surplus classes closed, a
class with children on its roll never."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from carenet.audit.models import AccessLog
from carenet.orgs.models import Org, OrgKind
from carenet.schoolyear.schools import class_counts, classes_set
from tests.factories import child_add

pytestmark = pytest.mark.django_db


def _open_classes(school):
    return list(
        Org.objects.filter(path__startswith=school.path, kind=OrgKind.CLASS, closed_on=None)
        .order_by("path")
        .values_list("name", flat=True)
    )


def _form(**counts):
    data = {f"level_{level}": 0 for level in range(1, 7)}
    data.update({f"level_{k[1:]}": v for k, v in counts.items()})
    return data


def test_the_principal_sees_a_number_per_grade_of_the_stage(world, client):
    client.force_login(world.user("principal"))
    response = client.get(f"/orgs/schools/{world.school.pk}/classes/")
    assert response.status_code == 200
    body = response.content.decode()
    for grade in ("一年级", "二年级", "六年级"):
        assert grade in body
    assert "七年级" not in body
    assert response.context["form"]["level_1"].value() == 1


def test_saving_adds_the_missing_grades_and_classes(world, client):
    client.force_login(world.user("principal"))
    response = client.post(f"/orgs/schools/{world.school.pk}/classes/", _form(g1=3, g2=1, g3=2))
    assert response.status_code == 302
    assert _open_classes(world.school) == [
        "一(1)班",
        "一(2)班",
        "一(3)班",
        "二(1)班",
        "三(1)班",
        "三(2)班",
    ]
    grade = Org.objects.get(code=f"{world.school.code}-G3")
    assert (grade.name, grade.level) == ("三年级", 3)
    assert Org.objects.filter(code=f"{world.school.code}-G1-3", name="一(3)班").exists()
    assert Org.objects.get(pk=world.class_1.pk).name == "一(1)班"  # untouched
    entry = AccessLog.objects.get(action="org_change")
    assert "一(2)班" in entry.detail and entry.user == world.user("principal")


def test_a_smaller_number_closes_the_empty_surplus_classes_and_a_larger_reopens_them(world):
    classes_set(school=world.school, counts={1: 3})
    result = classes_set(school=world.school, counts={1: 1})
    assert result.closed == ["一(2)班", "一(3)班"]
    assert _open_classes(world.school) == ["一(1)班", "二(1)班"]
    result = classes_set(school=world.school, counts={1: 2})
    assert result.reopened == ["一(2)班"] and not result.added
    assert class_counts(world.school) == {1: 2, 2: 1}


def test_a_class_with_children_is_never_closed(world, client):
    child_add(world.class_2, name="新生")
    client.force_login(world.user("principal"))
    response = client.post(f"/orgs/schools/{world.school.pk}/classes/", _form(g1=1, g2=0))
    assert response.status_code == 400
    assert "二(1)班还有在册儿童，不能撤销" in response.content.decode()
    assert Org.objects.get(pk=world.class_2.pk).closed_on is None
    assert not AccessLog.objects.filter(action="org_change").exists()


def test_the_change_is_all_or_nothing(world):
    with pytest.raises(ValidationError):
        classes_set(school=world.school, counts={1: 4, 2: 0})
    assert _open_classes(world.school) == ["一(1)班", "二(1)班"]


def test_a_grade_the_stage_does_not_teach_is_refused(world):
    with pytest.raises(ValidationError, match="七年级不属于小学"):
        classes_set(school=world.school, counts={7: 2})


def test_the_county_administrator_may_set_any_school_of_the_county(world, client):
    client.force_login(world.user("county_admin"))
    data = {"level_7": 2, "level_8": 1, "level_9": 0}
    response = client.post(f"/orgs/schools/{world.other_school.pk}/classes/", data)
    assert response.status_code == 302
    assert _open_classes(world.other_school) == ["七(1)班", "七(2)班", "八(1)班"]


@pytest.mark.parametrize(
    ("role", "status"),
    [("teacher", 403), ("township_supervisor", 403), ("stranger_teacher", 404), ("nobody", 404)],
)
def test_other_roles_are_refused(world, client, role, status):
    client.force_login(world.user(role))
    url = f"/orgs/schools/{world.school.pk}/classes/"
    assert client.get(url).status_code == status
    assert client.post(url, _form(g1=5)).status_code == status
    assert _open_classes(world.school) == ["一(1)班", "二(1)班"]


def test_a_principal_may_not_set_another_school(world, client):
    client.force_login(world.user("principal"))
    url = f"/orgs/schools/{world.other_school.pk}/classes/"
    assert client.post(url, {"level_7": 3}).status_code == 404
    assert _open_classes(world.other_school) == ["七(1)班"]


def test_the_menu_leads_the_principal_and_the_county_to_their_screens(world, client):
    client.force_login(world.user("principal"))
    assert f"/orgs/schools/{world.school.pk}/classes/" in client.get("/").content.decode()
    client.force_login(world.user("county_admin"))
    assert 'href="/orgs/schools/"' in client.get("/").content.decode()
    client.force_login(world.user("teacher"))
    assert "/orgs/schools/" not in client.get("/").content.decode()
