"""Every field of the national registers has a structured home in the child file: the 2016
survey form (农村留守儿童基本情况登记表), the 学籍 student table and the civil-affairs 困境儿童
register. Each field is saved and shown through the form, the file page, the API and the
history; grandparents are family members that never count as parents; the new schooling
states (幼儿园, 未入园, 不在学) are grouped where the figures and the path read them."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.urls import reverse

from carenet.accounts.tokens import token_issue
from carenet.audit.history import child_changes, child_revisions
from carenet.children.dropout import SchoolingError, child_drop_out, child_return
from carenet.children.models import (
    AwayPeriod,
    Child,
    FamilyMember,
    LeftBehindType,
    Relation,
    Schooling,
    code_list,
    code_list_value,
)
from carenet.children.selectors import (
    civil_left_behind_filter,
    left_behind_filter,
    left_behind_history,
    with_left_behind,
)
from carenet.children.services import child_save, family_member_save
from carenet.indicators.drill import fractions
from carenet.indicators.selectors import children_in_care, indicators_for
from carenet.lib.idcard import make_id_number
from carenet.reports.statistics import combination_columns, statistics_table
from carenet.support.selectors import offered_members
from carenet.web.views_path import available_steps
from tests.factories import child_add

pytestmark = pytest.mark.django_db

TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
TODAY = dt.date(2026, 11, 16)
BIRTH = dt.date(2016, 5, 6)
ID_NUMBER = make_id_number("340827", BIRTH, 211, "F")
AWAY = dt.date(2025, 2, 1)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(dt.datetime(2026, 11, 16, 9, 0, tzinfo=TZ), tick=False):
        yield


def _form_data(world, **changes):
    """A new file of a pupil of 一(1)班 with every national field filled in."""
    data = {
        "name": "陈思雨",
        "id_number": ID_NUMBER,
        "ethnicity": "汉族",
        "school_class": world.class_1.pk,
        "rural_hukou": "on",
        "hukou_registered": "false",
        "migrant_child": "on",
        "village": world.village.pk,
        "residence_address": "红星村三组12号",
        "health": "healthy",
        "schooling": "enrolled",
        "immunization": "complete",
        "guardian_entrusted": "true",
        "orphan": "on",
        "needs_aid": "on",
        "distress_kinds": ["poverty", "unsupported"],
        "income_sources": ["wages", "farming"],
        "assistance": ["subsistence", "orphan_allowance"],
        "risk_level": "medium",
        "father-name": "陈大山",
        "father-birth_date": "1985-04-02",
        "father-phone": "13812345678",
        "father-away_since": "2024-03-01",
        "father-can_guard": "on",
        "mother-can_guard": "on",
        "guardian-name": "陈奶奶",
        "guardian-kinship": "祖母",
        "guardian-phone": "13912345678",
        "grandmother-name": "陈奶奶",
        "grandmother-birth_date": "1956-02-03",
        "grandmother-phone": "13712345678",
        "grandmother-health": "高血压",
        "m_grandfather-name": "林外公",
        "m_grandfather-birth_date": "1950-07-08",
    }
    data.update(changes)
    return data


def _post_create(client, user, data):
    client.force_login(user)
    return client.post(reverse("child_create"), data)


def _api_get(client, world, username, child):
    _, key = token_issue(user=world.user(username))
    return client.get(f"/api/v1/children/{child.pk}", HTTP_AUTHORIZATION=f"Bearer {key}")


def _national_child(world) -> Child:
    """A pupil whose file holds every national field (saved as the form saves it)."""
    return child_save(
        actor=None,
        data=dict(
            name="陈思雨",
            id_number=ID_NUMBER,
            gender="F",
            birth_date=BIRTH,
            school_class=world.class_1,
            village=world.village,
            hukou_registered=False,
            migrant_child=True,
            orphan=True,
            needs_aid=True,
            guardian_entrusted=True,
            income_sources=",wages,farming,",
            assistance=",subsistence,orphan_allowance,",
            distress_kinds=",poverty,",
            categories=",distressed,",
        ),
        family={
            "father": {"name": "陈大山", "birth_date": dt.date(1985, 4, 2), "away_since": AWAY},
            "grandmother": {
                "name": "陈奶奶",
                "birth_date": dt.date(1956, 2, 3),
                "phone": "13712345678",
                "health": "高血压",
            },
        },
    )


# --- the code lists -------------------------------------------------------------------


def test_a_code_list_is_comma_wrapped_each_code_once_and_read_back_in_order():
    assert code_list_value(["wages", "farming", "wages", ""]) == ",wages,farming,"
    assert code_list_value([]) == ""
    assert code_list(",wages,farming,") == ["wages", "farming"]
    assert code_list("") == []


# --- the form -------------------------------------------------------------------------


class TestForm:
    def test_the_form_saves_every_national_field_and_the_grandparents(self, client, world):
        response = _post_create(client, world.user("teacher"), _form_data(world))
        assert response.status_code == 302, response.context and response.context["errors"]
        child = Child.objects.get(name="陈思雨")
        assert (child.hukou_registered, child.guardian_entrusted) == (False, True)
        assert (child.migrant_child, child.orphan, child.needs_aid) == (True, True, True)
        assert child.income_sources == ",wages,farming,"
        assert child.assistance == ",subsistence,orphan_allowance,"
        assert child.distress_kinds == ",poverty,unsupported,"
        family = {m.relation: m for m in child.family.all()}
        assert set(family) == {"father", "guardian", "grandmother", "m_grandfather"}
        grandmother = family[Relation.GRANDMOTHER]
        assert (grandmother.name, grandmother.birth_date) == ("陈奶奶", dt.date(1956, 2, 3))
        assert (grandmother.phone, grandmother.health) == ("13712345678", "高血压")
        assert family[Relation.M_GRANDFATHER].county_code == child.county_code
        assert family[Relation.FATHER].birth_date == dt.date(1985, 4, 2)
        # Grandparents have no away periods: only the father's was recorded.
        assert list(child.away_periods.values_list("relation", flat=True)) == ["father"]

    def test_empty_grandparent_forms_add_no_family_member(self, client, world):
        data = _form_data(world)
        for key in [k for k in data if "grand" in k]:
            del data[key]
        assert _post_create(client, world.user("teacher"), data).status_code == 302
        relations = set(Child.objects.get(name="陈思雨").family.values_list("relation", flat=True))
        assert relations == {"father", "guardian"}

    def test_unstated_yes_or_no_is_kept_as_unknown(self, client, world):
        data = _form_data(world, hukou_registered="unknown", guardian_entrusted="unknown")
        assert _post_create(client, world.user("teacher"), data).status_code == 302
        child = Child.objects.get(name="陈思雨")
        assert (child.hukou_registered, child.guardian_entrusted) == (None, None)

    def test_a_kind_of_distress_makes_the_child_a_child_in_distress(self, client, world):
        assert _post_create(client, world.user("teacher"), _form_data(world)).status_code == 302
        assert Child.objects.get(name="陈思雨").category_list == ["distressed"]

    def test_without_a_kind_of_distress_the_categories_are_as_ticked(self, client, world):
        data = _form_data(world, distress_kinds=[], categories=["poor"])
        assert _post_create(client, world.user("teacher"), data).status_code == 302
        assert Child.objects.get(name="陈思雨").category_list == ["poor"]

    def test_an_unknown_code_is_refused_naming_the_field(self, client, world):
        data = _form_data(world, income_sources=["lottery"])
        response = _post_create(client, world.user("teacher"), data)
        assert response.status_code == 200
        assert [str(e.label) for e in response.context["errors"]] == ["家庭经济来源"]
        assert not Child.objects.filter(name="陈思雨").exists()

    def test_a_grandparent_born_tomorrow_is_refused_naming_the_grandparent(self, client, world):
        data = _form_data(world, **{"grandmother-birth_date": "2026-11-17"})
        response = _post_create(client, world.user("teacher"), data)
        errors = [f"{e.section} · {e.label}：{e.message}" for e in response.context["errors"]]
        assert errors == ["祖母 · 出生日期：出生日期不能晚于今天"]
        assert not Child.objects.filter(name="陈思雨").exists()

    def test_the_edit_form_shows_the_stored_values(self, client, world):
        child = _national_child(world)
        client.force_login(world.user("teacher"))
        response = client.get(reverse("child_edit", args=[child.pk]))
        form = response.context["form"]
        assert form.initial["income_sources"] == ["wages", "farming"]
        assert form.initial["assistance"] == ["subsistence", "orphan_allowance"]
        html = response.content.decode()
        assert 'value="wages" id="id_income_sources_0" checked' in html
        assert 'value="orphan_allowance" id="id_assistance_5" checked' in html
        assert '<option value="false" selected>否</option>' in html  # 户口 not registered
        assert '<select name="hukou_registered" class="form-select"' in html
        assert 'name="grandmother-name" value="陈奶奶"' in html
        assert 'name="grandmother-birth_date" value="1956-02-03"' in html
        assert 'name="father-birth_date" value="1985-04-02"' in html

    def test_the_grandparents_section_is_folded_until_one_is_on_file(self, client, world):
        client.force_login(world.user("teacher"))
        html = client.get(reverse("child_create")).content.decode()
        assert '<details class="card mb-3" id="grandparents">' in html
        assert 'name="m_grandmother-name"' in html
        child = _national_child(world)
        html = client.get(reverse("child_edit", args=[child.pk])).content.decode()
        assert '<details class="card mb-3" id="grandparents" open>' in html

    def test_a_grandparent_error_unfolds_the_section(self, client, world):
        data = _form_data(world, **{"grandmother-phone": "12"})
        for key in ("grandmother-name", "grandmother-birth_date", "m_grandfather-name"):
            data.pop(key)
        html = _post_create(client, world.user("teacher"), data).content.decode()
        assert '<details class="card mb-3" id="grandparents" open>' in html

    def test_the_stage_of_a_village_child_at_school_elsewhere_is_saved(self, client, world):
        data = _form_data(
            world,
            school_class="",
            schooling="enrolled",
            stage="junior",
            id_number=make_id_number("340827", dt.date(2012, 3, 3), 219, "M"),
            name="周远",
        )
        response = _post_create(client, world.user("village_director"), data)
        assert response.status_code == 302
        child = Child.objects.get(name="周远")
        assert (child.school_id, child.stage) == (None, "junior")
        page = client.get(response.url).content.decode()
        assert "红星村 · 初中在读" in page


# --- the file page --------------------------------------------------------------------


class TestFilePage:
    def _page(self, client, world, username="teacher"):
        child = _national_child(world)
        client.force_login(world.user(username))
        return child, client.get(reverse("child_detail", args=[child.pk])).content.decode()

    def test_the_page_shows_the_registers_fields_in_their_sections(self, client, world):
        _child, html = self._page(client, world)
        assert 'data-field="income_sources">打工收入、种养殖业<' in html
        assert 'data-field="assistance">低保、孤儿基本生活保障<' in html
        assert 'data-field="distress_kinds">家庭经济困难<' in html
        assert 'data-field="needs_aid">是<' in html
        assert 'data-field="flags">孤儿、进城务工人员随迁子女<' in html
        assert "未登记户口" in html
        assert "父母外出已委托监护人" in html

    def test_the_page_lists_the_grandparents_with_their_age_and_a_masked_phone(self, client, world):
        _child, html = self._page(client, world)
        grandparents = html.split('id="grandparents"')[1].split("</ul>")[0]
        assert "祖母" in grandparents and "陈奶奶" in grandparents
        assert "1956-02-03（70岁）" in grandparents and "高血压" in grandparents
        assert "137****5678" in grandparents and "13712345678" not in html

    def test_a_file_without_the_new_fields_says_unknown_and_none(self, client, world):
        client.force_login(world.user("teacher"))
        html = client.get(reverse("child_detail", args=[world.own_child.pk])).content.decode()
        assert 'data-field="hukou_registered">未知<' in html
        assert 'data-field="income_sources">—<' in html
        assert 'id="grandparents"' not in html and 'data-field="flags"' not in html


# --- the API --------------------------------------------------------------------------


class TestApi:
    def test_the_child_file_has_the_new_fields_as_codes(self, client, world):
        child = _national_child(world)
        body = _api_get(client, world, "principal", child).json()
        assert body["hukou_registered"] is False and body["guardian_entrusted"] is True
        assert (body["migrant_child"], body["orphan"], body["needs_aid"]) == (True, True, True)
        assert body["income_sources"] == ["wages", "farming"]
        assert body["assistance"] == ["subsistence", "orphan_allowance"]
        assert body["distress_kinds"] == ["poverty"]
        assert body["stage"] == ""
        assert [p["relation"] for p in body["family"]] == ["father"]  # parents only
        assert body["family"][0]["birth_date"] == "1985-04-02"

    def test_the_grandparents_come_apart_from_the_parents_phones_masked(self, client, world):
        child = _national_child(world)
        body = _api_get(client, world, "township_supervisor", child).json()
        assert body["grandparents"] == [
            {
                "relation": "grandmother",
                "name": "陈奶奶",
                "birth_date": "1956-02-03",
                "phone": "137****5678",
                "health": "高血压",
            }
        ]
        assert {c["relation"] for c in body["contacts"]} <= {"father", "mother", "guardian"}

    def test_a_file_without_them_answers_null_and_empty_lists(self, client, world):
        body = _api_get(client, world, "teacher", world.own_child).json()
        assert body["hukou_registered"] is None and body["guardian_entrusted"] is None
        assert body["income_sources"] == [] and body["grandparents"] == []
        assert body["name"] == "王子涵" and body["left_behind_type"] == "both_parents"

    def test_a_file_posted_with_the_new_fields_and_grandparents_is_saved(self, client, world):
        _, key = token_issue(user=world.user("teacher"))
        body = {
            "name": "刘洋",
            "id_number": make_id_number("340827", BIRTH, 101, "M"),
            "class": world.class_1.code,
            "village": world.village.code,
            "hukou_registered": True,
            "orphan": True,
            "income_sources": ["government"],
            "distress_kinds": ["illness"],
            "father": {"name": "刘建国", "birth_date": "1984-01-02"},
            "grandparents": [{"relation": "grandfather", "name": "刘爷爷", "phone": "13700001111"}],
        }
        response = client.post(
            "/api/v1/children", body, content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {key}",
        )  # fmt: skip
        assert response.status_code == 201, response.content
        answer = response.json()
        assert answer["income_sources"] == ["government"] and answer["orphan"] is True
        assert answer["categories"] == ["distressed"]
        assert answer["grandparents"][0]["name"] == "刘爷爷"
        assert answer["family"][0]["birth_date"] == "1984-01-02"
        child = Child.objects.get(pk=answer["id"])
        assert child.hukou_registered is True and child.guardian_entrusted is None

    def test_a_bad_grandparent_field_is_a_422_under_its_relation(self, client, world):
        _, key = token_issue(user=world.user("teacher"))
        body = {
            "name": "刘洋",
            "id_number": make_id_number("340827", BIRTH, 101, "M"),
            "class": world.class_1.code,
            "grandparents": [{"relation": "m_grandmother", "phone": "123"}],
        }
        response = client.post(
            "/api/v1/children", body, content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {key}",
        )  # fmt: skip
        assert response.status_code == 422
        assert [e["field"] for e in response.json()["detail"]] == ["m_grandmother.phone"]


# --- the history ----------------------------------------------------------------------


def test_the_history_keeps_the_new_fields_and_shows_the_codes_as_labels(client, world):
    child = _national_child(world)
    client.force_login(world.user("teacher"))
    data = _form_data(world, income_sources=["wages", "relatives"], hukou_registered="true")
    response = client.post(reverse("child_edit", args=[child.pk]), data)
    assert response.status_code == 302
    before, after = child.history.order_by("history_date", "history_id")[:2]
    assert (before.income_sources, after.income_sources) == (",wages,farming,", ",wages,relatives,")
    assert (before.hukou_registered, after.hukou_registered) == (False, True)
    revision = next(r for r in child_revisions(child, unmasked=False) if r.subject == "儿童")
    values = {v.label: (v.before, v.after) for v in revision.values}
    assert values["家庭经济来源"] == ("打工收入、种养殖业", "打工收入、亲朋接济")
    assert values["已登记户口"] == ("否", "是")
    grandmother = FamilyMember.objects.get(child=child, relation=Relation.GRANDMOTHER)
    assert grandmother.history.earliest("history_date").birth_date == dt.date(1956, 2, 3)
    subjects = {change.subject for change in child_changes(child)}
    assert {"儿童", "祖母", "外祖父"} <= subjects


# --- grandparents never count as parents ----------------------------------------------


def _grandparents_add(child, **data):
    for relation in (Relation.GRANDFATHER, Relation.GRANDMOTHER, Relation.M_GRANDMOTHER):
        family_member_save(
            actor=None, child=child, relation=relation, data={"name": "老人", **data}
        )


class TestLeftBehind:
    def test_a_child_with_only_grandparents_on_file_is_not_left_behind(self, world):
        child = child_add(world.class_1, name="孙小", village=world.village)
        _grandparents_add(child, phone="13700001111")
        # Even a row forced to look like an away, unable parent is not one.
        FamilyMember.objects.filter(child=child).update(can_guard=False)
        AwayPeriod.objects.create(
            child=child, relation=Relation.GRANDMOTHER, county_code=child.county_code, start=AWAY
        )
        annotated = with_left_behind(Child.objects.filter(pk=child.pk)).get()
        assert annotated.left_behind_type == LeftBehindType.NONE
        assert annotated.civil_left_behind is False
        assert not Child.objects.filter(left_behind_filter(TODAY), pk=child.pk).exists()
        assert not Child.objects.filter(civil_left_behind_filter(TODAY), pk=child.pk).exists()
        assert left_behind_history(child) == []

    def test_a_grandparent_without_guardianship_does_not_make_the_civil_rule(self, world):
        child = child_add(world.class_1, name="孙小", village=world.village, father_away=AWAY)
        _grandparents_add(child)
        FamilyMember.objects.filter(child=child, relation__startswith="grand").update(
            can_guard=False
        )
        annotated = with_left_behind(Child.objects.filter(pk=child.pk)).get()
        assert annotated.left_behind_type == LeftBehindType.ONE_PARENT
        assert annotated.civil_left_behind is False  # the mother is not away nor unable
        family_member_save(
            actor=None, child=child, relation=Relation.MOTHER, data={"can_guard": False}
        )
        assert with_left_behind(Child.objects.filter(pk=child.pk)).get().civil_left_behind

    def test_a_grandparents_away_since_records_no_away_period(self, world):
        child = child_add(world.class_1, name="孙小", village=world.village)
        family_member_save(
            actor=None,
            child=child,
            relation=Relation.GRANDFATHER,
            data={"name": "孙爷爷", "away_since": AWAY},
        )
        assert not child.away_periods.exists()

    def test_grandparents_change_no_figure(self, world):
        before = {
            i.key: (i.numerator, i.denominator)
            for i in indicators_for(world.county, as_of=TODAY, children=Child.objects.all())
        }
        for child in Child.objects.all():
            _grandparents_add(child, phone="13700001111")
            FamilyMember.objects.filter(child=child, relation__startswith="grand").update(
                can_guard=False
            )
        after = {
            i.key: (i.numerator, i.denominator)
            for i in indicators_for(world.county, as_of=TODAY, children=Child.objects.all())
        }
        assert after == before

    def test_the_statistics_table_does_not_take_a_grandparent_for_a_parent(self, world):
        before = statistics_table(world.county, as_of=TODAY, children=Child.objects.all()).total
        # mentee, villager_elsewhere, outsider: one parent away, the other at home
        assert before.counts["guard_parent"] == 3
        for child in Child.objects.all():
            _grandparents_add(child)
        FamilyMember.objects.filter(relation__startswith="grand").update(can_guard=False)
        after = statistics_table(world.county, as_of=TODAY, children=Child.objects.all()).total
        assert after.counts == before.counts

    def test_the_contact_card_names_the_parents_not_the_grandparents(self, client, world):
        _grandparents_add(world.own_child, phone="13700001111")
        client.force_login(world.user("teacher"))
        response = client.get(reverse("child_card", args=[world.own_child.pk]))
        assert response.status_code == 200
        assert [str(label) for label, _member in response.context["parents"]] == ["父亲", "母亲"]

    def test_grandparents_are_offered_last_for_a_parent_school_session(self, world):
        _grandparents_add(world.own_child)
        family_member_save(
            actor=None, child=world.own_child, relation=Relation.GUARDIAN, data={"name": "监护"}
        )
        offered = [
            m.relation
            for m in offered_members(world.user("principal"), world.school)
            if m.child_id == world.own_child.pk
        ]
        assert offered == [
            "guardian",
            "father",
            "mother",
            "grandfather",
            "grandmother",
            "m_grandmother",
        ]


# --- the new schooling states ---------------------------------------------------------


def _combination(schooling: str) -> dict:
    return {
        "d_age": "age_6_13",
        "d_away": 1,
        "d_care": "mother",
        "d_guardian": "",
        "schooling": schooling,
    }


@pytest.mark.parametrize(
    ("schooling", "column"),
    [
        (Schooling.KINDERGARTEN, "school_pre"),
        (Schooling.NOT_IN_KINDERGARTEN, "school_pre"),
        (Schooling.NOT_SCHOOL_AGE, "school_pre"),
        (Schooling.OUT_OF_SCHOOL, "school_dropped"),
        (Schooling.DROPPED_OUT, "school_dropped"),
        (Schooling.GRADUATED, "school_other"),
    ],
)
def test_the_statistics_table_puts_each_schooling_in_its_column(schooling, column):
    columns = combination_columns(_combination(schooling))
    assert columns[-1] == column


def test_out_of_school_counts_against_retention_like_a_dropout(world):
    def retention():
        found = {
            i.key: i
            for i in indicators_for(world.school, as_of=TODAY, children=Child.objects.all())
        }["retention_rate"]
        return found.numerator, found.denominator

    assert retention() == (2, 2)  # own_child and mentee, both left-behind, at school
    Child.objects.filter(pk=world.own_child.pk).update(schooling=Schooling.OUT_OF_SCHOOL)
    assert retention() == (1, 2)
    Child.objects.filter(pk=world.own_child.pk).update(schooling=Schooling.KINDERGARTEN)
    assert retention() == (2, 2)  # not yet at school: nothing to keep


def test_the_drill_down_counts_retention_as_the_indicator_does(world):
    Child.objects.filter(pk=world.own_child.pk).update(schooling=Schooling.OUT_OF_SCHOOL)
    Child.objects.filter(pk=world.mentee.pk).update(schooling=Schooling.NOT_IN_KINDERGARTEN)
    in_care = children_in_care(world.school, as_of=TODAY, children=Child.objects.all())
    retained = in_care.filter(fractions(TODAY)["retention_rate"].numerator)
    assert list(retained.values_list("name", flat=True)) == ["曾小雨"]


class TestPath:
    def test_a_child_out_of_school_may_go_to_school_but_not_drop_out(self, world):
        Child.objects.filter(pk=world.own_child.pk).update(schooling=Schooling.OUT_OF_SCHOOL)
        child = Child.objects.get(pk=world.own_child.pk)
        steps = dict(available_steps(world.user("principal"), child))
        assert "return" in steps and "drop_out" not in steps
        with pytest.raises(SchoolingError):
            child_drop_out(child=child, on=TODAY, reason="厌学", actor=None)
        child_return(child=child, on=TODAY, actor=None)
        child.refresh_from_db()
        assert child.schooling == Schooling.ENROLLED
        change = child.schooling_changes.get()
        assert (change.schooling_from, change.schooling_to) == ("out_of_school", "enrolled")

    def test_a_child_in_kindergarten_has_no_return_step(self, world):
        Child.objects.filter(pk=world.own_child.pk).update(schooling=Schooling.KINDERGARTEN)
        child = Child.objects.get(pk=world.own_child.pk)
        steps = dict(available_steps(world.user("principal"), child))
        assert "return" not in steps and "drop_out" in steps
        with pytest.raises(SchoolingError):
            child_return(child=child, on=TODAY, actor=None)

    def test_the_longest_schooling_code_is_stored_whole(self, world):
        child_save(
            actor=None,
            child=world.own_child,
            data={"schooling": Schooling.NOT_IN_KINDERGARTEN},
        )
        stored = Child.objects.values_list("schooling", flat=True).get(pk=world.own_child.pk)
        assert stored == "not_in_kindergarten"
