"""The register export: one row generator, as .xlsx, CSV and print, masked and scoped."""

import csv
import io
import re
import zipfile
from urllib.parse import unquote

import pytest
from python_calamine import CalamineWorkbook

from carenet.children.models import Child
from carenet.children.services import family_member_save
from carenet.exchange.export import (
    REGISTER_COLUMNS,
    column_groups,
    register_rows,
    render_csv,
    render_template_xlsx,
    render_xlsx,
)

pytestmark = pytest.mark.django_db

ID = REGISTER_COLUMNS.index("身份证号")
FATHER_PHONE = REGISTER_COLUMNS.index("父亲联系电话")
NAME = REGISTER_COLUMNS.index("姓名")


def _sheet(data: bytes, index: int = 0) -> list[list]:
    return CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(index).to_python()


def _export(client, org, **params) -> list[list]:
    response = client.get("/exchange/export/", {"org": org.pk, **params})
    assert response.status_code == 200, response.content[:300]
    return _sheet(response.content)


def _rows_by_name(sheet: list[list]) -> dict[str, list]:
    return {row[NAME]: row for row in sheet[1:]}


class TestRowGenerator:
    def test_it_yields_the_canonical_columns_in_order(self, world):
        rows = list(register_rows(Child.objects.all(), unmasked=True))
        assert len(rows) == 5
        assert all(len(row) == len(REGISTER_COLUMNS) for row in rows)
        own = next(r for r in rows if r[NAME] == "王子涵")
        assert own[ID] == world.own_child.id_number
        assert own[REGISTER_COLUMNS.index("学校")] == "华阳小学"
        assert own[REGISTER_COLUMNS.index("年级")] == "一年级"
        assert own[REGISTER_COLUMNS.index("班级")] == "一(1)班"
        assert own[REGISTER_COLUMNS.index("现居住地（乡镇/村/组）")] == "华阳镇/红星村"
        assert own[REGISTER_COLUMNS.index("留守类型（单亲/双亲）")] == "双亲留守"
        assert own[FATHER_PHONE] == "13812345678"
        assert [r[0] for r in rows] == [1, 2, 3, 4, 5]

    def test_it_masks_ids_and_phones_unless_told_otherwise(self, world):
        own = next(
            r for r in register_rows(Child.objects.all(), unmasked=False) if r[1] == "王子涵"
        )
        assert (
            own[ID] == world.own_child.id_number[:6] + "********" + world.own_child.id_number[-4:]
        )
        assert own[FATHER_PHONE] == "138****5678"

    def test_it_fetches_family_and_pairings_without_a_query_per_child(
        self, world, django_assert_max_num_queries
    ):
        for child in Child.objects.all():
            family_member_save(
                actor=None,
                child=child,
                relation="guardian",
                data={"name": "祖母", "kinship": "祖母", "phone": "13700001111", "age": 60},
            )
        with django_assert_max_num_queries(9):
            rows = list(register_rows(Child.objects.all(), unmasked=False))
        assert {r[REGISTER_COLUMNS.index("监护人姓名")] for r in rows} == {"祖母"}
        assert {r[REGISTER_COLUMNS.index("监护人联系电话")] for r in rows} == {"137****1111"}

    def test_the_mentor_is_named(self, world):
        teacher = world.user("teacher")
        teacher.last_name, teacher.first_name = "陈", "老师"
        teacher.save()
        rows = register_rows(Child.objects.filter(pk=world.mentee.pk), unmasked=False)
        assert next(rows)[REGISTER_COLUMNS.index("帮扶教师")] == "陈老师"

    def test_column_groups_cover_every_column_once(self):
        flat = [i for group in column_groups() for i in group]
        assert flat == list(range(2, len(REGISTER_COLUMNS)))
        assert len(column_groups()) > 1


class TestRenderers:
    def test_xlsx_keeps_ids_and_phones_as_text(self, world):
        data = render_xlsx(register_rows(Child.objects.all(), unmasked=True), title="花名册")
        sheet = _sheet(data)
        assert sheet[0] == REGISTER_COLUMNS
        own = _rows_by_name(sheet)["王子涵"]
        assert own[ID] == world.own_child.id_number
        assert isinstance(own[FATHER_PHONE], str) and own[FATHER_PHONE] == "13812345678"

    def test_xlsx_freezes_the_header_and_prints_a4_landscape(self, world):
        data = render_xlsx(register_rows(Child.objects.all(), unmasked=False), title="花名册")
        with zipfile.ZipFile(io.BytesIO(data)) as xlsx:
            sheet = xlsx.read("xl/worksheets/sheet1.xml").decode()
            book = xlsx.read("xl/workbook.xml").decode()
            styles = xlsx.read("xl/styles.xml").decode()
        assert 'state="frozen"' in sheet and 'ySplit="1"' in sheet
        assert 'orientation="landscape"' in sheet and 'paperSize="9"' in sheet
        assert "<autoFilter" in sheet and "<colBreaks" in sheet
        assert "_xlnm.Print_Titles" in book
        assert 'formatCode="@"' in styles or 'numFmtId="49"' in styles

    def test_csv_has_a_bom_and_decodes(self, world):
        data = render_csv(register_rows(Child.objects.all(), unmasked=False))
        assert data.startswith(b"\xef\xbb\xbf")
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        assert rows[0] == REGISTER_COLUMNS
        assert len(rows) == 6

    def test_the_blank_template_has_the_header_and_notes(self):
        data = render_template_xlsx()
        assert _sheet(data) == [REGISTER_COLUMNS]
        notes = _sheet(data, 1)
        assert REGISTER_COLUMNS in notes
        assert any("身份证号" in str(cell) for row in notes for cell in row)


