"""POST /api/v1/children: a new child file, validated by the web UI's own forms."""

import datetime as dt

import pytest
from django.test import Client

from carenet.accounts.tokens import token_issue
from carenet.children.models import AwayPeriod, Child, FamilyMember
from carenet.lib.idcard import make_id_number

pytestmark = pytest.mark.django_db

ID = make_id_number("340827", dt.date(2016, 5, 6), 101, "M")


def _body(world, **overrides):
    body = {
        "name": "刘洋",
        "id_number": ID,
        "class": world.class_1.code,
        "village": world.village.code,
        "boarding": True,
        "categories": ["poor"],
        "father": {"name": "刘建国", "phone": "13912345678", "away_since": "2024-03-01"},
        "guardian": {"name": "刘奶奶", "kinship": "祖母", "age": 68, "phone": "0556-1234567"},
    }
    body.update(overrides)
    return body


def _post(client, world, body, username="teacher"):
    _, key = token_issue(user=world.user(username))
    return client.post(
        "/api/v1/children",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )


def _fields(response):
    assert response.status_code == 422, response.content
    return {e["field"]: e["message"] for e in response.json()["detail"]}


def test_a_valid_file_is_created_and_answered_with_201(client, world):
    response = _post(client, world, _body(world))
    assert response.status_code == 201, response.content
    body = response.json()
    child = Child.objects.get(pk=body["id"])
    assert child.name == "刘洋"
    assert child.school_class == world.class_1 and child.school == world.school
    assert child.village == world.village
    assert child.gender == "M" and child.birth_date == dt.date(2016, 5, 6)
    assert child.boarding is True and child.rural_hukou is True
    assert child.category_list == ["poor"]
    assert body["class"] == world.class_1.code
    assert body["left_behind_type"] == "one_parent"
    assert body["guardian"]["kinship"] == "祖母"
    assert body["family"][0]["phone"] == "13912345678"


def test_the_family_is_saved_with_the_away_period_and_no_empty_mother(client, world):
    child_id = _post(client, world, _body(world)).json()["id"]
    assert set(
        FamilyMember.objects.filter(child_id=child_id).values_list("relation", flat=True)
    ) == {
        "father",
        "guardian",
    }
    period = AwayPeriod.objects.get(child_id=child_id)
    assert (period.relation, period.start, period.end) == ("father", dt.date(2024, 3, 1), None)


def test_the_creator_is_recorded_in_the_history(client, world):
    child_id = _post(client, world, _body(world)).json()["id"]
    assert Child.history.get(id=child_id).history_user == world.user("teacher")


def test_family_may_be_given_as_in_the_child_file(client, world):
    body = _body(world, father=None)
    body["family"] = [{"relation": "mother", "name": "王芳", "phone": "13712345678"}]
    response = _post(client, world, body)
    assert response.status_code == 201, response.content
    assert [m["relation"] for m in response.json()["family"]] == ["mother"]


def test_the_same_parent_twice_is_refused(client, world):
    body = _body(world)
    body["family"] = [{"relation": "father", "name": "刘建军"}]
    assert "family.0.relation" in _fields(_post(client, world, body))


def test_a_wrong_check_digit_is_a_422_naming_id_number_and_saves_nothing(client, world):
    before = Child.objects.count()
    wrong = ID[:17] + ("0" if ID[17] != "0" else "1")
    errors = _fields(_post(client, world, _body(world, id_number=wrong)))
    assert "校验位" in errors["id_number"]
    assert Child.objects.count() == before
    assert not FamilyMember.objects.filter(name="刘建国").exists()


def test_a_birth_date_contradicting_the_id_number_is_a_422_on_birth_date(client, world):
    errors = _fields(_post(client, world, _body(world, birth_date="2016-05-07")))
    assert "出生日期与身份证号不符" in errors["birth_date"]


def test_a_bad_father_phone_is_a_422_on_father_phone(client, world):
    body = _body(world)
    body["father"]["phone"] = "12345"
    errors = _fields(_post(client, world, body))
    assert "电话号码格式不正确" in errors["father.phone"]
    assert not Child.objects.filter(name="刘洋").exists()


