"""Creating and editing a child file through the web form."""

import datetime as dt

import pytest
from django.urls import reverse

from carenet.children.models import Child, FamilyMember, Relation
from carenet.lib.idcard import make_id_number

pytestmark = pytest.mark.django_db

BIRTH = dt.date(2016, 5, 6)
ID_NUMBER = make_id_number("340827", BIRTH, 101, "F")


def _form_data(world, **changes):
    data = {
        "name": "陈思雨",
        "id_number": ID_NUMBER,
        "ethnicity": "汉族",
        "school_class": world.class_1.pk,
        "rural_hukou": "on",
        "village": world.village.pk,
        "residence_address": "红星村三组12号",
        "health": "healthy",
        "schooling": "enrolled",
        "immunization": "complete",
        "categories": ["poor"],
        "risk_level": "medium",
        "father-name": "陈大山",
        "father-phone": "13812345678",
        "father-work_province": "浙江省",
        "father-employer": "宁波某厂",
        "father-away_since": "2024-03-01",
        "father-can_guard": "on",
        "mother-can_guard": "on",
        "guardian-name": "陈奶奶",
        "guardian-kinship": "祖母",
        "guardian-age": "68",
        "guardian-phone": "13912345678",
    }
    data.update(changes)
    return data


def _post_create(client, user, data):
    client.force_login(user)
    return client.post(reverse("child_create"), data)


def _summary(response):
    return [f"{e.section} · {e.label}：{e.message}" for e in response.context["errors"]]


def test_create_form_offers_only_the_teachers_own_class(client, world):
    client.force_login(world.user("teacher"))
    response = client.get(reverse("child_create"))
    assert response.status_code == 200
    assert list(response.context["form"].fields["school_class"].queryset) == [world.class_1]
    assert "华阳小学 一(1)班" in response.content.decode()


def test_create_form_offers_the_county_admin_every_class_with_its_school(client, world):
    client.force_login(world.user("county_admin"))
    html = client.get(reverse("child_create")).content.decode()
    assert "华阳小学 二(1)班" in html and "长岭中学 七(1)班" in html


def test_create_is_refused_to_a_township_supervisor(client, world):
    client.force_login(world.user("township_supervisor"))
    response = client.get(reverse("child_create"))
    assert response.status_code == 403
    assert "没有新建儿童档案的权限" in response.content.decode()


def test_new_file_link_shows_only_for_users_who_can_create(client, world):
    url = reverse("child_create")
    client.force_login(world.user("teacher"))
    assert f'href="{url}"' in client.get(reverse("home")).content.decode()
    client.force_login(world.user("township_supervisor"))
    assert f'href="{url}"' not in client.get(reverse("home")).content.decode()


def test_create_saves_the_child_and_family_and_goes_to_the_file(client, world):
    response = _post_create(client, world.user("teacher"), _form_data(world))
    child = Child.objects.get(name="陈思雨")
    assert response.status_code == 302
    assert response.url == reverse("child_detail", args=[child.pk])
    assert (child.gender, child.birth_date, child.school) == ("F", BIRTH, world.school)
    assert child.categories == ",poor,"
    family = {m.relation: m for m in child.family.all()}
    assert family[Relation.FATHER].phone == "13812345678"
    assert family[Relation.GUARDIAN].kinship == "祖母"
    assert child.away_periods.get().start == dt.date(2024, 3, 1)
    assert child.history.get().history_user == world.user("teacher")
    page = client.get(response.url).content.decode()
    assert "陈思雨 的档案已保存" in page and "单亲留守" in page


def test_wrong_check_digit_is_refused_and_nothing_saved(client, world):
    wrong = ID_NUMBER[:17] + ("0" if ID_NUMBER[17] != "0" else "1")
    response = _post_create(client, world.user("teacher"), _form_data(world, id_number=wrong))
    assert response.status_code == 200
    assert "儿童 · 身份证号：身份证号校验位错误" in _summary(response)
    html = response.content.decode()
    assert 'class="form-control is-invalid"' in html
    assert f'value="{wrong}"' in html and 'value="陈思雨"' in html and 'value="陈大山"' in html
    assert not Child.objects.filter(name="陈思雨").exists()


