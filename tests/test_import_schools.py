"""``carenet import schools``: a county's school list read as bureaus keep it, every bad row
reported by its Excel row, idempotent by 学校标识码, exit codes 0/2/3 and --json."""

from __future__ import annotations

import json

import pytest

from carenet.audit.models import AccessLog
from carenet.cli import main
from carenet.exchange.schools import RegisterError, schools_commit, schools_preview
from carenet.orgs.models import Org, OrgKind
from tests.factories import org_add
from tests.import_files import csv_bytes, xlsx

pytestmark = pytest.mark.django_db

HEADER = ["序号", "学校名称", "学校标识码", "所在乡镇", "办学类型", "一年级", "二年级", "三年级"]


def _school(code):
    return Org.objects.get(code=code, kind=OrgKind.SCHOOL)


def _classes(school):
    return list(
        Org.objects.filter(path__startswith=school.path, kind=OrgKind.CLASS)
        .order_by("path")
        .values_list("name", flat=True)
    )


def _import(world, data, filename="学校名单.xlsx", commit=True):
    preview = schools_preview(data=data, filename=filename, county=world.county)
    if commit:
        schools_commit(preview=preview)
    return preview


def _file(tmp_path, data, name="学校名单.xlsx"):
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_a_list_with_title_rows_creates_schools_grades_and_classes(world):
    rows = [
        ["望江县中小学校名单"],
        ["填报单位：望江县教育局", "", "", "填报日期：2026年9月1日"],
        HEADER,
        [1, "华阳镇中心小学", "3434001001", "华阳镇", "小学", 2, 1, ""],
        [2, "长岭初级中学", 3434001002.0, "340827101", "初中", "", "", ""],
        [],
        ["填表人：王老师"],
    ]
    preview = _import(world, xlsx(rows))
    assert preview.as_json() == {
        "created": 2,
        "updated": 0,
        "skipped": 2,
        "rejected": [],
        "warnings": [],
    }
    school = _school("3434001001")
    assert school.name == "华阳镇中心小学" and school.stage == "primary"
    assert Org.objects.get_parent(school) == world.township
    assert _classes(school) == ["一(1)班", "一(2)班", "二(1)班"]
    grade = Org.objects.get(code="3434001001-G1")
    assert (grade.name, grade.level, grade.kind) == ("一年级", 1, OrgKind.GRADE)
    assert Org.objects.filter(code="3434001001-G1-2", name="一(2)班").exists()
    middle = _school("3434001002")
    assert Org.objects.get_parent(middle) == world.other_township and middle.stage == "middle"
    assert _classes(middle) == []


def test_synonyms_and_one_class_count_column_for_every_grade(world):
    rows = [
        ["学校全称", "学校代码", "乡镇", "学段", "班级数"],
        ["长岭中学分校", "3434001003", "长岭", "初级中学", 2],
    ]
    assert _import(world, xlsx(rows)).created == 1
    assert _classes(_school("3434001003")) == [
        "七(1)班",
        "七(2)班",
        "八(1)班",
        "八(2)班",
        "九(1)班",
        "九(2)班",
    ]


def test_a_merged_class_count_header_over_the_grades(world):
    rows = [
        ["学校名称", "学校标识码", "所在乡镇", "办学类型", "班级数", None],
        [None, None, None, None, "1年级", "2年级"],
        ["华阳二小", "3434001004", "华阳镇", "小学", 1, 3],
    ]
    merges = [
        (0, 0, 1, 0, "学校名称"),
        (0, 1, 1, 1, "学校标识码"),
        (0, 2, 1, 2, "所在乡镇"),
        (0, 3, 1, 3, "办学类型"),
        (0, 4, 0, 5, "班级数"),
    ]
    preview = _import(world, xlsx(rows, merges=merges))
    assert preview.header_rows[-1] == 2 and preview.created == 1
    assert _classes(_school("3434001004")) == ["一(1)班", "二(1)班", "二(2)班", "二(3)班"]


def test_a_gbk_csv_is_read(world):
    rows = [
        ["学校名称", "学校标识码", "所在乡镇", "办学类型"],
        ["华阳镇教学点", "3434001005", "华阳镇", ""],
    ]
    preview = _import(world, csv_bytes(rows, encoding="gbk"), filename="名单.csv")
    assert preview.created == 1
    assert _school("3434001005").stage == "teaching_point"  # from the name


def test_bad_rows_are_rejected_by_excel_row_naming_the_column(world):
    rows = [
        ["学校名单"],
        HEADER,
        [1, "甲小学", "343400100", "华阳镇", "小学"],
        [2, "乙小学", "3434001006", "不存在镇", "小学"],
        [3, "丙小学", "3434001007", "华阳镇", "职业高中"],
        [4, "丁小学", "3434001008", "华阳镇", "小学"],
        [5, "戊小学", "3434001008", "华阳镇", "小学"],
        [6, "己小学", "3434001009", "华阳镇", "小学", "两"],
    ]
    preview = _import(world, xlsx(rows))
    rejected = {r["row"]: r["errors"] for r in preview.as_json()["rejected"]}
    assert set(rejected) == {3, 4, 5, 7, 8}
    assert rejected[3] == [
        {"field": "code", "column": "学校标识码", "message": "学校标识码应为 10 位数字：343400100"}
    ]
    assert rejected[4][0]["column"] == "所在乡镇" and "不存在镇" in rejected[4][0]["message"]
    assert rejected[5][0]["field"] == "stage"
    assert "小学、初中、九年一贯制、完全中学、教学点、幼儿园" in rejected[5][0]["message"]
    assert rejected[7][0]["message"] == "学校标识码与第 6 行重复"
    assert rejected[8][0]["column"] == "一年级"
    assert preview.created == 1
    assert set(Org.objects.filter(code__startswith="343400100").values_list("code", flat=True)) >= {
        "3434001008"
    }
    assert not Org.objects.filter(code__in=["3434001006", "3434001007", "3434001009"]).exists()