class TestExportPage:
    def test_it_shows_the_form_with_the_masking_rule(self, world, client):
        client.force_login(world.user("teacher"))
        body = client.get("/exchange/export/").content.decode()
        assert "华阳小学" in body and "长岭中学" not in body
        assert "打码" in body

    def test_the_download_has_a_chinese_file_name(self, world, client):
        client.force_login(world.user("principal"))
        response = client.get("/exchange/export/", {"org": world.school.pk})
        disposition = response["Content-Disposition"]
        assert response["Content-Type"].startswith("application/vnd.openxmlformats")
        name = unquote(re.search(r"filename\*=UTF-8''(\S+)", disposition).group(1))
        assert name.startswith("华阳小学留守儿童花名册_") and name.endswith(".xlsx")

    def test_exports_are_masked_by_default(self, world, client):
        client.force_login(world.user("principal"))
        own = _rows_by_name(_export(client, world.school))["王子涵"]
        assert "********" in own[ID] and own[FATHER_PHONE] == "138****5678"

    def test_unmasked_exports_hold_only_children_the_user_may_see_in_full(self, world, client):
        client.force_login(world.user("principal"))
        own = _rows_by_name(_export(client, world.school, unmasked="on"))["王子涵"]
        assert own[ID] == world.own_child.id_number and own[FATHER_PHONE] == "13812345678"
        # The township supervisor sees children but not their contacts: nothing unmasked.
        client.force_login(world.user("township_supervisor"))
        assert len(_export(client, world.township)) == 1 + 4  # header; the outsider is elsewhere
        assert _export(client, world.township, unmasked="on") == [REGISTER_COLUMNS]

    def test_a_teachers_export_holds_only_their_children(self, world, client):
        client.force_login(world.user("teacher"))
        names = set(_rows_by_name(_export(client, world.school)))
        assert names == {"王子涵", "曾小雨"}

    def test_a_county_export_holds_the_whole_county(self, world, client):
        client.force_login(world.user("county_admin"))
        names = set(_rows_by_name(_export(client, world.county)))
        assert names == {"王子涵", "曾小雨", "李明", "张伟", "赵强"}

    def test_an_org_outside_scope_is_not_found(self, world, client):
        client.force_login(world.user("principal"))
        assert client.get("/exchange/export/", {"org": world.other_school.pk}).status_code == 404
        assert client.get("/exchange/export/", {"org": "x"}).status_code == 404

    def test_a_bad_format_is_refused(self, world, client):
        client.force_login(world.user("principal"))
        response = client.get("/exchange/export/", {"org": world.school.pk, "format": "doc"})
        assert response.status_code == 400

    def test_csv_download(self, world, client):
        client.force_login(world.user("principal"))
        response = client.get("/exchange/export/", {"org": world.school.pk, "format": "csv"})
        assert response.content.startswith(b"\xef\xbb\xbf")
        assert "filename*=UTF-8''" in response["Content-Disposition"]
        assert "王子涵" in response.content.decode("utf-8-sig")

    def test_the_printable_register_is_a4_landscape_in_column_groups(self, world, client):
        client.force_login(world.user("principal"))
        response = client.get("/exchange/export/", {"org": world.school.pk, "format": "print"})
        body = response.content.decode()
        assert "register-print.css" in body
        assert body.count('<section class="group">') == len(column_groups())
        assert "王子涵" in body and "赵强" not in body

    def test_the_blank_template_downloads(self, world, client):
        client.force_login(world.user("teacher"))
        response = client.get("/exchange/template/")
        assert _sheet(response.content) == [REGISTER_COLUMNS]

    def test_anonymous_users_are_sent_to_log_in(self, client):
        assert client.get("/exchange/export/").status_code == 302


class TestCsvInjection:
    """A CSV cell a spreadsheet would run as a formula is written with a leading
    apostrophe (OWASP); real numbers, negative ones too, are written as they are."""

    HOSTILE = ['=HYPERLINK("http://x")', "+1+2", "-2+3+cmd|' /C calc'!A0", "@SUM(A1)", "\tx", "\rx"]

    def test_cells_that_would_start_a_formula_are_neutralised(self):
        data = render_csv([[*self.HOSTILE, -3, "-4.5", "+86", 7]], header=["h"] * 10)
        row = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))[1]
        assert row[:6] == ["'" + value for value in self.HOSTILE]
        assert row[6:] == ["-3", "-4.5", "+86", "7"]

    def test_a_hostile_name_in_a_child_file_is_neutralised_on_export(self, world, client):
        Child.objects.filter(pk=world.own_child.pk).update(interests="=1+1", notes="@cmd")
        client.force_login(world.user("principal"))
        response = client.get("/exchange/export/", {"org": world.school.pk, "format": "csv"})
        text = response.content.decode("utf-8-sig")
        assert "'=1+1" in text and "'@cmd" in text
        for row in csv.reader(io.StringIO(text)):
            assert not any(cell.startswith(("=", "+", "@", "\t", "\r")) for cell in row)
