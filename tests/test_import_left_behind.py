"""Left-behind status from what a register says: work places, 留守类型, the 2016 flags,
read together, with a warning naming both cells where they disagree, and the preview's
counts by rule equal to what the children list says after the commit."""

from __future__ import annotations

import datetime as dt
import io
import json
import pickle
import zoneinfo
from collections import Counter

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from carenet.children.models import AwayPeriod, Child, FamilyMember
from carenet.cli import main
from carenet.exchange.importer import import_commit, import_preview
from carenet.exchange.importer.leftbehind import display_label, place_kind
from carenet.exchange.importer.results import CellError, RowResult
from carenet.exchange.models import ImportBatch
from carenet.web.selectors import ChildFilters, child_list
from tests.import_files import an_id, xlsx

pytestmark = pytest.mark.django_db
TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
TODAY = dt.date(2026, 10, 12)
# derived_away_start(TODAY): 1 September 2026, at the latest 1 July (three months back).
DERIVED = dt.date(2026, 7, 1)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(dt.datetime(2026, 10, 12, 9, 0, tzinfo=TZ), tick=False):
        yield


# A school 花名册 with work places and no 外出时间 (the file).
HEADER = ["序号", "姓名", "身份证号", "年级", "班级", "父亲姓名", "父亲务工地点", "母亲务工地点"]


def _row(n: int, name: str, father: str = "", mother: str = "", **more) -> list[object]:
    child_id = more.pop("id_number", None) or an_id()
    return [n, name, child_id, "三年级", "2班", "父" + name, father, mother, *more.values()]


def _preview(world, rows, filename="花名册.xlsx"):
    return import_preview(data=xlsx(rows), filename=filename, school=world.school)


def _import(world, rows):
    preview = _preview(world, rows)
    import_commit(preview=preview, school=world.school, actor=world.user("principal"))
    return preview


def _starts(name: str) -> dict[str, dt.date]:
    child = Child.objects.get(name=name)
    return {p.relation: p.start for p in AwayPeriod.objects.filter(child=child, end=None)}


def _listed(world, names) -> Counter:
    """What the children list says of these children (the principal's list)."""
    children = child_list(world.user("principal"), ChildFilters(school=world.school))
    return Counter(c.left_behind_type for c in children if c.name in set(names))


def _warnings(preview) -> dict[int, list[str]]:
    return {r["row"]: r["messages"] for r in preview.as_json()["warnings"]}


# ---------------------------------------------------------------------------- words


@pytest.mark.parametrize(
    "text",
    ["在家", " 在 家 ", "家中", "本地", "本村", "无", "空", "务农", "在家务农", "本县", "县城务工"],
)
def test_a_work_place_that_says_home_is_home(text):
    assert place_kind(text) == "home"


@pytest.mark.parametrize(
    "text", ["广东省东莞市", "浙江/宁波", "上海", "本溪市", "乡城县", "东莞某电子厂", "在外"]
)
def test_a_work_place_elsewhere_is_away(text):
    assert place_kind(text) == "away"


@pytest.mark.parametrize("text", ["不详", "去世", ""])
def test_a_work_place_that_is_no_place_counts_neither_way(text):
    assert place_kind(text) == "unknown"


def test_a_header_is_named_as_the_user_reads_it():
    assert display_label("留守类型（单亲/双亲）") == "留守类型"
    assert display_label("父亲/务工地点") == "父亲务工地点"
    assert display_label("父母外出情况/父母双方同时外出") == "父母双方同时外出"


# ---------------------------------------------------------------------------- work places


def test_a_father_working_away_and_a_mother_at_home_make_a_one_parent_child(world):
    """The issue's 花名册: 父亲务工地点 广东省东莞市, 母亲务工地点 在家, no 外出时间, no
    留守类型: the child is 单亲留守 (the father away), not 非留守."""
    preview = _import(world, [HEADER, _row(1, "单亲娃", "广东省东莞市", "在家")])
    assert preview.rejected == 0 and _warnings(preview) == {}
    assert _starts("单亲娃") == {"father": DERIVED}
    child = Child.objects.get(name="单亲娃")
    father, mother = child.family.get(relation="father"), child.family.get(relation="mother")
    assert (father.work_province, father.work_city) == ("广东省", "东莞市")
    assert (mother.work_province, mother.work_city) == ("", "")  # 在家 is not a city
    counts = preview.as_json()["left_behind"]
    assert (counts["both_parents"], counts["one_parent"], counts["none"]) == (0, 1, 0)
    assert counts["by_rule"]["work_place"]["one_parent"] == 1
    assert _listed(world, ["单亲娃"]) == {"one_parent": 1}