def test_a_school_code_of_another_county_is_rejected(world):
    other = org_add(None, code="340828", name="别县", kind=OrgKind.COUNTY)
    township = org_add(other, code="340828100", name="别镇", kind=OrgKind.TOWNSHIP)
    org_add(township, code="3434009999", name="别校", kind=OrgKind.SCHOOL)
    rows = [HEADER[1:5], ["别校", "3434009999", "华阳镇", "小学"]]
    preview = _import(world, xlsx(rows))
    assert preview.rejected == 1
    assert _school("3434009999").county_code == "340828"


def test_the_same_file_twice_creates_nothing_and_a_changed_row_updates(world):
    rows = [HEADER, [1, "华阳镇中心小学", "3434001001", "华阳镇", "小学", 2, 1, ""]]
    _import(world, xlsx(rows))
    again = _import(world, xlsx(rows))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    assert len(_classes(_school("3434001001"))) == 3
    rows[1] = [1, "华阳镇第一小学", "3434001001", "长岭镇", "九年一贯制", 1, 3, ""]
    changed = _import(world, xlsx(rows))
    assert (changed.created, changed.updated) == (0, 1)
    school = _school("3434001001")
    assert school.name == "华阳镇第一小学" and school.stage == "nine_year"
    assert Org.objects.get_parent(school) == world.other_township
    # Classes are only ever added: 一年级 keeps its two classes, 二年级 gets three.
    assert _classes(school) == ["一(1)班", "一(2)班", "二(1)班", "二(2)班", "二(3)班"]


def test_an_existing_school_keeps_its_children_when_the_list_moves_it(world):
    rows = [HEADER[1:5], ["华阳小学", world.school.code, "长岭镇", "小学"]]
    preview = _import(world, xlsx(rows))
    assert preview.updated == 1
    world.own_child.refresh_from_db()
    assert world.own_child.school_id == world.school.pk
    school = _school(world.school.code)
    assert Org.objects.get_parent(school) == world.other_township
    assert Org.objects.get(pk=world.class_1.pk).path.startswith(school.path)


def test_a_file_without_a_school_header_fails_as_a_whole(world):
    with pytest.raises(RegisterError):
        _import(world, xlsx([["姓名", "身份证号"], ["张三", "1"]]))
    with pytest.raises(RegisterError):
        _import(world, b"not a spreadsheet at all \x00\x01", filename="x.xlsx")


# ---------------------------------------------------------------------------- command line


def test_the_command_prints_the_contract_json_and_exits_0(world, tmp_path, capsys):
    rows = [HEADER, [1, "华阳镇中心小学", "3434001001", "华阳镇", "小学", 1, "", ""]]
    path = _file(tmp_path, xlsx(rows))
    assert main(["import", "schools", path, "--county", "340827", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "created": 1,
        "updated": 0,
        "skipped": 0,
        "rejected": [],
        "warnings": [],
    }
    assert AccessLog.objects.filter(action="org_change").count() == 1
    assert main(["import", "schools", path, "--county", "340827", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["created"] == 0


def test_rejected_rows_exit_3_after_importing_the_good_rows(world, tmp_path, capsys):
    rows = [
        ["标题"],
        HEADER,
        [1, "好小学", "3434001001", "华阳镇", "小学"],
        [2, "坏小学", "12", "华阳镇", "小学"],
    ]
    path = _file(tmp_path, xlsx(rows))
    assert main(["import", "schools", path, "--county", "340827", "--json"]) == 3
    out = json.loads(capsys.readouterr().out)
    assert out["created"] == 1
    assert out["rejected"][0]["row"] == 4
    assert out["rejected"][0]["errors"][0]["column"] == "学校标识码"
    assert Org.objects.filter(code="3434001001").exists()


def test_a_dry_run_writes_nothing(world, tmp_path, capsys):
    rows = [HEADER, [1, "华阳镇中心小学", "3434001001", "华阳镇", "小学", 2, "", ""]]
    path = _file(tmp_path, xlsx(rows))
    before = Org.objects.count()
    assert main(["import", "schools", path, "--county", "340827", "--dry-run"]) == 0
    assert "将新建 1 所学校" in capsys.readouterr().out
    assert Org.objects.count() == before
    assert not AccessLog.objects.filter(action="org_change").exists()


def test_a_bad_file_or_an_unknown_county_exits_2_with_one_line(world, tmp_path, capsys):
    bad = _file(tmp_path, b"\x00\x01garbage", name="x.csv")
    before = Org.objects.count()
    assert main(["import", "schools", bad, "--county", "340827"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    rows = [HEADER, [1, "华阳镇中心小学", "3434001001", "华阳镇", "小学"]]
    good = _file(tmp_path, xlsx(rows))
    assert main(["import", "schools", good, "--county", "999999"]) == 2
    assert "999999" in capsys.readouterr().err
    assert main(["import", "schools", str(tmp_path / "missing.xlsx"), "--county", "340827"]) == 2
    capsys.readouterr()
    assert Org.objects.count() == before
