"""The child edit form masks ID numbers, student numbers and phones as the file page does,
keeps the stored values when they come back masked, and logs every opening."""

import datetime as dt

import pytest
from django.urls import reverse

from carenet.audit.models import AccessAction, AccessLog
from carenet.children.models import Child, Relation
from carenet.children.services import child_save
from carenet.lib.idcard import make_id_number
from carenet.lib.phone import mask_id_number, mask_phone, mask_student_number

pytestmark = pytest.mark.django_db

GUARDIAN_ID = make_id_number("340827", dt.date(1958, 1, 1), 123, "F")
GUARDIAN_PHONE = "13987654321"
FATHER_PHONE = "13812345678"  # tests.factories


@pytest.fixture
def child(world) -> Child:
    child = world.own_child
    child_save(
        actor=None,
        child=child,
        data={"student_number": f"G{child.id_number}"},
        family={
            "guardian": {
                "name": "王奶奶",
                "kinship": "祖母",
                "id_number": GUARDIAN_ID,
                "phone": GUARDIAN_PHONE,
            }
        },
    )
    return Child.objects.get(pk=child.pk)


def _secrets(child: Child) -> list[str]:
    return [child.id_number, child.student_number, GUARDIAN_ID, GUARDIAN_PHONE, FATHER_PHONE]


def _edit_url(child: Child) -> str:
    return reverse("child_edit", args=[child.pk])


def _as_posted(response) -> dict:
    """The form as a browser posts it back untouched (the values the page shows)."""
    data: dict = {}
    forms = [response.context["form"], *(f for _title, f in response.context["family_sections"])]
    for form in forms:
        for field in form:
            value = field.value()
            if field.widget_type == "checkbox":
                if value:
                    data[field.html_name] = "on"
            elif isinstance(value, list):
                data[field.html_name] = value
            elif isinstance(value, dt.date):
                data[field.html_name] = value.isoformat()
            else:
                data[field.html_name] = "" if value is None else str(value)
    return data


def _masked_values(child: Child) -> dict:
    """The sensitive fields as the masked form shows them."""
    return {
        "id_number": mask_id_number(child.id_number),
        "student_number": mask_student_number(child.student_number),
        "father-phone": mask_phone(FATHER_PHONE),
        "guardian-id_number": mask_id_number(GUARDIAN_ID),
        "guardian-phone": mask_phone(GUARDIAN_PHONE),
    }


def _edit_views(child: Child) -> int:
    return AccessLog.objects.filter(child=child, action=AccessAction.VIEW_EDIT_FORM).count()