def test_parents_at_home_or_away_by_their_work_places(world):
    rows = [
        HEADER,
        _row(1, "都在家", "本村", "在家务农"),
        _row(2, "都外出", "浙江宁波", "江苏/苏州"),
        _row(3, "没写", "", ""),
        _row(4, "母亲外出", "无", "上海"),
    ]
    preview = _import(world, rows)
    assert _starts("都在家") == {} and _starts("没写") == {}
    assert _starts("都外出") == {"father": DERIVED, "mother": DERIVED}
    assert _starts("母亲外出") == {"mother": DERIVED}
    by_rule = preview.left_behind.by_rule
    assert by_rule["work_place"] == {"both_parents": 1, "one_parent": 1, "none": 1}
    assert by_rule["none"] == {"both_parents": 0, "one_parent": 0, "none": 1}
    assert _listed(world, ["都在家", "都外出", "没写", "母亲外出"]) == {
        "none": 2,
        "both_parents": 1,
        "one_parent": 1,
    }


def test_an_employer_away_counts_only_without_a_work_place_or_a_code(world):
    header = [*HEADER, "父亲务工单位", "母亲务工单位"]
    rows = [
        header,
        _row(1, "厂里", "", "", f="东莞某电子厂", m="务农"),
        _row(2, "地点在家", "在家", "", f="东莞某电子厂", m=""),
    ]
    _import(world, rows)
    assert _starts("厂里") == {"father": DERIVED}
    assert _starts("地点在家") == {}  # the work place decides, not the employer


def test_a_stated_date_wins_over_a_work_place_saying_home_with_a_warning(world):
    header = [*HEADER, "父亲外出时间"]
    preview = _import(world, [header, _row(1, "有日期", "在家", "", d="2025-03-01")])
    assert _starts("有日期") == {"father": dt.date(2025, 3, 1)}
    assert _warnings(preview) == {
        2: ["父亲外出时间为“2025-03-01”，但父亲务工地点为“在家”（按外出时间计）"]
    }


def test_a_parent_gone_less_than_three_months_does_not_count_yet(world):
    header = [*HEADER, "父亲外出时间"]
    rows = [
        header,
        _row(1, "刚走", "", "", d="2026-08-01"),
        _row(2, "早走", "", "", d="2026-07-12"),
    ]
    preview = _import(world, rows)
    assert preview.left_behind.by_rule["away_since"] == {
        "both_parents": 0,
        "one_parent": 1,
        "none": 1,
    }
    assert _listed(world, ["刚走", "早走"]) == {"none": 1, "one_parent": 1}


# ---------------------------------------------------------------------------- codes


CODE_HEADER = [*HEADER, "留守类型（单亲/双亲）"]


def test_a_code_that_agrees_with_the_work_places_gives_no_warning(world):
    rows = [
        CODE_HEADER,
        _row(1, "一致单亲", "广东省东莞市", "在家", code="单亲"),
        _row(2, "一致非留守", "在家", "在家", code="非留守"),
    ]
    preview = _import(world, rows)
    assert _warnings(preview) == {}
    assert _starts("一致单亲") == {"father": DERIVED} and _starts("一致非留守") == {}
    assert preview.left_behind.by_rule["work_place"]["one_parent"] == 1
    assert preview.left_behind.by_rule["code"]["none"] == 1


def test_a_code_saying_non_left_behind_against_a_work_place_away_keeps_the_work_place(world):
    preview = _import(
        world, [["标题"], CODE_HEADER, _row(1, "不一致", "广东省东莞市", "在家", c="非留守")]
    )
    assert preview.rejected == 0
    assert _warnings(preview) == {
        3: ["留守类型为“非留守”，但父亲务工地点为“广东省东莞市”（按务工地点计为单亲留守）"]
    }
    assert _starts("不一致") == {"father": DERIVED}
    assert preview.left_behind.by_rule["work_place"]["one_parent"] == 1
    assert _listed(world, ["不一致"]) == {"one_parent": 1}


