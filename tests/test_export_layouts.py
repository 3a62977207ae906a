"""The register export in the national layouts: the 2016 civil-affairs 花名册 (mca2016) and
the 学籍 system's 留守 flags (xueji), from the same row generator as the canonical export."""

import csv
import datetime as dt
import io
import re
import zipfile
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import pytest
import time_machine
from python_calamine import CalamineWorkbook

from carenet.audit.models import AccessAction, AccessLog
from carenet.children.models import Child
from carenet.children.services import family_member_save
from carenet.cli import main
from carenet.exchange.export import (
    CANONICAL,
    MCA2016,
    MCA2016_COLUMNS,
    REGISTER_COLUMNS,
    XUEJI,
    XUEJI_COLUMNS,
    PaperForm,
    register_rows,
    render_csv,
    render_xlsx,
)
from carenet.lib.idcard import make_id_number
from tests.factories import child_add
from tests.test_export_pdf import pdf_text

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 12, 4)
SIGNATURES = "单位负责人（签名）：　　　　　　复核人（签名）：　　　　　　填表人（签名）："
# The 2016 form's columns as the paper form words them (国发〔2016〕13号).
PAPER_HEADER = [
    "序号",
    "姓名",
    "性别",
    "民族",
    "出生日期",
    "公民身份证号码",
    "是否登记户口",
    "户籍所在地",
    "现居住地",
    "身体状况",
    "残疾类别及等级",
    "患病类型",
    "是否学校寄宿",
    "就学情况",
    "祖父姓名",
    "祖父出生日期",
    "祖母姓名",
    "祖母出生日期",
    "外祖父姓名",
    "外祖父出生日期",
    "外祖母姓名",
    "外祖母出生日期",
    "父亲姓名",
    "父亲出生日期",
    "父亲公民身份证号码",
    "父亲当前务工地点",
    "父亲联系电话",
    "母亲姓名",
    "母亲出生日期",
    "母亲公民身份证号码",
    "母亲当前务工地点",
    "母亲联系电话",
    "父母双方同时外出",
    "父母一方外出、另一方无监护能力",
    "无监护能力（父亲/母亲）",
    "有无委托监护人",
    "委托监护人姓名",
    "委托监护人电话",
    "委托监护人公民身份证号码",
    "与被监护人关系",
    "委托监护人居住地址",
    "监护类型",
    "家庭经济来源",
    "救助帮扶情况",
    "备注",
]
XUEJI_HEADER = [
    "全国学籍号",
    "姓名",
    "身份证件类型",
    "身份证件号",
    "学校",
    "年级",
    "班级",
    "是否留守儿童",
    "是否进城务工人员随迁子女",
    "是否孤儿",
    "是否需要申请资助",
]
GUARDIAN_ID = make_id_number("340827", dt.date(1958, 1, 1), 123, "F")
FATHER_ID = make_id_number("340827", dt.date(1986, 6, 1), 35, "M")


@pytest.fixture(autouse=True)
def frozen():
    """Left-behind status counts from today (away ≥ 3 months; under 16 for civil affairs)."""
    moment = dt.datetime(2026, 12, 4, 10, tzinfo=ZoneInfo("Asia/Shanghai"))
    with time_machine.travel(moment, tick=False):
        yield


@pytest.fixture
def family(world):
    """王子涵 (both parents away) with an entrusted grandmother; 曾小雨 (mother away) with a
    father at home who cannot take care of her (重病): both left behind for civil affairs."""
    own = world.own_child
    Child.objects.filter(pk=own.pk).update(
        student_number="G" + own.id_number,
        registered_residence="安徽省望江县华阳镇红星村",
        residence_address="红星村三组12号",
        boarding=True,
        notes="奶奶腿脚不便",
    )
    family_member_save(
        actor=None,
        child=own,
        relation="father",
        data={"work_province": "浙江省", "work_city": "宁波市", "id_number": FATHER_ID},
    )
    family_member_save(
        actor=None,
        child=own,
        relation="guardian",
        data={
            "name": "王奶奶",
            "kinship": "祖母",
            "phone": "13700001111",
            "id_number": GUARDIAN_ID,
            "address": "红星村三组12号",
            "guardianship_quality": "fair",
        },
    )
    family_member_save(
        actor=None,
        child=world.mentee,
        relation="father",
        data={"name": "曾大山", "phone": "13600002222", "can_guard": False},
    )
    return world