def test_errors_in_a_family_list_use_the_relation_name(client, world):
    body = _body(world, father=None)
    body["family"] = [{"relation": "father", "phone": "12345"}]
    assert "father.phone" in _fields(_post(client, world, body))


def test_a_class_outside_the_scope_is_a_422_on_class_like_an_unknown_one(client, world):
    outside = _fields(_post(client, world, _body(world, **{"class": world.other_class.code})))
    unknown = _fields(_post(client, world, _body(world, **{"class": "no-such-class"})))
    assert set(outside) == {"class"}
    assert outside == unknown
    assert not Child.objects.filter(name="刘洋").exists()


def test_a_class_where_the_teacher_only_mentors_is_refused(client, world):
    errors = _fields(_post(client, world, _body(world, **{"class": world.class_2.code})))
    assert set(errors) == {"class"}


def test_a_principal_may_create_in_any_class_of_the_school(client, world):
    response = _post(client, world, _body(world, **{"class": world.class_2.code}), "principal")
    assert response.status_code == 201


def test_a_user_who_edits_nothing_is_refused_with_403(client, world):
    response = _post(client, world, _body(world), "township_supervisor")
    assert response.status_code == 403
    assert response.json() == {"detail": "无权新建儿童档案"}


def test_a_duplicate_id_number_is_refused(client, world):
    errors = _fields(_post(client, world, _body(world, id_number=world.own_child.id_number)))
    assert "已在系统中建档" in errors["id_number"]


def test_every_bad_field_is_reported_at_once(client, world):
    body = {"id_number": "123", "birth_date": "not a date", "guardian": {"age": 5}}
    errors = _fields(_post(client, world, body))
    assert {"name", "id_number", "birth_date", "class", "guardian.age"} <= set(errors)


def test_a_date_that_is_not_iso_is_a_422_naming_the_field(client, world):
    body = _body(world)
    body["father"]["away_since"] = "yesterday"
    errors = _fields(_post(client, world, body))
    assert set(errors) == {"father.away_since"}
    assert "日期" in errors["father.away_since"]


def test_an_unknown_choice_is_a_422_in_chinese(client, world):
    errors = _fields(_post(client, world, _body(world, health="immortal", categories=["vip"])))
    assert set(errors) == {"health", "categories"}


def test_a_phone_given_as_a_number_is_accepted(client, world):
    body = _body(world)
    body["father"]["phone"] = 13912345678
    assert _post(client, world, body).status_code == 201


def test_creating_needs_no_csrf_token(world):
    _, key = token_issue(user=world.user("teacher"))
    response = Client(enforce_csrf_checks=True).post(
        "/api/v1/children",
        _body(world),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert response.status_code == 201


def test_malformed_json_is_a_400(client, world):
    response = _post(client, world, '{"name": "刘洋",')
    assert response.status_code == 400
    assert set(response.json()) == {"detail"}


@pytest.mark.parametrize(
    "body", ["[1, 2]", '"text"', "null", '{"father": "x"}', '{"name": "\\ud800"}']
)
def test_a_body_of_the_wrong_shape_is_a_422(client, world, body):
    response = _post(client, world, body)
    assert response.status_code == 422, response.content
    assert isinstance(response.json()["detail"], list)


def test_a_nul_character_in_a_name_is_refused(client, world):
    assert "name" in _fields(_post(client, world, _body(world, name="刘\u0000洋")))


def test_a_province_code_that_does_not_exist_is_a_422_on_id_number(client, world):
    bad = make_id_number("200827", dt.date(2016, 5, 6), 101, "M")
    errors = _fields(_post(client, world, _body(world, id_number=bad)))
    assert errors["id_number"] == "身份证号前两位（20）不是有效的省级行政区划代码"
    assert not Child.objects.filter(name="刘洋").exists()


def test_an_old_county_code_is_created(client, world):
    old = make_id_number("342827", dt.date(2016, 5, 6), 101, "M")
    response = _post(client, world, _body(world, id_number=old))
    assert response.status_code == 201, response.content