class TestARoleWithoutTheContactsRight:
    def test_the_county_admin_sees_no_full_id_number_or_phone_on_the_edit_form(
        self, client, world, child
    ):
        client.force_login(world.user("county_admin"))
        response = client.get(_edit_url(child))
        html = response.content.decode()
        assert response.status_code == 200
        for secret in _secrets(child):
            assert secret not in html
        assert f'value="{mask_id_number(child.id_number)}"' in html
        assert f'value="{mask_student_number(child.student_number)}"' in html
        assert f'value="{mask_phone(GUARDIAN_PHONE)}"' in html
        assert reverse("audit_reveal", args=[child.pk]) not in html  # no 显示 button

    def test_opening_the_edit_form_is_logged(self, client, world, child):
        client.force_login(world.user("county_admin"))
        client.get(_edit_url(child))
        client.get(_edit_url(child))
        entries = AccessLog.objects.filter(child=child, action=AccessAction.VIEW_EDIT_FORM)
        assert entries.count() == 2
        assert {e.username for e in entries} == {"county_admin"}

    def test_saving_with_the_masked_values_untouched_keeps_the_stored_ones(
        self, client, world, child
    ):
        client.force_login(world.user("county_admin"))
        data = _as_posted(client.get(_edit_url(child)))
        assert data == {**data, **_masked_values(child)}
        data.update(_masked_values(child), name="王子晗")
        response = client.post(_edit_url(child), data)
        assert response.status_code == 302, response.context and response.context["errors"]
        saved = Child.objects.get(pk=child.pk)
        assert saved.name == "王子晗"
        assert (saved.id_number, saved.id_number_hash) == (child.id_number, child.id_number_hash)
        assert saved.student_number == child.student_number
        guardian = saved.family.get(relation=Relation.GUARDIAN)
        assert (guardian.id_number, guardian.phone) == (GUARDIAN_ID, GUARDIAN_PHONE)
        assert saved.family.get(relation=Relation.FATHER).phone == FATHER_PHONE

    def test_a_full_new_phone_typed_over_the_mask_replaces_the_stored_one(
        self, client, world, child
    ):
        client.force_login(world.user("county_admin"))
        data = {**_as_posted(client.get(_edit_url(child))), **_masked_values(child)}
        data["guardian-phone"] = "13700001111"
        assert client.post(_edit_url(child), data).status_code == 302
        guardian = child.family.get(relation=Relation.GUARDIAN)
        assert (guardian.phone, guardian.id_number) == ("13700001111", GUARDIAN_ID)

    def test_a_starred_value_that_is_not_the_mask_is_refused_and_nothing_saved(
        self, client, world, child
    ):
        client.force_login(world.user("county_admin"))
        data = _as_posted(client.get(_edit_url(child)))
        data["student_number"] = "G340827********9999"
        data["name"] = "改名"
        response = client.post(_edit_url(child), data)
        assert response.status_code == 200
        assert any("打码的内容不能保存" in e.message for e in response.context["errors"])
        saved = Child.objects.get(pk=child.pk)
        assert (saved.name, saved.student_number) == (child.name, child.student_number)


class TestARoleWithTheContactsRight:
    def test_the_teacher_sees_masked_values_until_pressing_show(self, client, world, child):
        client.force_login(world.user("teacher"))
        html = client.get(_edit_url(child)).content.decode()
        for secret in _secrets(child):
            assert secret not in html
        assert reverse("audit_reveal", args=[child.pk]) in html  # the 显示 button
        response = client.post(reverse("audit_reveal", args=[child.pk]), {"next": _edit_url(child)})
        assert response.url == _edit_url(child)
        html = client.get(_edit_url(child)).content.decode()
        for secret in _secrets(child):
            assert f'value="{secret}"' in html
        assert AccessLog.objects.filter(
            child=child, action=AccessAction.REVEAL_CONTACTS, username="teacher"
        ).exists()
        assert _edit_views(child) == 2

    def test_the_teacher_saves_a_masked_form_keeping_the_stored_values(self, client, world, child):
        client.force_login(world.user("teacher"))
        data = _as_posted(client.get(_edit_url(child)))
        assert data["id_number"] == mask_id_number(child.id_number)
        data["notes"] = "新备注"
        assert client.post(_edit_url(child), data).status_code == 302
        saved = Child.objects.get(pk=child.pk)
        assert (saved.notes, saved.id_number, saved.student_number) == (
            "新备注",
            child.id_number,
            child.student_number,
        )
        assert saved.family.get(relation=Relation.GUARDIAN).id_number == GUARDIAN_ID

    def test_a_revealed_form_saves_the_full_values_as_posted(self, client, world, child):
        client.force_login(world.user("teacher"))
        client.post(reverse("audit_reveal", args=[child.pk]))
        data = _as_posted(client.get(_edit_url(child)))
        assert data["id_number"] == child.id_number
        assert data["guardian-phone"] == GUARDIAN_PHONE
        assert client.post(_edit_url(child), data).status_code == 302
        guardian = child.family.get(relation=Relation.GUARDIAN)
        assert (guardian.phone, guardian.id_number) == (GUARDIAN_PHONE, GUARDIAN_ID)


def test_the_create_form_is_not_masked_and_not_logged(client, world):
    client.force_login(world.user("teacher"))
    response = client.get(reverse("child_create"))
    assert response.status_code == 200 and not response.context["masked"]
    assert not AccessLog.objects.filter(action=AccessAction.VIEW_EDIT_FORM).exists()