def _sheet(data: bytes) -> list[list]:
    return CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()


def _by_name(rows, header) -> dict[str, dict]:
    return {row[header.index("姓名")]: dict(zip(header, row, strict=True)) for row in rows}


def _rows(layout, *, unmasked=False, **options) -> dict[str, dict]:
    rows = list(register_rows(Child.objects.all(), unmasked=unmasked, layout=layout, **options))
    assert all(len(row) == len(layout.header) for row in rows)
    return _by_name(rows, layout.header)


class TestHeaders:
    def test_the_layouts_columns(self):
        assert CANONICAL.header == REGISTER_COLUMNS
        assert MCA2016_COLUMNS == PAPER_HEADER
        assert XUEJI_COLUMNS == XUEJI_HEADER

    def test_mca2016_has_the_paper_forms_title_unit_and_day_above_its_header(self, family):
        data = render_xlsx(
            register_rows(Child.objects.all(), unmasked=False, layout=MCA2016),
            title="华阳镇农村留守儿童花名册",
            layout=MCA2016,
            paper=PaperForm(unit="华阳镇", on=TODAY),
        )
        sheet = _sheet(data)
        assert sheet[0][0] == "农村留守儿童花名册" and set(sheet[0][1:]) == {""}
        line = [cell for cell in sheet[1] if cell]
        assert line == ["填报单位（盖章）：华阳镇", "填报日期：2026年12月4日"]
        assert sheet[2] == PAPER_HEADER
        assert [row[1] for row in sheet[3:5]] == ["王子涵", "曾小雨"]

    def test_mca2016_ends_with_the_signature_footer(self, family):
        data = render_xlsx(
            register_rows(Child.objects.all(), unmasked=False, layout=MCA2016),
            title="华阳镇农村留守儿童花名册",
            layout=MCA2016,
            paper=PaperForm(unit="华阳镇", on=TODAY),
        )
        sheet = _sheet(data)
        assert set(sheet[-2]) == {""}  # a blank line between the children and the footer
        assert sheet[-1][0] == SIGNATURES and set(sheet[-1][1:]) == {""}

    def test_mca2016_freezes_and_repeats_its_header_row_the_third(self, family):
        data = render_xlsx(
            register_rows(Child.objects.all(), unmasked=False, layout=MCA2016),
            title="x",
            layout=MCA2016,
            paper=PaperForm(unit="华阳镇", on=TODAY),
        )
        with zipfile.ZipFile(io.BytesIO(data)) as xlsx:
            sheet = xlsx.read("xl/worksheets/sheet1.xml").decode()
            book = xlsx.read("xl/workbook.xml").decode()
        assert 'ySplit="3"' in sheet and 'orientation="landscape"' in sheet
        assert '<mergeCell ref="A1:AS1"/>' in sheet
        assert '<autoFilter ref="A3:AS5"/>' in sheet
        assert "$3:$3" in book  # the header row printed on every page

    def test_xueji_has_one_header_row_and_no_paper_lines(self, family):
        data = render_xlsx(
            register_rows(Child.objects.all(), unmasked=False, layout=XUEJI),
            title="x",
            layout=XUEJI,
            paper=PaperForm(unit="华阳镇", on=TODAY),
        )
        sheet = _sheet(data)
        assert sheet[0] == XUEJI_HEADER and len(sheet) == 1 + 5

    def test_the_canonical_export_is_unchanged(self, family):
        data = render_xlsx(register_rows(Child.objects.all(), unmasked=False), title="x")
        sheet = _sheet(data)
        assert sheet[0] == REGISTER_COLUMNS and len(sheet) == 1 + 5


