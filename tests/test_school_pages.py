"""The county administrator's school pages: the list by township, a new school, the school
list upload, rename, move, merge and close — each written to the access log, each refused
to every other role."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from carenet.audit.models import AccessLog
from carenet.care.models import CareRecord
from carenet.care.services import record_create
from carenet.children.access import visible_children
from carenet.children.models import Child
from carenet.indicators.figures import school_counts
from carenet.indicators.kept import valid_units
from carenet.indicators.models import SchoolFigures
from carenet.orgs.models import Org, OrgKind
from carenet.schoolyear.schools import classes_set, school_create
from tests.import_files import xlsx

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 11, 16)


@pytest.fixture
def frozen():
    with time_machine.travel(
        dt.datetime(2026, 11, 16, 10, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False
    ):
        yield


@pytest.fixture
def admin(world, client):
    client.force_login(world.user("county_admin"))
    return client


def _fresh(org):
    return Org.objects.get(pk=org.pk)


def _logged(words):
    return AccessLog.objects.filter(action="org_change", detail__contains=words).count()


def _new_school(world, code="3434000003", name="华阳二小", classes=None):
    school = school_create(township=world.township, name=name, code=code, stage="primary")
    if classes:
        classes_set(school=school, counts=classes)
    return _fresh(school)


# ---------------------------------------------------------------------------- list and new


def test_the_county_administrator_sees_the_schools_by_township_with_counts(world, admin):
    body = admin.get("/orgs/schools/").content.decode()
    assert (
        body.index("华阳镇")
        < body.index("华阳小学")
        < body.index("长岭镇")
        < body.index("长岭中学")
    )
    assert "2 个班" in body and "3 名在册儿童" in body


def test_a_new_school_is_created_and_logged(world, admin):
    response = admin.post(
        "/orgs/schools/new/",
        {
            "name": "华阳二小",
            "code": "3434000003",
            "township": world.township.pk,
            "stage": "primary",
        },
    )
    school = Org.objects.get(code="3434000003")
    assert response.status_code == 302 and response["Location"].endswith(
        f"/orgs/schools/{school.pk}/classes/"
    )
    assert Org.objects.get_parent(school) == world.township and school.kind == OrgKind.SCHOOL
    assert _logged("新建学校 3434000003") == 1


def test_a_new_school_needs_a_ten_digit_code_not_yet_taken(world, admin):
    data = {"name": "华阳二小", "code": "343400", "township": world.township.pk, "stage": "primary"}
    response = admin.post("/orgs/schools/new/", data)
    assert response.status_code == 400 and "学校标识码应为 10 位数字" in response.content.decode()
    data["code"] = world.school.code
    response = admin.post("/orgs/schools/new/", data)
    assert response.status_code == 400 and "已被使用" in response.content.decode()
    assert not AccessLog.objects.filter(action="org_change").exists()


# ---------------------------------------------------------------------------- upload


def test_the_school_list_is_previewed_then_committed(world, admin):
    rows = [
        ["望江县学校名单"],
        ["学校名称", "学校标识码", "所在乡镇", "办学类型", "班级数"],
        ["华阳二小", "3434000003", "华阳镇", "小学", 1],
        ["坏学校", "12", "华阳镇", "小学", ""],
    ]
    upload = {"county": world.county.pk, "file": _upload(xlsx(rows))}
    response = admin.post("/orgs/schools/import/", upload)
    body = response.content.decode()
    assert response.status_code == 200
    assert "华阳二小" in body and "第 4 行" in body and "学校标识码应为 10 位数字" in body
    assert not Org.objects.filter(code="3434000003").exists()  # a preview writes nothing
    token = response.context["token"]
    response = admin.post("/orgs/schools/import/commit/", {"token": token})
    assert response.status_code == 302
    school = Org.objects.get(code="3434000003")
    assert Org.objects.filter(path__startswith=school.path, kind=OrgKind.CLASS).count() == 6
    assert _logged("导入学校名单") == 1
    # The token is spent: a second commit writes nothing more.
    response = admin.post("/orgs/schools/import/commit/", {"token": token})
    assert response.status_code == 302 and _logged("导入学校名单") == 1


def test_a_file_that_is_not_a_school_list_is_refused_on_the_form(world, admin):
    upload = {"county": world.county.pk, "file": _upload(xlsx([["姓名", "身份证号"]]))}
    response = admin.post("/orgs/schools/import/", upload)
    assert response.status_code == 400 and "没有找到表头" in response.content.decode()


def _upload(content, name="学校名单.xlsx"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


# ---------------------------------------------------------------------------- rename, move


def test_rename_changes_the_name_and_logs_it(world, admin):
    response = admin.post(f"/orgs/schools/{world.school.pk}/rename/", {"name": "华阳镇中心小学"})
    assert response.status_code == 302
    assert _fresh(world.school).name == "华阳镇中心小学"
    assert _logged("学校改名") == 1


def test_a_move_takes_grades_and_classes_along_and_children_stay(world, admin):
    response = admin.post(
        f"/orgs/schools/{world.school.pk}/move/", {"township": world.other_township.pk}
    )
    assert response.status_code == 302
    school = _fresh(world.school)
    assert Org.objects.get_parent(school) == world.other_township
    assert _fresh(world.class_1).path.startswith(school.path)
    child = Child.objects.get(pk=world.own_child.pk)
    assert (child.school_id, child.school_class_id) == (school.pk, world.class_1.pk)
    assert child in visible_children(world.user("principal"))
    assert not school.path.startswith(_fresh(world.township).path)
    assert _logged("学校移至") == 1


# ---------------------------------------------------------------------------- merge


def test_a_merge_moves_children_classes_records_and_history_and_closes_the_school(
    world, admin, frozen
):
    target = _new_school(world, classes={1: 1})  # 一(1)班 taken at the target
    record = record_create(
        actor=world.user("teacher"),
        child=world.own_child,
        kind="talk",
        date=dt.date(2026, 11, 10),
        summary="谈心",
    )
    county = _fresh(world.county)
    school_counts(county, as_of=AS_OF)  # kept rows for every school
    assert SchoolFigures.objects.filter(school=world.school).exists()
    page = admin.get(f"/orgs/schools/{world.school.pk}/", {"into": target.pk})
    assert "确认合并" in page.content.decode()

    response = admin.post(f"/orgs/schools/{world.school.pk}/merge/", {"target": target.pk})
    assert response.status_code == 302
    children = Child.objects.filter(pk__in=[world.own_child.pk, world.mentee.pk])
    assert {c.school_id for c in children} == {target.pk}
    class_1 = _fresh(world.class_1)
    assert class_1.path.startswith(target.path) and class_1.name == "一(2)班"
    assert class_1.code == "3434000003-G1-2"
    assert _fresh(world.class_2).path.startswith(target.path)
    assert Org.objects.get(code="3434000003-G2").level == 2  # the grade was made
    assert CareRecord.objects.get(pk=record.pk).child_id == world.own_child.pk
    history = Child.objects.get(pk=world.own_child.pk).history.order_by("-history_id").first()
    assert history.school_id == target.pk and "学校合并" in history.history_change_reason
    assert history.history_user == world.user("county_admin")
    assert _fresh(world.school).closed_on == AS_OF
    assert _logged("学校合并") == 1
    # The kept counts of both schools were dropped, and equal a count from scratch.
    assert not valid_units(SchoolFigures, [world.school.pk, target.pk], as_of=AS_OF)
    kept = school_counts(county, as_of=AS_OF)
    SchoolFigures.objects.all().delete()
    assert school_counts(county, as_of=AS_OF) == kept
    assert kept[target.pk]["in_care"] == 2 and world.school.pk not in kept
    # The school's principal no longer sees them; the target's pages list them.
    assert not visible_children(world.user("principal")).filter(pk=world.own_child.pk).exists()


def test_a_merge_into_a_chosen_class_puts_every_child_there(world, admin):
    target = _new_school(world, classes={3: 1})
    klass = Org.objects.get(code="3434000003-G3-1")
    response = admin.post(
        f"/orgs/schools/{world.school.pk}/merge/", {"target": target.pk, "target_class": klass.pk}
    )
    assert response.status_code == 302
    moved = Child.objects.filter(school=target)
    assert moved.count() == 3 and {c.school_class_id for c in moved} == {klass.pk}
    assert _fresh(world.class_1).closed_on is not None  # left behind, closed


def test_a_merge_into_a_class_of_another_school_is_refused(world, admin):
    target = _new_school(world)
    response = admin.post(
        f"/orgs/schools/{world.school.pk}/merge/",
        {"target": target.pk, "target_class": world.other_class.pk},
    )
    assert response.status_code == 400
    assert Child.objects.filter(school=world.school).count() == 3


# ---------------------------------------------------------------------------- close


def test_a_school_with_children_on_the_roll_cannot_be_closed(world, admin):
    response = admin.post(f"/orgs/schools/{world.school.pk}/close/")
    assert response.status_code == 400
    assert "还有 3 名在册儿童，不能关闭" in response.content.decode()
    assert _fresh(world.school).closed_on is None
    assert not _logged("关闭学校")


def test_an_empty_school_closes_with_its_grades_and_classes(world, admin, frozen):
    school = _new_school(world, classes={1: 2})
    response = admin.post(f"/orgs/schools/{school.pk}/close/")
    assert response.status_code == 302
    under = Org.objects.filter(path__startswith=school.path)
    assert set(under.values_list("closed_on", flat=True)) == {AS_OF}
    assert _logged("关闭学校") == 1
    link = f'href="/orgs/schools/{school.pk}/"'
    assert link not in admin.get("/orgs/schools/").content.decode()
    assert link in admin.get("/orgs/schools/?closed=1").content.decode()


# ---------------------------------------------------------------------------- refused


@pytest.mark.parametrize("role", ["principal", "teacher", "township_supervisor"])
def test_other_roles_are_refused_and_change_nothing(world, client, role):
    client.force_login(world.user(role))
    target = _new_school(world)
    assert client.get("/orgs/schools/").status_code == 403
    assert client.get("/orgs/schools/new/").status_code == 403
    assert client.get("/orgs/schools/import/").status_code == 403
    for tail, data in (
        ("rename/", {"name": "改名"}),
        ("move/", {"township": world.other_township.pk}),
        ("merge/", {"target": target.pk}),
        ("close/", {}),
    ):
        status = client.post(f"/orgs/schools/{world.school.pk}/{tail}", data).status_code
        assert status == 403, f"{role} {tail}: {status}"
        status = client.post(f"/orgs/schools/{world.other_school.pk}/{tail}", data).status_code
        assert status == 404, f"{role} {tail} other school: {status}"
    school = _fresh(world.school)
    assert (school.name, school.closed_on) == ("华阳小学", None)
    assert Org.objects.get_parent(school) == world.township
    assert Child.objects.filter(school=world.school).count() == 3
    assert not AccessLog.objects.filter(action="org_change").exists()