def test_a_code_saying_more_parents_away_derives_the_missing_one_but_not_a_parent_at_home(
    world,
):
    rows = [
        CODE_HEADER,
        _row(1, "双亲一方有地点", "广东省东莞市", "", code="双亲"),
        _row(2, "双亲母亲在家", "", "在家", code="双亲"),
        _row(3, "单亲母亲在家", "", "在家", code="单亲"),
        _row(4, "单亲不知是谁", "", "", code="单亲"),
    ]
    preview = _import(world, rows)
    assert _starts("双亲一方有地点") == {"father": DERIVED, "mother": DERIVED}
    assert _starts("双亲母亲在家") == {"father": DERIVED}
    assert _starts("单亲母亲在家") == {"father": DERIVED}
    assert _starts("单亲不知是谁") == {}
    warnings = _warnings(preview)
    assert set(warnings) == {3, 5}
    assert warnings[3] == ["留守类型为“双亲”，但母亲务工地点为“在家”（按务工地点计为单亲留守）"]
    assert "留守类型为“单亲”，但未说明外出的是父亲还是母亲" in warnings[5][0]
    counts = preview.left_behind
    # A child counts by the least direct rule that made a parent away: the code here.
    assert counts.by_rule["code"] == {"both_parents": 1, "one_parent": 2, "none": 1}
    assert (counts.both_parents, counts.one_parent, counts.none) == (1, 2, 1)


def test_the_xueji_codes_read_as_the_words(world):
    header = ["姓名", "身份证号", "年级", "班级", "父亲务工地点", "是否留守儿童"]
    rows = [header, ["零", an_id(), "三年级", "2班", "广东省东莞市", "0"]]
    preview = _import(world, rows)
    assert _warnings(preview) == {
        2: ["是否留守儿童为“0”，但父亲务工地点为“广东省东莞市”（按务工地点计为单亲留守）"]
    }


# ---------------------------------------------------------------------------- 2016 flags


FLAG_HEADER = [
    "序号",
    "姓名",
    "公民身份号码",
    "年级",
    "班级",
    "父亲姓名",
    "母亲姓名",
    "父母双方同时外出",
    "父母一方外出、另一方无监护能力",
    "无监护能力（父亲/母亲）",
    "父母外出有无委托其他监护人",
]


def _flag_row(n, name, both, one, unable, entrusted="", id_number=None):
    return [
        n,
        name,
        id_number or an_id(),
        "三年级",
        "2班",
        "父",
        "母",
        both,
        one,
        unable,
        entrusted,
    ]


def test_the_2016_flags_make_the_away_periods_and_the_unable_parent(world):
    rows = [
        FLAG_HEADER,
        _flag_row(1, "双方外出", "是", "否", "", "是"),
        _flag_row(2, "母亲无能力", "否", "√", "母亲", "否"),
        _flag_row(3, "未说谁无能力", "0", "1", ""),
        _flag_row(4, "都不是", "否", "否", "无"),
    ]
    preview = _import(world, rows)
    assert preview.rejected == 0, preview.as_json()
    assert _starts("双方外出") == {"father": DERIVED, "mother": DERIVED}
    assert _starts("母亲无能力") == {"father": DERIVED}
    mother = FamilyMember.objects.get(child__name="母亲无能力", relation="mother")
    assert mother.can_guard is False
    assert FamilyMember.objects.get(child__name="母亲无能力", relation="father").can_guard
    assert _starts("未说谁无能力") == {}  # nobody placed: no way to know which parent
    assert _starts("都不是") == {}
    assert all(m.can_guard for m in FamilyMember.objects.filter(child__name="都不是"))
    assert preview.left_behind.by_rule["flags"] == {
        "both_parents": 1,
        "one_parent": 1,
        "none": 2,
    }
    assert _listed(world, ["双方外出", "母亲无能力", "未说谁无能力", "都不是"]) == {
        "both_parents": 1,
        "one_parent": 1,
        "none": 2,
    }
    entrusted = dict(
        Child.objects.filter(name__in=["双方外出", "母亲无能力", "都不是"]).values_list(
            "name", "guardian_entrusted"
        )
    )
    assert entrusted == {"双方外出": True, "母亲无能力": False, "都不是": None}


