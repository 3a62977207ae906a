"""GET /api/v1/orgs: the org tree as each role may see it."""

import pytest

from carenet.accounts.tokens import token_issue

pytestmark = pytest.mark.django_db


def _get(client, world, username, query=""):
    _, key = token_issue(user=world.user(username))
    return client.get(f"/api/v1/orgs{query}", HTTP_AUTHORIZATION=f"Bearer {key}")


def _codes(response):
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == len(body["items"])
    return {item["code"] for item in body["items"]}


def test_items_carry_code_name_kind_and_the_parent_code(client, world):
    body = _get(client, world, "county_admin", "?kind=class").json()
    item = next(i for i in body["items"] if i["code"] == world.class_1.code)
    assert item == {
        "code": "3434000001-G1-1",
        "name": "一(1)班",
        "kind": "class",
        "parent": "3434000001-G1",
    }


def test_the_county_has_no_parent(client, world):
    body = _get(client, world, "county_admin", "?kind=county").json()
    assert body == {
        "count": 1,
        "items": [{"code": "340827", "name": "望江县", "kind": "county", "parent": None}],
    }


def test_county_admin_sees_every_school(client, world):
    assert _codes(_get(client, world, "county_admin", "?kind=school")) == {
        "3434000001",
        "3434000002",
    }


def test_township_supervisor_sees_only_the_township(client, world):
    codes = _codes(_get(client, world, "township_supervisor"))
    assert {world.township.code, world.village.code, world.school.code} <= codes
    assert world.other_township.code not in codes
    assert world.other_school.code not in codes
    assert world.county.code not in codes


def test_kind_filters_the_list(client, world):
    assert _codes(_get(client, world, "township_supervisor", "?kind=village")) == {"340827100201"}


def test_principal_sees_their_school_but_no_village(client, world):
    codes = _codes(_get(client, world, "principal"))
    assert world.school.code in codes and world.class_2.code in codes
    assert world.village.code not in codes and world.other_school.code not in codes


def test_a_teacher_sees_their_own_class_and_school_but_not_the_other_school(client, world):
    codes = _codes(_get(client, world, "teacher"))
    assert {world.class_1.code, world.school.code} <= codes
    assert world.other_class.code not in codes and world.other_school.code not in codes


def test_a_user_without_membership_sees_no_org(client, world):
    assert _get(client, world, "nobody").json() == {"count": 0, "items": []}


def test_an_unknown_kind_is_a_422_naming_kind(client, world):
    response = _get(client, world, "county_admin", "?kind=planet")
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["detail"]] == ["kind"]


def test_parent_codes_are_found_without_a_query_per_org(
    client, world, django_assert_max_num_queries
):
    _, key = token_issue(user=world.user("county_admin"))
    with django_assert_max_num_queries(8):
        response = client.get("/api/v1/orgs", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.json()["count"] == 13