class TestMca2016Rows:
    def test_it_lists_the_civil_affairs_left_behind_children_only(self, family):
        # 王子涵: both away; 曾小雨: mother away, father unable. 张伟 and 赵强 have only a
        # father away (a left-behind child for the school, not for civil affairs); 李明 none.
        assert list(_rows(MCA2016)) == ["王子涵", "曾小雨"]

    def test_every_child_when_asked(self, family):
        rows = _rows(MCA2016, left_behind_only=False)
        assert set(rows) == {"王子涵", "曾小雨", "李明", "张伟", "赵强"}
        assert [r["序号"] for r in rows.values()] == [1, 2, 3, 4, 5]

    def test_a_child_with_both_parents_away(self, family):
        own = family.own_child
        row = _rows(MCA2016)["王子涵"]
        assert row["序号"] == 1 and row["性别"] == "男" and row["民族"] == "汉族"
        assert row["出生日期"] == dt.date(2015, 3, 4)
        assert row["公民身份证号码"] == own.id_number[:6] + "********" + own.id_number[-4:]
        assert row["是否登记户口"] == "是"
        assert row["户籍所在地"] == "安徽省望江县华阳镇红星村"
        assert row["现居住地"] == "华阳镇红星村三组12号"
        assert row["身体状况"] == "健康" and row["是否学校寄宿"] == "是"
        assert row["就学情况"] == "小学"
        assert row["父亲姓名"] == "父亲" and row["父亲当前务工地点"] == "浙江省宁波市"
        assert row["父亲联系电话"] == "138****5678"
        assert row["母亲当前务工地点"] == "外出"  # away, the place not on file
        assert row["父母双方同时外出"] == "是"
        assert row["父母一方外出、另一方无监护能力"] == "否"
        assert row["无监护能力（父亲/母亲）"] == ""
        assert row["有无委托监护人"] == "是"
        assert row["委托监护人姓名"] == "王奶奶" and row["与被监护人关系"] == "祖母"
        assert row["委托监护人电话"] == "137****1111"
        assert row["委托监护人公民身份证号码"] == GUARDIAN_ID[:6] + "********" + GUARDIAN_ID[-4:]
        assert row["委托监护人居住地址"] == "红星村三组12号"
        assert row["监护类型"] == "监护情况一般"
        assert row["备注"] == "奶奶腿脚不便"

    def test_a_child_with_one_parent_away_and_the_other_unable(self, family):
        row = _rows(MCA2016)["曾小雨"]
        assert row["性别"] == "女"
        assert row["父亲姓名"] == "曾大山" and row["父亲当前务工地点"] == "在家"
        assert row["母亲当前务工地点"] == "外出"
        assert row["父母双方同时外出"] == "否"
        assert row["父母一方外出、另一方无监护能力"] == "是"
        assert row["无监护能力（父亲/母亲）"] == "父亲"
        assert row["有无委托监护人"] == "否" and row["委托监护人姓名"] == ""
        assert row["监护类型"] == "父或母无监护能力"

    def test_the_stage_follows_the_grade(self, family):
        rows = _rows(MCA2016, left_behind_only=False)
        assert rows["李明"]["就学情况"] == "小学"  # 二年级
        assert rows["张伟"]["就学情况"] == "初中"  # 七年级

    def test_a_child_out_of_school_is_written_as_the_form_words_it(self, family):
        Child.objects.filter(pk=family.own_child.pk).update(schooling="dropped_out")
        assert _rows(MCA2016)["王子涵"]["就学情况"] == "辍学"

    def test_a_child_with_a_chronic_illness_names_it(self, family):
        Child.objects.filter(pk=family.own_child.pk).update(health="chronic")
        child = Child.objects.get(pk=family.own_child.pk)
        child.health_notes = "先天性心脏病"
        child.save()
        row = _rows(MCA2016)["王子涵"]
        assert row["身体状况"] == "患病" and row["患病类型"] == "先天性心脏病"

    def test_no_guardianship_as_assessed_or_with_nobody_entrusted(self, family):
        guardian = family.own_child.family.filter(relation="guardian")
        guardian.update(guardianship_quality="none")
        assert _rows(MCA2016)["王子涵"]["监护类型"] == "无人监护"
        guardian.delete()  # both parents away, nobody entrusted
        row = _rows(MCA2016)["王子涵"]
        assert row["监护类型"] == "无人监护" and row["有无委托监护人"] == "否"

    def test_a_disability_on_file_is_the_forms_disability(self, family):
        child = Child.objects.get(pk=family.own_child.pk)
        child.disability = "肢体三级"
        child.save()
        row = _rows(MCA2016)["王子涵"]
        assert row["身体状况"] == "残疾" and row["残疾类别及等级"] == "肢体三级"

    def test_grandparents_and_parents_with_their_birth_dates(self, family):
        own = family.own_child
        for relation, name, born in (
            ("grandfather", "王老汉", dt.date(1950, 2, 3)),
            ("grandmother", "王奶奶", dt.date(1952, 4, 5)),
            ("m_grandmother", "李外婆", dt.date(1955, 6, 7)),
        ):
            family_member_save(
                actor=None, child=own, relation=relation, data={"name": name, "birth_date": born}
            )
        family_member_save(
            actor=None, child=own, relation="father", data={"birth_date": dt.date(1986, 6, 1)}
        )
        row = _rows(MCA2016)["王子涵"]
        assert (row["祖父姓名"], row["祖父出生日期"]) == ("王老汉", dt.date(1950, 2, 3))
        assert (row["祖母姓名"], row["祖母出生日期"]) == ("王奶奶", dt.date(1952, 4, 5))
        assert (row["外祖父姓名"], row["外祖父出生日期"]) == ("", None)
        assert (row["外祖母姓名"], row["外祖母出生日期"]) == ("李外婆", dt.date(1955, 6, 7))
        assert row["父亲出生日期"] == dt.date(1986, 6, 1) and row["母亲出生日期"] is None

    def test_income_sources_and_assistance_in_the_forms_words(self, family):
        Child.objects.filter(pk=family.own_child.pk).update(
            income_sources=",wages,farming,", assistance=",subsistence,temporary,"
        )
        row = _rows(MCA2016)["王子涵"]
        assert row["家庭经济来源"] == "打工收入、种养殖业"
        assert row["救助帮扶情况"] == "低保、临时救助"

    def test_household_registration_and_entrusting_as_the_file_says(self, family):
        Child.objects.filter(pk=family.own_child.pk).update(
            hukou_registered=False, guardian_entrusted=False
        )
        row = _rows(MCA2016)["王子涵"]
        assert row["是否登记户口"] == "否" and row["有无委托监护人"] == "否"
        # Not said: an ID number comes from the household register; a guardian on file
        # was entrusted.
        Child.objects.filter(pk=family.own_child.pk).update(
            hukou_registered=None, guardian_entrusted=None
        )
        row = _rows(MCA2016)["王子涵"]
        assert row["是否登记户口"] == "是" and row["有无委托监护人"] == "是"

    @pytest.mark.parametrize(
        ("schooling", "words"),
        [
            ("kindergarten", "幼儿园"),
            ("not_in_kindergarten", "未入园"),
            ("preschool", "未入园"),
            ("dropped_out", "辍学"),
            ("out_of_school", "不在学"),
        ],
    )
    def test_a_child_filed_under_a_village_not_at_school(self, family, schooling, words):
        away = dt.date(2025, 1, 1)
        child_add(
            None,
            name="刘小丫",
            village=family.village,
            schooling=schooling,
            father_away=away,
            mother_away=away,
        )
        assert _rows(MCA2016)["刘小丫"]["就学情况"] == words

    def test_a_child_filed_under_a_village_at_a_school_elsewhere_has_its_stage(self, family):
        away = dt.date(2025, 1, 1)
        child_add(
            None,
            name="刘小丫",
            village=family.village,
            stage="vocational",
            father_away=away,
            mother_away=away,
        )
        assert _rows(MCA2016)["刘小丫"]["就学情况"] == "中职"

    def test_unmasked_only_when_told(self, family):
        row = _rows(MCA2016, unmasked=True)["王子涵"]
        assert row["公民身份证号码"] == family.own_child.id_number
        assert row["父亲公民身份证号码"] == FATHER_ID
        assert row["委托监护人公民身份证号码"] == GUARDIAN_ID
        assert row["父亲联系电话"] == "13812345678" and row["委托监护人电话"] == "13700001111"