def test_one_away_and_the_other_unable_marks_the_parent_at_home(world):
    header = [*FLAG_HEADER, "父亲务工地点"]
    rows = [header, [*_flag_row(1, "父亲在外", "否", "是", ""), "北京"]]
    _import(world, rows)
    assert _starts("父亲在外") == {"father": DERIVED}
    assert not FamilyMember.objects.get(child__name="父亲在外", relation="mother").can_guard


def test_an_unreadable_flag_rejects_the_row_naming_its_column(world):
    rows = [FLAG_HEADER, _flag_row(1, "乱写", "也许", "否", "舅舅")]
    preview = _preview(world, rows)
    errors = preview.as_json()["rejected"][0]["errors"]
    assert [(e["column"], e["message"]) for e in errors] == [
        ("父母双方同时外出", "应填写“是”或“否”"),
        ("无监护能力（父亲/母亲）", "应填写“父亲”或“母亲”"),
    ]


def test_a_code_and_a_flag_that_disagree_warn_and_the_one_saying_more_leads(world):
    header = [*FLAG_HEADER, "留守类型"]
    rows = [header, [*_flag_row(1, "标志双亲", "是", "", ""), "单亲"]]
    preview = _import(world, rows)
    assert _starts("标志双亲") == {"father": DERIVED, "mother": DERIVED}
    assert _warnings(preview) == {
        2: ["留守类型为“单亲”，但父母双方同时外出为“是”（按2016登记表标志计为双亲留守）"]
    }


# ---------------------------------------------------------------------------- children on file


def test_the_counts_are_what_the_children_list_says_after_the_commit(world):
    """New children and children on file (their periods on file count, a work place
    saying home does not end one), counted before the commit as the list counts them
    after it."""
    header = [*CODE_HEADER, "父亲外出时间", "兴趣爱好"]
    on_file_both = world.own_child  # both parents away since 2025-02-01, class 1
    on_file_mother = world.mentee  # the mother away since 2025-02-01

    def existing(child, father, mother, code, date, hobby):
        row = _row(0, child.name, father, mother, code=code, d=date, h=hobby)
        row[2], row[3], row[4] = child.id_number, "", child.school_class.name
        return row

    rows = [
        header,
        _row(1, "新双亲", "广东深圳", "浙江杭州", code="", d="", h=""),
        _row(2, "新单亲", "在家", "广东深圳", code="", d="", h=""),
        _row(3, "新非留守", "在家", "在家", code="非留守", d="", h=""),
        _row(4, "新近走", "", "", code="", d="2026-09-01", h=""),
        _row(5, "新代码", "", "", code="双亲", d="", h=""),
        existing(on_file_both, "在家", "", "", "", "篮球"),
        existing(on_file_mother, "广东东莞", "", "", "", ""),
    ]
    preview = _preview(world, rows)
    assert (preview.created, preview.updated, preview.rejected) == (5, 2, 0), preview.as_json()
    names = [
        "新双亲",
        "新单亲",
        "新非留守",
        "新近走",
        "新代码",
        on_file_both.name,
        on_file_mother.name,
    ]
    counts = preview.left_behind
    expected = {"both_parents": counts.both_parents, "one_parent": counts.one_parent}
    expected["none"] = counts.none
    assert expected == {"both_parents": 4, "one_parent": 1, "none": 2}
    # 王子涵: the file says nothing new (a father 在家 does not end his period on file);
    # 曾小雨: her father away by his work place, her mother by her period on file.
    assert counts.by_rule["on_file"]["both_parents"] == 2
    assert counts.by_rule["work_place"]["both_parents"] == 1  # 新双亲
    import_commit(preview=preview, school=world.school, actor=world.user("principal"))
    assert _listed(world, names) == {k: n for k, n in expected.items() if n}


