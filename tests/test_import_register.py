"""The register importer: real shapes of registers, validation by Excel row, upserts."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from python_calamine import CalamineWorkbook

from carenet.children.models import AwayPeriod, Child, FamilyMember
from carenet.exchange import importer
from carenet.exchange.importer import (
    RegisterError,
    error_workbook,
    import_commit,
    import_preview,
    parse_date,
    placement,
    split_work_place,
)
from carenet.exchange.importer.writer import RawWriter
from carenet.exchange.models import ImportBatch, ImportStatus
from carenet.orgs.models import Org, OrgKind
from tests.import_files import SIMPLE_HEADER, an_id, csv_bytes, simple_row, xlsx


def _import(world, data: bytes, filename: str = "花名册.xlsx"):
    preview = import_preview(data=data, filename=filename, school=world.school)
    batch = import_commit(preview=preview, school=world.school, actor=world.user("principal"))
    return preview, batch


def _children_of(world):
    return Child.objects.filter(school=world.school)


def test_a_register_with_title_lines_imports_its_children_and_families(world):
    ids = [an_id(), an_id(gender="F", birth=dt.date(2014, 9, 1))]
    rows = [
        ["华阳小学留守儿童花名册"],
        ["填报单位：华阳小学", None, None, "填报日期：2025年9月"],
        SIMPLE_HEADER,
        simple_row(1, " 张 三　", ids[0]),
        simple_row(2, "买买提·艾力", ids[1], 性别="女", 出生日期="2014年9月1日"),
    ]
    preview, batch = _import(world, xlsx(rows))
    assert preview.header_rows == [3]
    assert (preview.created, preview.updated, preview.rejected, preview.skipped) == (2, 0, 0, 0)
    child = Child.objects.get(name="张三")
    assert child.school == world.school and child.school_class.name == "三(2)班"
    assert child.school_class.get_parent().name == "三年级"
    father = child.family.get(relation="father")
    assert (father.name, father.phone) == ("王大山", "13812345678")
    guardian = child.family.get(relation="guardian")
    assert (guardian.kinship, guardian.phone) == ("祖母", "0556-1234567")
    assert child.away_periods.get().start == dt.date(2023, 2, 1)
    assert Child.objects.filter(name="买买提·艾力", gender="F").exists()
    assert batch.status == ImportStatus.COMPLETE and batch.created == 2
    assert child.history.first().history_change_reason.startswith("花名册导入")


def test_a_two_level_merged_header_maps_the_parent_columns(world):
    child_id = an_id()
    header_top = ["序号", "学生姓名", "公民身份号码", "班级", "父亲", None, None, "母亲", None]
    header_sub = [None, None, None, None, "姓名", "联系电话", "务工地点", "姓名", "手机号"]
    merges = [
        (1, 0, 2, 0, "序号"),
        (1, 1, 2, 1, "学生姓名"),
        (1, 2, 2, 2, "公民身份号码"),
        (1, 3, 2, 3, "班级"),
        (1, 4, 1, 6, "父亲"),
        (1, 7, 1, 8, "母亲"),
    ]
    rows = [
        ["望江县留守儿童登记表"],
        header_top,
        header_sub,
        [
            1,
            "刘洋",
            child_id,
            "一(1)班",
            "刘强",
            13912345678.0,
            "广东省深圳市",
            "陈芳",
            "13712345678",
        ],
    ]
    preview, _batch = _import(world, xlsx(rows, merges=merges))
    assert preview.header_rows == [2, 3]
    assert preview.columns[5] == "father.phone" and preview.columns[8] == "mother.phone"
    assert preview.rejected == 0, preview.as_json()
    child = Child.objects.get(name="刘洋")
    assert child.school_class == world.class_1
    father = child.family.get(relation="father")
    assert (father.phone, father.work_province, father.work_city) == (
        "13912345678",
        "广东省",
        "深圳市",
    )
    assert child.family.get(relation="mother").phone == "13712345678"


def test_headers_with_synonyms_spaces_and_line_breaks_in_any_order(world):
    child_id = an_id(birth=dt.date(2016, 1, 2), gender="F")
    rows = [
        ["备注", "儿童姓名", "公民身份\n号码", " 出生年月 ", "性 别", "班级", "是否住校", "年级"],
        ["爱画画", "周敏", f" {child_id.lower()} ", "2016.01", "女", "1班", "是", "二年级"],
    ]
    preview, _ = _import(world, xlsx(rows))
    assert preview.rejected == 0, preview.as_json()
    child = Child.objects.get(name="周敏")
    assert child.boarding and child.notes == "爱画画" and child.school_class == world.class_2


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2015-3-4", dt.date(2015, 3, 4)),
        ("2015/3/4", dt.date(2015, 3, 4)),
        ("2015.03.04", dt.date(2015, 3, 4)),
        ("2015年3月4日", dt.date(2015, 3, 4)),
        ("20150304", dt.date(2015, 3, 4)),
        ("２０１５－０３－０４", dt.date(2015, 3, 4)),
        ("2015-03-04 00:00:00", dt.date(2015, 3, 4)),
        (42067.0, dt.date(2015, 3, 4)),
        (dt.date(2015, 3, 4), dt.date(2015, 3, 4)),
    ],
)
def test_every_common_date_spelling_is_read(text, expected):
    assert parse_date(text)[0] == expected


def test_work_places_are_split_into_province_and_city():
    assert split_work_place("广东省深圳市") == ("广东省", "深圳市")
    assert split_work_place("浙江省/杭州市") == ("浙江省", "杭州市")
    assert split_work_place("广东 东莞") == ("广东省", "东莞")
    assert split_work_place("上海") == ("上海市", "上海市")
    assert split_work_place("外地") == ("", "外地")


def test_grades_and_classes_are_read_in_their_usual_spellings():
    assert placement("三年级", "2班") == ("三年级", "三(2)班")
    assert placement("3", "（2）班") == ("三年级", "三(2)班")
    assert placement("", "三(2)班") == ("三年级", "三(2)班")
    assert placement("初一", "3") == ("七年级", "七(3)班")
    assert placement("", "") is None


def test_exactly_the_bad_rows_are_rejected_by_excel_row_with_column_and_message(world):
    good = an_id()
    wrong_check = an_id()
    wrong_check = wrong_check[:17] + ("0" if wrong_check[17] != "0" else "1")
    female = an_id(gender="F")
    duplicate = an_id()
    rows = [
        ["某某小学花名册"],
        SIMPLE_HEADER,
        simple_row(1, "甲", good),  # row 3
        simple_row(2, "乙", wrong_check),  # row 4
        simple_row(3, "丙", female, 性别="男"),  # row 5: gender does not match
        simple_row(4, "丁", an_id(), 出生日期="2015-03-05"),  # row 6
        simple_row(5, "戊", an_id(), 父亲联系电话="12345"),  # row 7
        simple_row(6, "己", duplicate),  # row 8
        simple_row(7, "庚", duplicate),  # row 9: same ID again
        simple_row(8, "辛", 340827201503041234.0),  # row 10: an ID stored as a number
        [None] * len(SIMPLE_HEADER),  # row 11: blank
        simple_row(9, "壬", an_id()),  # row 12
        ["填表人：王老师", None, "审核人：李校长"],  # row 13: footer
        ["注：本表一式两份"],  # row 14
    ]
    preview, _ = _import(world, xlsx(rows))
    rejected = {r["row"]: r["errors"] for r in preview.as_json()["rejected"]}
    assert sorted(rejected) == [4, 5, 6, 7, 9, 10]
    assert rejected[4] == [
        {"field": "id_number", "column": "身份证号", "message": "身份证号校验位错误"}
    ]
    assert rejected[5][0]["field"] == "gender" and "身份证号不符" in rejected[5][0]["message"]
    assert rejected[6][0]["column"] == "出生日期"
    assert rejected[7][0]["column"] == "父亲联系电话" and "电话" in rejected[7][0]["message"]
    assert "第 8 行重复" in rejected[9][0]["message"]
    assert "存成了数字" in rejected[10][0]["message"]
    assert preview.as_json()["created"] == 3 and preview.skipped == 3
    assert set(_children_of(world).filter(name__in="甲己壬戊").values_list("name", flat=True)) == {
        "甲",
        "己",
        "壬",
    }


def test_importing_the_same_file_twice_changes_nothing_the_second_time(world):
    rows = [SIMPLE_HEADER] + [simple_row(n, f"学生{n}", an_id()) for n in range(1, 6)]
    rows[3] = simple_row(3, "学生3", rows[3][4], 留守类型="双亲")
    data = xlsx(rows)
    _import(world, data)
    counts = (
        Child.objects.count(),
        FamilyMember.objects.count(),
        AwayPeriod.objects.count(),
        Child.history.count(),
        FamilyMember.history.count(),
    )
    stamps = list(Child.objects.order_by("pk").values_list("updated_at", flat=True))
    preview, batch = _import(world, data)
    assert preview.as_json() == {"created": 0, "updated": 0, "skipped": 0, "rejected": []}
    assert preview.unchanged == 5
    assert counts == (
        Child.objects.count(),
        FamilyMember.objects.count(),
        AwayPeriod.objects.count(),
        Child.history.count(),
        FamilyMember.history.count(),
    )
    assert stamps == list(Child.objects.order_by("pk").values_list("updated_at", flat=True))
    assert ImportBatch.objects.count() == 2 and batch.created == 0


def test_an_id_on_file_updates_that_child_and_blank_cells_erase_nothing(world):
    child = world.school_child
    rows = [
        ["姓名", "身份证号", "兴趣爱好", "父亲联系电话", "父亲外出时间", "健康状况"],
        ["李明", child.id_number, "篮球", "13600000000", "2024-03-01", ""],
    ]
    preview, _ = _import(world, xlsx(rows))
    assert (preview.created, preview.updated) == (0, 1)
    child.refresh_from_db()
    assert child.interests == "篮球" and child.school_class == world.class_2
    assert child.family.get(relation="father").phone == "13600000000"
    assert child.away_periods.get(relation="father").start == dt.date(2024, 3, 1)
    assert Child.objects.filter(id_number_hash=child.id_number_hash).count() == 1
    assert child.history.first().history_change_reason.startswith("花名册导入")


def test_left_behind_type_without_dates_opens_away_periods_from_the_school_year(world):
    rows = [SIMPLE_HEADER + ["留守类型（单亲/双亲）"]]
    rows.append(simple_row(1, "双亲娃", an_id(), 父亲外出时间="") + ["双亲"])
    _import(world, xlsx(rows))
    child = Child.objects.get(name="双亲娃")
    starts = {p.relation: p.start for p in child.away_periods.all()}
    assert set(starts) == {"father", "mother"}
    assert starts["father"] == starts["mother"] == importer.derived_away_start(dt.date.today())
    assert starts["father"].day == 1


def test_a_file_that_is_not_a_register_is_refused_whole(world):
    before = Child.objects.count()
    with pytest.raises(RegisterError, match="找不到"):
        import_preview(
            data=xlsx([["月份", "收入"], ["一月", 12.0]]), filename="账.xlsx", school=world.school
        )
    with pytest.raises(RegisterError):
        import_preview(data=b"%PDF-1.4 not a sheet", filename="x.pdf", school=world.school)
    with pytest.raises(RegisterError):
        import_preview(data=b"PK\x03\x04broken", filename="x.xlsx", school=world.school)
    with pytest.raises(RegisterError, match="空"):
        import_preview(data=b"", filename="x.csv", school=world.school)
    assert Child.objects.count() == before


def test_a_failure_in_the_middle_of_the_commit_writes_nothing(world):
    rows = [SIMPLE_HEADER] + [simple_row(n, f"学生{n}", an_id()) for n in range(1, 6)]
    preview = import_preview(data=xlsx(rows), filename="a.xlsx", school=world.school)
    before = (Child.objects.count(), FamilyMember.objects.count(), Org.objects.count())
    # The children are written, then copying their history fails.
    failure = mock.patch.object(RawWriter, "copy_history", side_effect=RuntimeError("disk full"))
    with failure, pytest.raises(RuntimeError):
        import_commit(preview=preview, school=world.school, actor=None)
    assert before == (Child.objects.count(), FamilyMember.objects.count(), Org.objects.count())
    assert not ImportBatch.objects.exists()


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gbk"])
def test_csv_registers_in_utf8_with_or_without_bom_and_gbk(world, encoding):
    child_id = an_id()
    rows = [SIMPLE_HEADER, simple_row(1, "陈晨", child_id, 父亲联系电话="１３８ １２３４ ５６７８")]
    preview, _ = _import(world, csv_bytes(rows, encoding), filename="名册.csv")
    assert preview.rejected == 0, preview.as_json()
    assert Child.objects.get(name="陈晨").family.get(relation="father").phone == "13812345678"


def test_values_map_to_the_childs_choices(world):
    header = [
        "姓名",
        "身份证号",
        "班级",
        "年级",
        "是否寄宿",
        "健康状况",
        "就学情况",
        "计划免疫接种",
    ]
    header += [
        "特殊类别",
        "现居住地（乡镇/村/组）",
        "民族",
        "监护人文化程度",
        "监护类型",
        "监护人年龄",
    ]
    row = ["赵六", an_id(), "1", "一年级", "否", "慢性病", "在读", "已全程接种"]
    row += ["特困、单亲", "华阳镇/红星村/三组", "回", "初中", "一般", 63.0]
    _import(world, xlsx([header, row]))
    child = Child.objects.get(name="赵六")
    assert (child.health, child.schooling, child.immunization) == (
        "chronic",
        "enrolled",
        "complete",
    )
    assert child.categories == ",poor,single_parent,"
    assert (child.village, child.residence_group) == (world.village, "三组")
    assert child.ethnicity == "回族" and not child.boarding
    guardian = child.family.get(relation="guardian")
    assert (guardian.education, guardian.guardianship_quality, guardian.age) == (
        "junior",
        "fair",
        63,
    )


def test_a_child_of_another_school_is_not_taken_over(world):
    rows = [["姓名", "身份证号", "班级"], ["赵强", world.outsider.id_number, "一(1)班"]]
    preview, _ = _import(world, xlsx(rows))
    assert preview.as_json()["rejected"][0]["errors"][0]["field"] == "id_number"
    world.outsider.refresh_from_db()
    assert world.outsider.school == world.other_school


def test_a_new_child_without_a_class_is_rejected(world):
    preview, _ = _import(world, xlsx([["姓名", "身份证号"], ["无班级", an_id()]]))
    assert preview.as_json()["rejected"][0]["errors"][0]["column"] == "班级"


def test_new_grades_and_classes_are_created_under_the_school(world):
    rows = [SIMPLE_HEADER, simple_row(1, "新生", an_id(), 年级="五年级", 班级="3班")]
    _import(world, xlsx(rows))
    school_class = Child.objects.get(name="新生").school_class
    assert school_class.kind == OrgKind.CLASS and school_class.name == "五(3)班"
    assert school_class.get_parent().get_parent() == world.school


def test_the_error_workbook_holds_the_header_and_rejected_rows_with_reasons(world):
    rows = [["标题"], SIMPLE_HEADER, simple_row(1, "好", an_id()), simple_row(2, "", an_id())]
    preview = import_preview(data=xlsx(rows), filename="a.xlsx", school=world.school)
    book = CalamineWorkbook.from_filelike(__import__("io").BytesIO(error_workbook(preview)))
    sheet = book.get_sheet_by_index(0).to_python()
    assert sheet[0][: len(SIMPLE_HEADER)] == SIMPLE_HEADER and sheet[0][-1] == "错误原因"
    assert len(sheet) == 2 and "第4行 姓名：姓名不能为空" in sheet[1][-1]


def test_every_created_and_updated_row_has_its_history_row(world):
    """The bulk write (raw executemany / COPY) keeps django-simple-history's rows: one per
    created ('+') and changed ('~') child and family member, with the user, the file as
    the reason, and the values as stored (encrypted fields open)."""
    principal = world.user("principal")
    number = an_id()
    _import(world, xlsx([SIMPLE_HEADER, simple_row(1, "张三", number)]))
    child = Child.objects.get(name="张三")
    created = child.history.get()
    assert (created.history_type, created.history_user_id) == ("+", principal.pk)
    assert created.id_number == number and created.name == "张三"
    assert created.history_date == child.created_at
    assert created.history_change_reason == "花名册导入：花名册.xlsx"
    father = child.family.get(relation="father")
    member = father.history.get()
    assert (member.history_type, member.phone, member.id) == ("+", "13812345678", father.pk)
    assert child.family.count() == FamilyMember.history.filter(child_id=child.pk).count() == 2

    changed = simple_row(1, "张三丰", number, 父亲联系电话="13900000000")
    preview, _ = _import(world, xlsx([SIMPLE_HEADER, changed]))
    assert preview.updated == 1
    child.refresh_from_db()
    assert (child.name, child.name_pinyin) == ("张三丰", "zhangsanfeng")
    latest = child.history.first()
    assert (latest.history_type, latest.name, latest.id_number) == ("~", "张三丰", number)
    assert child.history.count() == 2
    father.refresh_from_db()
    assert father.phone == "13900000000"
    assert father.history.first().history_type == "~"
    assert father.history.first().phone == "13900000000" and father.history.count() == 2
    assert child.family.get(relation="guardian").history.count() == 1  # unchanged