class TestXuejiRows:
    def test_the_left_behind_codes_of_the_xueji_system(self, family):
        codes = {name: row["是否留守儿童"] for name, row in _rows(XUEJI).items()}
        assert codes == {"王子涵": "2", "曾小雨": "1", "李明": "0", "张伟": "1", "赵强": "1"}

    def test_a_left_behind_childs_row(self, family):
        own = family.own_child
        row = _rows(XUEJI)["王子涵"]
        assert row["全国学籍号"] == "G340827********" + own.id_number[-4:]
        assert row["身份证件类型"] == "1"
        assert row["身份证件号"] == own.id_number[:6] + "********" + own.id_number[-4:]
        assert (row["学校"], row["年级"], row["班级"]) == ("华阳小学", "一年级", "一(1)班")
        assert row["是否进城务工人员随迁子女"] == "0" and row["是否孤儿"] == "0"
        assert row["是否需要申请资助"] == "0"

    def test_the_flags_are_1_when_set(self, family):
        Child.objects.filter(pk=family.own_child.pk).update(orphan=True, migrant_child=True)
        row = _rows(XUEJI)["王子涵"]
        assert row["是否孤儿"] == "1" and row["是否进城务工人员随迁子女"] == "1"

    def test_children_not_at_a_school_have_no_xueji_row(self, family):
        child_add(None, name="刘小丫", village=family.village, mother_away=dt.date(2025, 1, 1))
        assert "刘小丫" not in _rows(XUEJI)
        assert "刘小丫" in _rows(CANONICAL)

    def test_unmasked_only_when_told(self, family):
        own = family.own_child
        row = _rows(XUEJI, unmasked=True)["王子涵"]
        assert row["身份证件号"] == own.id_number and row["全国学籍号"] == "G" + own.id_number