def test_an_unable_parent_on_file_is_marked_unable(world):
    child = world.mentee
    rows = [FLAG_HEADER, _flag_row(1, child.name, "否", "是", "父亲", "有", child.id_number)]
    rows[1][3], rows[1][4] = "", child.school_class.name
    preview = _import(world, rows)
    assert preview.updated == 1
    father = FamilyMember.objects.get(child=child, relation="father")
    assert father.can_guard is False
    child.refresh_from_db()
    assert child.guardian_entrusted is True
    rows[1][-1] = ""  # a blank cell erases nothing
    assert _import(world, rows).unchanged == 1
    child.refresh_from_db()
    assert child.guardian_entrusted is True


# ---------------------------------------------------------------------------- faces


def test_a_row_and_its_warnings_come_back_whole_from_a_helper():
    warning = CellError("left_behind", "", "留守类型为“非留守”，但…")
    row = RowResult(7, "create", [], [], None, (warning,))
    assert pickle.loads(pickle.dumps(row)) == row
    assert pickle.loads(pickle.dumps(RowResult(8, "skip", [], []))).warnings == ()


def test_the_command_prints_the_counts_and_the_warnings(world, tmp_path, capsys):
    path = tmp_path / "花名册.xlsx"
    rows = [CODE_HEADER, _row(1, "甲", "广东省东莞市", "在家", c="非留守"), _row(2, "乙")]
    path.write_bytes(xlsx(rows))
    args = ["import", "children", str(path), "--school", world.school.code]
    assert main([*args, "--json", "--dry-run"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["warnings"] == [
        {
            "row": 2,
            "messages": [
                "留守类型为“非留守”，但父亲务工地点为“广东省东莞市”（按务工地点计为单亲留守）"
            ],
        }
    ]
    assert out["left_behind"]["one_parent"] == 1 and out["left_behind"]["none"] == 1
    assert out["left_behind"]["by_rule"]["work_place"] == {
        "both_parents": 0,
        "one_parent": 1,
        "none": 0,
    }
    assert set(out["left_behind"]["by_rule"]) == {
        "away_since",
        "work_place",
        "code",
        "flags",
        "on_file",
        "none",
    }
    assert main([*args, "--dry-run"]) == 0
    text = capsys.readouterr().out
    assert "双亲留守 0 名，单亲留守 1 名，非留守 1 名" in text
    assert "按务工地点：双亲留守 0，单亲留守 1，非留守 0" in text
    assert "第 2 行：留守类型为“非留守”，但父亲务工地点" in text


def test_the_preview_page_shows_the_counts_and_the_warnings(world, client):
    client.force_login(world.user("principal"))
    rows = [CODE_HEADER, _row(1, "甲", "广东省东莞市", "在家", c="非留守"), _row(2, "乙")]
    upload = SimpleUploadedFile("花名册.xlsx", xlsx(rows))
    response = client.post("/exchange/import/", {"school": world.school.pk, "file": upload})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert 'id="left-behind"' in page and "按务工地点" in page
    assert 'data-count="one_parent">1<' in page and 'data-count="none">1<' in page
    assert '<details class="card mb-3" id="warnings">' in page
    assert "第 2 行：留守类型为“非留守”，但父亲务工地点为“广东省东莞市”" in page
    assert ImportBatch.objects.get().summary["left_behind"]["one_parent"] == 1


def test_the_error_workbook_lists_the_warnings_on_a_sheet_of_their_own(world, client):
    from python_calamine import CalamineWorkbook

    client.force_login(world.user("principal"))
    rows = [
        CODE_HEADER,
        _row(1, "甲", "广东省东莞市", "在家", c="非留守"),
        _row(2, "乙", id_number="123"),  # rejected
    ]
    upload = SimpleUploadedFile("花名册.xlsx", xlsx(rows))
    client.post("/exchange/import/", {"school": world.school.pk, "file": upload})
    batch = ImportBatch.objects.get()
    book = CalamineWorkbook.from_filelike(
        io.BytesIO(client.get(f"/exchange/import/{batch.pk}/errors/").content)
    )
    assert book.sheet_names == ["错误行", "提示"]
    assert book.get_sheet_by_name("提示").to_python() == [
        ["Excel 行号", "提示"],
        [2.0, "留守类型为“非留守”，但父亲务工地点为“广东省东莞市”（按务工地点计为单亲留守）"],
    ]
    assert len(book.get_sheet_by_name("错误行").to_python()) == 2  # the header, row 3


def test_a_code_is_compared_with_the_parents_gone_three_months(world):
    header = [*CODE_HEADER, "父亲外出时间"]
    rows = [
        header,
        _row(1, "刚走非留守", "", "", code="非留守", d="2026-09-01"),
        _row(2, "刚走单亲", "", "", code="单亲", d="2026-09-01"),
        _row(3, "早走非留守", "", "", code="非留守", d="2023-02-01"),
    ]
    preview = _import(world, rows)
    assert _warnings(preview) == {
        3: [
            "留守类型为“单亲”，但父亲外出时间为“2026-09-01”，外出不足三个月（按外出时间计为非留守）"
        ],
        4: ["留守类型为“非留守”，但父亲外出时间为“2023-02-01”（按外出时间计为单亲留守）"],
    }
    assert _starts("刚走单亲") == {"father": dt.date(2026, 9, 1)}  # no second period
    assert preview.left_behind.by_rule["away_since"] == {
        "both_parents": 0,
        "one_parent": 1,
        "none": 2,
    }
    assert _listed(world, ["刚走非留守", "刚走单亲", "早走非留守"]) == {"none": 2, "one_parent": 1}


# ---------------------------------------------------------------------------- ID numbers


def test_an_id_number_worth_a_second_look_is_imported_with_a_warning_naming_its_column(world):
    from carenet.lib.idcard import make_id_number

    header = ["姓名", "公民身份号码", "年级", "班级"]
    rows = [
        header,
        ["旧代码", make_id_number("349999", dt.date(2015, 3, 4), 11, "M"), "三年级", "2班"],
        ["现行代码", make_id_number("340828", dt.date(2015, 3, 4), 13, "M"), "三年级", "2班"],
        ["九九年", make_id_number("340828", dt.date(1999, 12, 31), 15, "M"), "三年级", "2班"],
        ["零零年", make_id_number("340828", dt.date(2000, 1, 1), 17, "M"), "三年级", "2班"],
        ["错号", "34082820150304001X", "三年级", "2班"],
    ]
    preview = _import(world, rows)
    assert (preview.created, preview.rejected) == (4, 1)
    warnings = _warnings(preview)
    assert set(warnings) == {2, 4}
    assert warnings[2] == [
        "公民身份号码：身份证号中的县级代码 349999 不在现行区划代码表中（旧代码也可能有效，请核对）"
    ]
    assert warnings[4][0].startswith("公民身份号码：身份证号显示出生于 1999 年")


# ---------------------------------------------------------------------------- 学籍 table


def test_the_xueji_code_picks_the_parent_whose_work_place_is_away(world):
    """是否留守儿童 1 (单亲) picks the member parent whose 工作单位 names a place away, or
    the one who is not at home (务农); 0 with a 工作单位 away is no disagreement (a 工作单位
    never outweighs the code)."""
    from tests.national_registers import xueji_table
    from tests.test_import_national import _pupil

    def pupil(name, code, *members):
        cells = {}
        for n, (relation, employer) in enumerate(members, 1):
            cells |= {f"成员{n}姓名": name + relation, f"成员{n}关系": relation}
            cells |= {f"成员{n}工作单位": employer, f"成员{n}是否监护人": "0"}
        return _pupil(name, an_id(), 入学年月="202109", 班号="1", 是否留守儿童=code, **cells)

    rows = [
        pupil("甲", "1", ("父亲", "广东省东莞市长安镇某电子厂"), ("母亲", "")),
        pupil("乙", "1", ("母亲", "务农"), ("父亲", "")),
        pupil("丙", "0", ("父亲", "广东省东莞市长安镇某电子厂")),
        pupil("丁", "2", ("父亲", ""), ("母亲", "")),
    ]
    preview = import_preview(data=xueji_table(rows), filename="学籍.xlsx", school=world.school)
    assert preview.rejected == 0, preview.as_json()
    import_commit(preview=preview, school=world.school, actor=world.user("principal"))
    assert _starts("甲") == {"father": DERIVED}
    assert _starts("乙") == {"father": DERIVED}
    assert _starts("丙") == {}
    assert _starts("丁") == {"father": DERIVED, "mother": DERIVED}
    assert _warnings(preview) == {}
    assert preview.left_behind.by_rule["code"] == {"both_parents": 1, "one_parent": 2, "none": 1}
