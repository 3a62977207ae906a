"""GET /api/v1/children and /api/v1/children/{id}: scoped lists, filters, the child file."""

import datetime as dt

import pytest

from carenet.accounts.tokens import token_issue
from carenet.alerts.services import risk_raise
from carenet.children.models import RiskLevel
from carenet.children.services import child_save
from carenet.lib.phone import mask_id_number

pytestmark = pytest.mark.django_db

LIST_KEYS = {
    "id",
    "name",
    "gender",
    "birth_date",
    "school",
    "class",
    "left_behind",
    "left_behind_type",
    "risk_level",
    "mentor",
}


def _get(client, world, username, url):
    _, key = token_issue(user=world.user(username))
    return client.get(url, HTTP_AUTHORIZATION=f"Bearer {key}")


def _names(client, world, username, query=""):
    response = _get(client, world, username, f"/api/v1/children{query}")
    assert response.status_code == 200, response.content
    body = response.json()
    return {item["name"] for item in body["items"]}


class TestList:
    def test_a_teacher_sees_exactly_their_class_and_their_mentee(self, client, world):
        assert _names(client, world, "teacher") == {"王子涵", "曾小雨"}

    def test_the_township_supervisor_sees_the_township(self, client, world):
        assert _names(client, world, "township_supervisor") == {"王子涵", "曾小雨", "李明", "张伟"}

    def test_a_user_without_membership_sees_no_child(self, client, world):
        assert _names(client, world, "nobody") == set()

    def test_an_item_has_the_contract_fields(self, client, world):
        body = _get(client, world, "teacher", "/api/v1/children?q=曾").json()
        assert body["count"] == 1
        assert body["items"] == [
            {
                "id": world.mentee.pk,
                "name": "曾小雨",
                "gender": "F",
                "birth_date": "2015-03-04",
                "school": "3434000001",
                "class": "3434000001-G2-1",
                "left_behind": True,
                "left_behind_type": "one_parent",
                # Derived: the mother away since 2025 and no call on record.
                "risk_level": "medium",
                "mentor": "teacher",
            }
        ]

    def test_a_child_without_mentor_has_mentor_null(self, client, world):
        body = _get(client, world, "principal", "/api/v1/children?q=李明").json()
        assert set(body["items"][0]) == LIST_KEYS
        assert body["items"][0]["mentor"] is None

    def test_q_matches_initials(self, client, world):
        assert _names(client, world, "county_admin", "?q=wzh") == {"王子涵"}

    def test_q_matches_full_pinyin_and_a_surname_read_specially(self, client, world):
        assert _names(client, world, "county_admin", "?q=zengxiao") == {"曾小雨"}

    def test_q_matches_chinese_characters(self, client, world):
        assert _names(client, world, "county_admin", "?q=子涵") == {"王子涵"}

    def test_q_never_reaches_beyond_the_scope(self, client, world):
        assert _names(client, world, "teacher", "?q=zq") == set()

    def test_left_behind_true_keeps_left_behind_children(self, client, world):
        assert _names(client, world, "principal", "?left_behind=true") == {"王子涵", "曾小雨"}

    def test_left_behind_false_keeps_the_others(self, client, world):
        assert _names(client, world, "principal", "?left_behind=false") == {"李明"}

    def test_risk_filters_by_risk_level(self, client, world):
        risk_raise(
            actor=world.user("principal"),
            child=world.school_child,
            level=RiskLevel.HIGH,
            reason="x",
        )
        assert _names(client, world, "principal", "?risk=high") == {"李明"}
        assert "李明" not in _names(client, world, "principal", "?risk=low")

    def test_school_filters_by_school_code(self, client, world):
        names = _names(client, world, "county_admin", f"?school={world.other_school.code}")
        assert names == {"张伟", "赵强"}

    def test_org_takes_children_at_school_or_living_under_it(self, client, world):
        # 张伟 goes to school in 长岭镇 but lives in 红星村 of 华阳镇.
        names = _names(client, world, "county_admin", f"?org={world.township.code}")
        assert names == {"王子涵", "曾小雨", "李明", "张伟"}

    def test_org_can_be_a_village(self, client, world):
        names = _names(client, world, "county_admin", f"?org={world.other_village.code}")
        assert names == {"赵强"}

    def test_org_can_be_a_class(self, client, world):
        assert _names(client, world, "county_admin", f"?org={world.class_2.code}") == {
            "曾小雨",
            "李明",
        }

    def test_an_unknown_org_finds_nothing(self, client, world):
        assert _names(client, world, "county_admin", "?org=nope") == set()

    def test_filters_stay_within_the_scope(self, client, world):
        names = _names(client, world, "principal", f"?org={world.other_township.code}")
        assert names == set()

    def test_the_list_is_ordered_by_school_class_and_name(self, client, world):
        body = _get(client, world, "county_admin", "/api/v1/children").json()
        assert [i["name"] for i in body["items"]] == ["王子涵", "李明", "曾小雨", "张伟", "赵强"]

    def test_pages_split_the_list_and_count_the_whole(self, client, world):
        url = "/api/v1/children?page_size=2&page=2"
        body = _get(client, world, "county_admin", url).json()
        assert body["count"] == 5
        assert [i["name"] for i in body["items"]] == ["曾小雨", "张伟"]

    def test_a_page_past_the_end_is_empty(self, client, world):
        body = _get(client, world, "county_admin", "/api/v1/children?page=99").json()
        assert body == {"count": 5, "items": []}

    @pytest.mark.parametrize(
        "query, field",
        [
            ("page=-1", "page"),
            ("page=0", "page"),
            ("page=abc", "page"),
            ("page_size=100000", "page_size"),
            ("page_size=0", "page_size"),
            ("left_behind=maybe", "left_behind"),
            ("risk=extreme", "risk"),
        ],
    )
    def test_bad_query_values_are_a_422_naming_the_field(self, client, world, query, field):
        response = _get(client, world, "county_admin", f"/api/v1/children?{query}")
        assert response.status_code == 422
        errors = response.json()["detail"]
        assert [e["field"] for e in errors] == [field]
        assert all(e["message"] for e in errors)

    @pytest.mark.parametrize("q", ["%25_%5C", "%F0%9F%98%80", "%ED%A0%80", "x" * 50, "  ", "%01"])
    def test_odd_search_text_never_fails(self, client, world, q):
        response = _get(client, world, "county_admin", f"/api/v1/children?q={q}")
        assert response.status_code == 200

    @pytest.mark.parametrize("field", ["q", "school", "org"])
    def test_a_nul_character_in_the_query_is_a_422(self, client, world, field):
        response = _get(client, world, "county_admin", f"/api/v1/children?{field}=a%00b")
        assert response.status_code == 422
        assert response.json()["detail"][0]["field"] == field

    def test_the_list_does_not_query_per_child(self, client, world):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from tests.factories import child_add

        _, key = token_issue(user=world.user("county_admin"))

        def queries() -> int:
            with CaptureQueriesContext(connection) as captured:
                client.get("/api/v1/children", HTTP_AUTHORIZATION=f"Bearer {key}")
            return len(captured)

        queries()  # the first use of a token also records when it was used
        before = queries()
        for i in range(5):
            child_add(world.class_1, name=f"新生{i}", father_away=dt.date(2025, 1, 1))
        assert queries() == before


