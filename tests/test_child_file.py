"""The child file: validation, saving with the family, derived left-behind status."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection

from carenet.children.forms import ChildForm, family_forms
from carenet.children.models import AwayPeriod, Child, LeftBehindType
from carenet.children.selectors import left_behind_history, search_children, with_left_behind
from carenet.children.services import away_period_sync, child_save
from carenet.lib.idcard import make_id_number
from tests.factories import child_add

pytestmark = pytest.mark.django_db

ID = make_id_number("340827", dt.date(2016, 5, 6), 101, "M")


def _form_data(world, **overrides):
    data = {
        "name": "刘 洋",
        "id_number": ID,
        "gender": "M",
        "birth_date": "2016-05-06",
        "ethnicity": "汉族",
        "school_class": world.class_1.pk,
        "village": world.village.pk,
        "health": "healthy",
        "schooling": "enrolled",
        "immunization": "complete",
        "risk_level": "low",
        "father-name": "刘建国",
        "father-phone": "13912345678",
        "father-away_since": "2024-03-01",
        "father-can_guard": "on",
        "mother-can_guard": "on",
        "guardian-name": "刘奶奶",
        "guardian-kinship": "祖母",
        "guardian-age": "68",
        "guardian-phone": "0556-1234567",
    }
    data.update(overrides)
    return data


def _validate(world, **overrides):
    data = _form_data(world, **overrides)
    form = ChildForm(data)
    family = family_forms(data)
    return form, family


@time_machine.travel(dt.datetime(2026, 11, 22, 10, 0), tick=False)
def test_a_valid_file_saves_with_its_family(world):
    form, family = _validate(world)
    assert form.is_valid(), form.errors
    assert all(f.is_valid() for f in family.values())
    child = child_save(
        actor=None,
        data=form.cleaned_data,
        family={rel: f.cleaned_data for rel, f in family.items()},
    )
    assert child.name == "刘洋"
    assert child.school == world.school
    assert child.county_code == "340827"
    assert child.name_initials == "ly"
    assert {m.relation for m in child.family.all()} == {"father", "guardian"}
    annotated = with_left_behind(Child.objects.filter(pk=child.pk)).get()
    assert annotated.left_behind_type == LeftBehindType.ONE_PARENT


def test_a_wrong_check_digit_is_refused_naming_the_field(world):
    form, _ = _validate(world, id_number=ID[:17] + ("0" if ID[17] != "0" else "1"))
    assert not form.is_valid()
    assert "校验位" in form.errors["id_number"][0]


def test_a_birth_date_contradicting_the_id_number_is_refused(world):
    form, _ = _validate(world, birth_date="2016-05-07")
    assert not form.is_valid()
    assert "出生日期与身份证号不符" in form.errors["birth_date"][0]


def test_a_gender_contradicting_the_id_number_is_refused(world):
    form, _ = _validate(world, gender="F")
    assert not form.is_valid()
    assert "性别与身份证号不符" in form.errors["gender"][0]


def test_gender_and_birth_date_default_from_the_id_number(world):
    form, _ = _validate(world, gender="", birth_date="")
    assert form.is_valid(), form.errors
    assert form.cleaned_data["gender"] == "M"
    assert form.cleaned_data["birth_date"] == dt.date(2016, 5, 6)


def test_a_bad_phone_is_refused_naming_the_field(world):
    _, family = _validate(world, **{"father-phone": "12345"})
    assert not family["father"].is_valid()
    assert "电话号码格式不正确" in family["father"].errors["phone"][0]


def test_a_duplicate_id_number_is_refused(world):
    data = _form_data(world, id_number=world.own_child.id_number)
    form = ChildForm(data, user=world.user("teacher"))
    assert not form.is_valid()
    assert "已在系统中建档" in form.errors["id_number"][0]


def test_without_a_user_a_duplicate_is_refused_without_saying_it_is_on_file(world):
    form, _ = _validate(world, id_number=world.own_child.id_number)
    assert not form.is_valid()
    assert form.errors["id_number"][0] == "该身份证号无法在此使用；如为转学，请联系县级管理员办理"
    assert form.id_refused


def test_a_blank_name_is_refused(world):
    form, _ = _validate(world, name=" 　")
    assert not form.is_valid()
    assert "name" in form.errors


def test_a_return_before_leaving_is_refused(world):
    _, family = _validate(world, **{"father-back_since": "2020-01-01"})
    assert not family["father"].is_valid()
    assert "返乡时间不能早于外出时间" in family["father"].errors["back_since"][0]


def test_nothing_is_saved_when_a_family_member_fails_in_the_service(world):
    before = Child.objects.count()
    form, _ = _validate(world)
    assert form.is_valid()
    with pytest.raises(ValidationError):
        child_save(
            actor=None,
            data=form.cleaned_data,
            family={"father": {"name": "x", "away_since": "not a date object"}},
        )
    assert Child.objects.count() == before


def test_id_numbers_and_phones_are_not_stored_in_plaintext(world):
    child = world.own_child
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number FROM children_child WHERE id = %s", [child.pk])
        (stored,) = cursor.fetchone()
        cursor.execute("SELECT phone FROM children_familymember WHERE child_id = %s", [child.pk])
        phones = [row[0] for row in cursor.fetchall()]
    assert stored.startswith("v1:") and child.id_number not in stored
    assert phones and all(p.startswith("v1:") and "13812345678" not in p for p in phones)
    assert Child.objects.get(pk=child.pk).id_number == child.id_number


class TestLeftBehindIsDerived:
    def _type(self, child, as_of):
        return with_left_behind(Child.objects.filter(pk=child.pk), as_of).get()

    def test_a_parent_away_less_than_three_months_does_not_count(self, world):
        child = child_add(world.class_1, name="新来", father_away=dt.date(2026, 9, 1))
        assert self._type(child, dt.date(2026, 11, 22)).left_behind_type == "none"
        assert self._type(child, dt.date(2026, 12, 1)).left_behind_type == "one_parent"

    def test_both_parents_away_is_both_parents_and_civil_affairs(self, world):
        annotated = self._type(world.own_child, dt.date(2026, 11, 22))
        assert annotated.left_behind_type == "both_parents"
        assert annotated.civil_left_behind is True

    def test_one_parent_away_with_a_capable_other_is_not_civil_affairs(self, world):
        annotated = self._type(world.mentee, dt.date(2026, 11, 22))
        assert annotated.left_behind_type == "one_parent"
        assert annotated.civil_left_behind is False

    def test_one_away_and_the_other_unable_is_civil_affairs(self, world):
        child_save(
            actor=None,
            child=world.mentee,
            data={},
            family={"father": {"name": "父亲", "can_guard": False}},
        )
        assert self._type(world.mentee, dt.date(2026, 11, 22)).civil_left_behind is True

    def test_civil_affairs_stops_at_sixteen(self, world):
        old = child_add(
            world.class_1,
            name="大龙",
            birth=dt.date(2010, 1, 1),
            father_away=dt.date(2024, 1, 1),
            mother_away=dt.date(2024, 1, 1),
        )
        assert self._type(old, dt.date(2025, 12, 31)).civil_left_behind is True
        assert self._type(old, dt.date(2026, 1, 2)).civil_left_behind is False

    def test_a_parent_coming_back_keeps_the_history(self, world):
        child = world.mentee
        away_period_sync(
            child=child, relation="mother", start=dt.date(2025, 2, 1), end=dt.date(2026, 6, 1)
        )
        assert self._type(child, dt.date(2026, 11, 22)).left_behind_type == "none"
        assert self._type(child, dt.date(2026, 1, 1)).left_behind_type == "one_parent"
        away_period_sync(child=child, relation="mother", start=dt.date(2026, 7, 1), end=None)
        assert AwayPeriod.objects.filter(child=child).count() == 2
        history = left_behind_history(child)
        assert [h[2] for h in history] == ["one_parent", "none", "one_parent"]
        assert history[0][0] == dt.date(2025, 5, 1)
        assert history[1] == (dt.date(2026, 6, 1), dt.date(2026, 10, 1), "none")


def test_search_finds_a_child_by_name_pinyin_or_initials(world):
    qs = Child.objects.all()
    assert list(search_children(qs, "wzh")) == [world.own_child]
    assert list(search_children(qs, "WangZi")) == [world.own_child]
    assert list(search_children(qs, "子涵")) == [world.own_child]
    assert list(search_children(qs, "zxy")) == [world.mentee]  # 曾 read zeng
    assert list(search_children(qs, "cxy")) == []