class TestTextCells:
    def test_ids_phones_and_codes_stay_text_in_the_xlsx(self, family):
        own = family.own_child
        data = render_xlsx(
            register_rows(Child.objects.all(), unmasked=True, layout=MCA2016),
            title="x",
            layout=MCA2016,
            paper=PaperForm(unit="华阳镇", on=TODAY),
        )
        row = _by_name(_sheet(data)[3:5], PAPER_HEADER)["王子涵"]
        assert row["公民身份证号码"] == own.id_number
        assert row["委托监护人公民身份证号码"] == GUARDIAN_ID
        assert row["父亲联系电话"] == "13812345678" and row["委托监护人电话"] == "13700001111"
        data = render_xlsx(
            register_rows(Child.objects.all(), unmasked=True, layout=XUEJI), title="x", layout=XUEJI
        )
        row = _by_name(_sheet(data)[1:], XUEJI_HEADER)["王子涵"]
        assert row["身份证件号"] == own.id_number and row["是否留守儿童"] == "2"
        assert row["身份证件类型"] == "1" and row["是否孤儿"] == "0"

    def test_the_csv_has_the_layouts_header(self, family):
        data = render_csv(
            register_rows(Child.objects.all(), unmasked=False, layout=XUEJI), header=XUEJI.header
        )
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        assert rows[0] == XUEJI_HEADER and len(rows) == 6


class TestCommandLine:
    def test_the_help_names_the_layouts(self, capsys):
        with pytest.raises(SystemExit) as exit_info:
            main(["export", "children", "--help"])
        assert exit_info.value.code == 0
        out = capsys.readouterr().out
        assert "--layout {canonical,mca2016,xueji}" in out
        assert "民政部2016农村留守儿童花名册" in out and "学籍系统留守儿童标识" in out

    def test_mca2016_from_the_command_line(self, family, tmp_path, capsys):
        out = tmp_path / "华阳镇.xlsx"
        code = family.township.code
        assert (
            main(["export", "children", "--org", code, "-o", str(out), "--layout", "mca2016"]) == 0
        )
        sheet = _sheet(out.read_bytes())
        assert sheet[0][0] == "农村留守儿童花名册"
        assert sheet[1][0] == "填报单位（盖章）：华阳镇"
        assert "填报日期：2026年12月4日" in sheet[1]
        assert sheet[2] == PAPER_HEADER
        rows = _by_name(sheet[3:-2], PAPER_HEADER)
        assert set(rows) == {"王子涵", "曾小雨"}
        assert "********" in rows["王子涵"]["公民身份证号码"]
        assert sheet[-1][0] == SIGNATURES
        assert "2 children" in capsys.readouterr().out
        entry = AccessLog.objects.get(action=AccessAction.EXPORT)
        assert entry.detail == f"命令行导出花名册 {code} mca2016 2 人"

    def test_all_children_in_mca2016(self, family, tmp_path):
        out = tmp_path / "all.xlsx"
        args = ["export", "children", "--org", family.township.code, "-o", str(out)]
        assert main([*args, "--layout", "mca2016", "--all-children"]) == 0
        names = {row[1] for row in _sheet(out.read_bytes())[3:-2]}
        assert names == {"王子涵", "曾小雨", "李明", "张伟"}

    def test_xueji_as_csv_from_the_command_line(self, family, tmp_path):
        out = tmp_path / "xueji.csv"
        code = family.school.code
        assert main(["export", "children", "--org", code, "-o", str(out), "--layout", "xueji"]) == 0
        rows = list(csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))
        assert rows[0] == XUEJI_HEADER
        assert {row[1]: row[7] for row in rows[1:]} == {"王子涵": "2", "曾小雨": "1", "李明": "0"}

    def test_a_bad_layout_exits_2_with_one_line(self, family, tmp_path, capsys):
        out = tmp_path / "x.xlsx"
        args = ["export", "children", "--org", family.school.code, "-o", str(out)]
        with pytest.raises(SystemExit) as exit_info:
            main([*args, "--layout", "mca2015"])
        assert exit_info.value.code == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and "mca2015" in err and "--layout" in err
        assert not out.exists()