class TestDetail:
    def _file(self, client, world, username, child):
        response = _get(client, world, username, f"/api/v1/children/{child.pk}")
        assert response.status_code == 200, response.content
        return response.json()

    def test_the_care_plan_is_the_schools_own_when_it_has_one(self, client, world):
        from django.utils import timezone

        from carenet.care.calendar import school_year_of
        from carenet.care.presets import preset_plan

        year = school_year_of(timezone.localdate())
        preset_plan("monthly_talks", org=world.school, school_year=year).save()
        plan = self._file(client, world, "teacher", world.own_child)["care_plan"]
        assert (plan["org"], plan["preset"]) == (world.school.code, "monthly_talks")
        assert plan["frequencies"]["talk"] == "monthly"

    def test_the_file_holds_the_list_fields_and_the_family(self, client, world):
        body = self._file(client, world, "teacher", world.own_child)
        assert LIST_KEYS <= set(body)
        assert {"family", "guardian", "care_plan", "contacts", "civil_left_behind"} <= set(body)
        assert body["left_behind_type"] == "both_parents"
        assert body["civil_left_behind"] is True
        assert body["village"] == world.village.code
        plan = body["care_plan"]
        assert plan["org"] == "340827" and plan["preset"] == "weekly_talks"  # county default
        assert plan["frequencies"]["talk"] == "weekly"
        assert {d["kind"] for d in plan["next_due"]} == {
            "talk",
            "parent_call",
            "guardian_contact",
            "home_visit",
            "letter",
        }
        assert body["guardian"] is None
        father = body["family"][0]
        assert father["relation"] == "father"
        assert father["away_since"] == "2025-02-01"
        assert father["back_since"] is None
        assert [c["relation"] for c in body["contacts"]] == ["father", "mother"]

    def test_the_guardian_is_in_the_file_and_among_the_contacts(self, client, world):
        child_save(
            actor=None,
            child=world.own_child,
            data={},
            family={
                "guardian": {
                    "name": "王奶奶",
                    "kinship": "祖母",
                    "age": 66,
                    "phone": "0556-1234567",
                }
            },
        )
        body = self._file(client, world, "teacher", world.own_child)
        assert body["guardian"]["name"] == "王奶奶"
        assert body["guardian"]["age"] == 66
        assert body["contacts"][-1] == {
            "relation": "guardian",
            "name": "王奶奶",
            "phone": "0556-1234567",
        }

    def test_a_teacher_sees_phones_and_id_numbers_in_full(self, client, world):
        body = self._file(client, world, "teacher", world.own_child)
        assert body["family"][0]["phone"] == "13812345678"
        assert body["contacts"][0]["phone"] == "13812345678"
        assert body["id_number"] == world.own_child.id_number

    def test_a_township_supervisor_sees_phones_and_id_numbers_masked(self, client, world):
        body = self._file(client, world, "township_supervisor", world.own_child)
        assert body["family"][0]["phone"] == "138****5678"
        assert body["contacts"][0]["phone"] == "138****5678"
        assert body["id_number"] == mask_id_number(world.own_child.id_number)
        assert world.own_child.id_number not in str(body)

    def test_a_mentor_reads_their_mentee_in_another_class(self, client, world):
        body = self._file(client, world, "teacher", world.mentee)
        assert body["mentor"] == "teacher"

    def test_a_child_outside_the_scope_is_not_found(self, client, world):
        response = _get(client, world, "teacher", f"/api/v1/children/{world.outsider.pk}")
        assert response.status_code == 404
        assert response.json() == {"detail": "未找到"}

    def test_a_nonexistent_child_answers_exactly_like_one_outside_the_scope(self, client, world):
        response = _get(client, world, "teacher", "/api/v1/children/999999")
        assert response.status_code == 404
        assert response.json() == {"detail": "未找到"}

    def test_an_archived_file_is_not_found(self, client, world):
        child_save(actor=None, child=world.own_child, data={"status": "archived"})
        response = _get(client, world, "teacher", f"/api/v1/children/{world.own_child.pk}")
        assert response.status_code == 404

    @pytest.mark.parametrize("child_id", ["abc", "0", "-3", str(2**70)])
    def test_an_impossible_id_is_a_422_not_a_crash(self, client, world, child_id):
        response = _get(client, world, "county_admin", f"/api/v1/children/{id}")
        assert response.status_code == 422
        assert response.json()["detail"][0]["field"] == "id"


def test_birth_dates_are_iso(client, world):
    body = _get(client, world, "teacher", f"/api/v1/children/{world.own_child.pk}").json()
    assert dt.date.fromisoformat(body["birth_date"]) == world.own_child.birth_date