def test_birth_date_contradicting_the_id_number_is_refused(client, world):
    data = _form_data(world, birth_date="2016-05-07")
    response = _post_create(client, world.user("teacher"), data)
    assert "儿童 · 出生日期：出生日期与身份证号不符" in _summary(response)
    assert 'value="2016-05-07"' in response.content.decode()
    assert not Child.objects.filter(name="陈思雨").exists()


def test_gender_contradicting_the_id_number_is_refused(client, world):
    response = _post_create(client, world.user("teacher"), _form_data(world, gender="M"))
    assert any(line.startswith("儿童 · 性别：性别与身份证号不符") for line in _summary(response))


def test_bad_parent_phone_is_refused_naming_the_parent_and_the_field(client, world):
    children, members = Child.objects.count(), FamilyMember.objects.count()
    data = _form_data(world, **{"father-phone": "1381234567"})
    response = _post_create(client, world.user("teacher"), data)
    assert _summary(response) == [
        "父亲 · 联系电话：电话号码格式不正确：应为11位手机号或带区号的固定电话（如0556-1234567）"
    ]
    html = response.content.decode()
    assert 'name="father-phone" value="1381234567"' in html
    assert 'value="陈奶奶"' in html and 'value="红星村三组12号"' in html
    assert 'value="poor" id="id_categories_0" checked' in html
    assert (Child.objects.count(), FamilyMember.objects.count()) == (children, members)


def test_every_error_is_listed_at_once(client, world):
    data = _form_data(world, id_number="123", **{"guardian-phone": "abc", "guardian-age": "3"})
    response = _post_create(client, world.user("teacher"), data)
    assert response.status_code == 200
    assert {line.split("：")[0] for line in _summary(response)} == {
        "儿童 · 身份证号",
        "委托监护人 · 年龄",
        "委托监护人 · 联系电话",
    }


def test_class_outside_the_users_scope_is_refused(client, world):
    data = _form_data(world, school_class=world.other_class.pk)
    response = _post_create(client, world.user("teacher"), data)
    assert [line.split("：")[0] for line in _summary(response)] == ["儿童 · 班级"]
    assert not Child.objects.filter(name="陈思雨").exists()


def test_duplicate_id_number_is_refused(client, world):
    data = _form_data(world, id_number=world.own_child.id_number)
    response = _post_create(client, world.user("teacher"), data)
    assert "儿童 · 身份证号：该身份证号已在系统中建档，请勿重复录入" in _summary(response)