class TestWebDownload:
    def test_the_export_page_offers_the_layouts(self, family, client):
        client.force_login(family.user("principal"))
        body = client.get("/exchange/export/").content.decode()
        for label in ("关爱网花名册", "民政部2016农村留守儿童花名册", "学籍系统留守儿童标识"):
            assert label in body
        assert 'name="layout"' in body and 'name="all_children"' in body

    def test_mca2016_download_masked_by_default(self, family, client):
        client.force_login(family.user("principal"))
        response = client.get("/exchange/export/", {"org": family.school.pk, "layout": "mca2016"})
        assert response.status_code == 200
        disposition = response["Content-Disposition"]
        name = unquote(re.search(r"filename\*=UTF-8''(\S+)", disposition).group(1))
        assert name == "华阳小学农村留守儿童花名册_20261204.xlsx"
        sheet = _sheet(response.content)
        assert sheet[0][0] == "农村留守儿童花名册" and sheet[2] == PAPER_HEADER
        assert sheet[1][0] == "填报单位（盖章）：华阳小学"
        rows = _by_name(sheet[3:-2], PAPER_HEADER)
        assert set(rows) == {"王子涵", "曾小雨"}
        own = rows["王子涵"]
        assert own["公民身份证号码"].count("*") == 8 and own["委托监护人电话"] == "137****1111"
        entry = AccessLog.objects.get(action=AccessAction.EXPORT)
        assert entry.detail == f"花名册 {family.school.code} xlsx mca2016 2 人"

    def test_mca2016_unmasked_for_a_user_who_may_see_contacts(self, family, client):
        client.force_login(family.user("principal"))
        params = {"org": family.school.pk, "layout": "mca2016", "unmasked": "on"}
        rows = _by_name(_sheet(client.get("/exchange/export/", params).content)[3:-2], PAPER_HEADER)
        assert rows["王子涵"]["公民身份证号码"] == family.own_child.id_number
        # The township supervisor may not see contacts: nothing unmasked.
        client.force_login(family.user("township_supervisor"))
        params["org"] = family.township.pk
        sheet = _sheet(client.get("/exchange/export/", params).content)
        assert sheet[2] == PAPER_HEADER and sheet[3:-2] == []

    def test_xueji_download_as_csv(self, family, client):
        client.force_login(family.user("teacher"))
        params = {"org": family.school.pk, "layout": "xueji", "format": "csv"}
        response = client.get("/exchange/export/", params)
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert rows[0] == XUEJI_HEADER
        assert {row[1]: row[7] for row in rows[1:]} == {"王子涵": "2", "曾小雨": "1"}
        assert all("********" in row[3] for row in rows[1:])

    def test_the_printable_mca2016_has_the_signatures(self, family, client):
        client.force_login(family.user("principal"))
        params = {"org": family.school.pk, "layout": "mca2016", "format": "print"}
        body = client.get("/exchange/export/", params).content.decode()
        assert "华阳小学农村留守儿童花名册" in body and SIGNATURES in body
        assert "父母一方外出、另一方无监护能力" in body and "李明" not in body

    def test_a_bad_layout_is_refused(self, family, client):
        client.force_login(family.user("principal"))
        params = {"org": family.school.pk, "layout": "mca2015"}
        assert client.get("/exchange/export/", params).status_code == 400

    def test_the_mca2016_pdf_has_the_title_and_the_signatures(self, family, client):
        client.force_login(family.user("principal"))
        params = {"org": family.school.pk, "layout": "mca2016"}
        response = client.get("/exchange/export/register.pdf", params)
        assert response.status_code == 200
        text = pdf_text(response.content)
        assert "华阳小学农村留守儿童花名册" in text and "单位负责人（签名）" in text
        assert "王子涵" in text and "李明" not in text
        entry = AccessLog.objects.get(action=AccessAction.EXPORT)
        assert entry.detail == f"花名册 {family.school.code} pdf mca2016 2 人"
