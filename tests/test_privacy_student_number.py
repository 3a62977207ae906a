"""The student number (学籍号, usually "G" + the ID number) is treated as the ID number is:
encrypted at rest, masked wherever the ID number is masked, revealed together with it."""

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from python_calamine import CalamineWorkbook

from carenet.accounts.tokens import token_issue
from carenet.children.models import Child
from carenet.children.services import child_save
from carenet.exchange.export import REGISTER_COLUMNS, register_rows, render_xlsx
from carenet.exchange.importer import import_commit, import_preview
from carenet.lib.phone import mask_id_number, mask_student_number
from tests.import_files import SIMPLE_HEADER, an_id, simple_row, xlsx

STUDENT = REGISTER_COLUMNS.index("学籍号")


def _student_number(child: Child) -> str:
    return f"G{child.id_number}"


def _give_student_numbers(world) -> None:
    for child in Child.objects.all():
        child_save(actor=None, child=child, data={"student_number": _student_number(child)})


def _raw_values(table: str, column: str = "student_number") -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE {column} <> ''")
        return [row[0] for row in cursor.fetchall()]


class TestMask:
    def test_it_masks_the_id_number_inside_a_national_student_number(self):
        number = "G340827201503040013"
        assert mask_student_number(number) == "G" + mask_id_number(number[1:])
        assert mask_student_number(number) == "G340827********0013"

    def test_a_bare_id_number_is_masked_as_an_id_number(self):
        assert mask_student_number("340827201503040013") == "340827********0013"

    def test_any_other_form_is_starred_whole(self):
        assert mask_student_number("XYZ340827201503040013") == "*" * 21
        assert mask_student_number("2015001") == "*******"
        assert mask_student_number("") == ""


@pytest.mark.django_db
class TestAtRest:
    def test_the_children_table_and_its_history_hold_no_student_number_in_clear(self, world):
        _give_student_numbers(world)
        for table in ("children_child", "children_historicalchild"):
            raw = _raw_values(table)
            assert raw and all(value.startswith("v1:") for value in raw), table
            assert not any("G340827" in value for value in raw)
        own = Child.objects.get(pk=world.own_child.pk)
        assert own.student_number == _student_number(own)

    def test_an_imported_register_stores_its_student_numbers_encrypted(self, world):
        number = an_id()
        rows = [
            SIMPLE_HEADER + ["学籍号"],
            simple_row(1, "陈一", number) + [f"G{number}"],
        ]
        preview = import_preview(data=xlsx(rows), filename="花名册.xlsx", school=world.school)
        assert preview.created == 1, preview.as_json()
        import_commit(preview=preview, school=world.school, actor=world.user("principal"))
        child = Child.objects.get(name="陈一")
        assert child.student_number == f"G{number}"
        with connection.cursor() as cursor:
            cursor.execute("SELECT student_number FROM children_child WHERE id = %s", [child.pk])
            stored = cursor.fetchone()[0]
            cursor.execute(
                "SELECT student_number FROM children_historicalchild WHERE id = %s", [child.pk]
            )
            history = [row[0] for row in cursor.fetchall()]
        assert stored.startswith("v1:") and number not in stored
        assert history and all(v.startswith("v1:") for v in history)

    def test_an_unmasked_export_reimports_with_no_change_to_the_student_numbers(self, world):
        _give_student_numbers(world)
        rows = list(register_rows(Child.objects.filter(school=world.school), unmasked=True))
        preview = import_preview(
            data=render_xlsx(rows, title="华阳小学"), filename="花名册.xlsx", school=world.school
        )
        assert (preview.created, preview.updated, preview.rejected) == (0, 0, 0)


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_student_numbers_on_file_and_decrypts_them_backwards(world):
    child = world.own_child
    number = _student_number(child)
    try:
        call_command("migrate", "children", "0004", verbosity=0)
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE children_child SET student_number = %s WHERE id = %s", [number, child.pk]
            )
        call_command("migrate", "children", verbosity=0)
        assert _raw_values("children_child") == [_raw_values("children_child")[0]]
        assert _raw_values("children_child")[0].startswith("v1:")
        assert Child.objects.get(pk=child.pk).student_number == number
        call_command("migrate", "children", "0004", verbosity=0)
        assert _raw_values("children_child") == [number]
    finally:
        call_command("migrate", verbosity=0)
    assert Child.objects.get(pk=child.pk).student_number == number


@pytest.mark.django_db
class TestMasked:
    def test_a_masked_export_holds_no_full_student_number(self, world):
        _give_student_numbers(world)
        masked = list(register_rows(Child.objects.all(), unmasked=False))
        full = {_student_number(c) for c in Child.objects.all()}
        assert {row[STUDENT] for row in masked} == {mask_student_number(n) for n in full}
        assert not {row[STUDENT] for row in masked} & full
        unmasked = list(register_rows(Child.objects.all(), unmasked=True))
        assert {row[STUDENT] for row in unmasked} == full

    def test_the_masked_export_download_holds_no_full_student_number(self, world, client):
        _give_student_numbers(world)
        client.force_login(world.user("county_admin"))
        response = client.get("/exchange/export/", {"org": world.county.pk})
        assert response.status_code == 200
        sheet = CalamineWorkbook.from_filelike(io.BytesIO(response.content))
        cells = {str(c) for row in sheet.get_sheet_by_index(0).to_python() for c in row}
        assert not cells & {_student_number(c) for c in Child.objects.all()}

    def test_the_child_file_masks_the_student_number_until_revealed(self, world, client):
        _give_student_numbers(world)
        child = Child.objects.get(pk=world.own_child.pk)
        number = _student_number(child)
        url = reverse("child_detail", args=[child.pk])
        client.force_login(world.user("teacher"))
        html = client.get(url).content.decode()
        assert number not in html and mask_student_number(number) in html
        client.post(reverse("audit_reveal", args=[child.pk]))
        assert number in client.get(url).content.decode()

    def test_a_role_without_the_contacts_right_never_sees_the_student_number(self, world, client):
        _give_student_numbers(world)
        child = Child.objects.get(pk=world.own_child.pk)
        client.force_login(world.user("county_admin"))
        html = client.get(reverse("child_detail", args=[child.pk])).content.decode()
        assert _student_number(child) not in html
        assert mask_student_number(_student_number(child)) in html

    def test_the_change_history_masks_the_student_number(self, world, client):
        _give_student_numbers(world)
        child = Child.objects.get(pk=world.own_child.pk)
        client.force_login(world.user("principal"))
        html = client.get(reverse("audit_child_changes", args=[child.pk])).content.decode()
        assert _student_number(child) not in html

    def test_the_api_masks_the_student_number_for_a_role_without_the_contacts_right(
        self, world, client
    ):
        _give_student_numbers(world)
        child = Child.objects.get(pk=world.own_child.pk)
        for username, expected in (
            ("county_admin", mask_student_number(_student_number(child))),
            ("teacher", _student_number(child)),
        ):
            _, key = token_issue(user=world.user(username))
            body = client.get(
                f"/api/v1/children/{child.pk}", HTTP_AUTHORIZATION=f"Bearer {key}"
            ).json()
            assert body["student_number"] == expected, username