def test_edit_form_shows_the_current_file(client, world):
    client.force_login(world.user("teacher"))
    response = client.get(reverse("child_edit", args=[world.own_child.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    # Phones masked until 显示 (tests/test_privacy_edit_form.py).
    assert 'value="王子涵"' in html and 'value="138****5678"' in html
    assert 'name="father-away_since" value="2025-02-01"' in html


def test_edit_saves_changes_and_records_them(client, world):
    child = world.own_child
    client.force_login(world.user("teacher"))
    form = client.get(reverse("child_edit", args=[child.pk])).context["form"]
    data = _form_data(
        world,
        name="王子晗",
        id_number=child.id_number,
        **{"father-name": "父亲", "father-phone": "13800001111", "father-away_since": "2025-02-01"},
    )
    data["mother-name"], data["mother-phone"] = "母亲", "13912345678"
    data["mother-away_since"] = "2025-02-01"
    assert form.initial["name"] == "王子涵"
    response = client.post(reverse("child_edit", args=[child.pk]), data)
    assert response.status_code == 302
    child.refresh_from_db()
    assert (child.name, child.name_initials) == ("王子晗", "wzh")
    assert child.family.get(relation=Relation.FATHER).phone == "13800001111"
    assert child.away_periods.count() == 2
    html = client.get(response.url).content.decode()
    assert "王子晗 的档案已保存" in html and "修改父亲：" in html


def test_invalid_edit_changes_nothing(client, world):
    child = world.own_child
    client.force_login(world.user("teacher"))
    data = _form_data(world, name="王子晗", id_number=child.id_number, **{"father-phone": "12"})
    response = client.post(reverse("child_edit", args=[child.pk]), data)
    assert response.status_code == 200
    child.refresh_from_db()
    assert child.name == "王子涵"
    assert child.family.get(relation=Relation.FATHER).phone == "13812345678"


def test_teacher_may_not_edit_a_mentee_of_another_class(client, world):
    client.force_login(world.user("teacher"))
    response = client.get(reverse("child_edit", args=[world.mentee.pk]))
    assert response.status_code == 403
    assert "无权修改" in response.content.decode()


def test_post_to_edit_a_child_out_of_scope_is_404_and_changes_nothing(client, world):
    client.force_login(world.user("teacher"))
    data = _form_data(world, name="改名", id_number=world.outsider.id_number)
    response = client.post(reverse("child_edit", args=[world.outsider.pk]), data)
    assert response.status_code == 404
    world.outsider.refresh_from_db()
    assert world.outsider.name == "赵强"


def test_form_sections_cover_every_field_of_the_child_form(client, world):
    client.force_login(world.user("teacher"))
    response = client.get(reverse("child_create"))
    shown = [field.name for section in response.context["sections"] for field in section.fields]
    assert sorted(shown) == sorted(response.context["form"].fields)


def test_a_province_code_that_does_not_exist_is_refused_on_the_id_field(client, world):
    bad = make_id_number("990827", BIRTH, 101, "F")
    response = _post_create(client, world.user("teacher"), _form_data(world, id_number=bad))
    assert response.status_code == 200
    assert _summary(response) == ["儿童 · 身份证号：身份证号前两位（99）不是有效的省级行政区划代码"]
    assert not Child.objects.filter(name="陈思雨").exists()


def _saved_message(client, response):
    assert response.status_code == 302, _summary(response)
    page = client.get(response.url)
    return [(m.level_tag, str(m)) for m in page.context["messages"]]


def test_an_old_county_code_saves_and_asks_to_check_it(client, world):
    old = make_id_number("342827", BIRTH, 101, "F")
    response = _post_create(client, world.user("teacher"), _form_data(world, id_number=old))
    assert _saved_message(client, response) == [
        (
            "warning",
            "陈思雨 的档案已保存。请核对：身份证号中的县级代码 342827 不在现行区划代码表中"
            "（旧代码也可能有效，请核对）",
        )
    ]
    assert Child.objects.get(name="陈思雨").id_number == old


def test_a_birth_on_the_last_day_of_1999_saves_and_asks_to_check_it(client, world):
    old = make_id_number("340827", dt.date(1999, 12, 31), 101, "F")
    response = _post_create(client, world.user("teacher"), _form_data(world, id_number=old))
    [(level, text)] = _saved_message(client, response)
    assert level == "warning"
    assert text.endswith(
        "请核对：身份证号显示出生于 1999 年（2000 年以前），请核对是否为儿童本人的身份证号"
    )
    assert Child.objects.get(name="陈思雨").birth_date == dt.date(1999, 12, 31)


def test_a_birth_on_the_first_day_of_2000_saves_without_a_warning(client, world):
    new = make_id_number("340827", dt.date(2000, 1, 1), 101, "F")
    response = _post_create(client, world.user("teacher"), _form_data(world, id_number=new))
    assert _saved_message(client, response) == [("success", "陈思雨 的档案已保存。")]


def test_an_unchanged_id_number_is_not_warned_about_again(client, world):
    old = make_id_number("342827", BIRTH, 101, "F")
    created = _post_create(client, world.user("teacher"), _form_data(world, id_number=old))
    assert _saved_message(client, created)[0][0] == "warning"
    child = Child.objects.get(name="陈思雨")
    response = client.post(
        reverse("child_edit", args=[child.pk]), _form_data(world, id_number=old, notes="复核")
    )
    assert _saved_message(client, response) == [("success", "陈思雨 的档案已保存。")]
