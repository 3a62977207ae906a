"""``carenet import staff``: a county's staff sheet with schools, roles and classes."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import User

from carenet.accounts.models import Person
from carenet.audit.models import AccessAction, AccessLog
from carenet.cli import main
from carenet.orgs.models import Membership, Role
from tests.import_files import csv_bytes, xlsx

pytestmark = pytest.mark.django_db

HEADER = ["序号", "姓名", "手机号", "学校", "乡镇", "村", "角色", "任教班级", "班主任"]


def _sheet(tmp_path, rows, name="人员名单.xlsx", title=True):
    path = tmp_path / name
    lines = ([["望江县关爱留守儿童工作人员名单"]] if title else []) + [HEADER, *rows]
    path.write_bytes(xlsx(lines) if name.endswith(".xlsx") else csv_bytes(lines))
    return str(path)


def _run(path, *extra):
    return main(["import", "staff", path, "--county", "340827", *extra])


def _good_rows():
    return [
        [1, "赵老师", "13900000001", "华阳小学", "", "", "教师", "一(1)班、二(1)班", "一(1)班"],
        [2, "钱校长", "13900000002", "3434000001", "", "", "校长", "", ""],
        [3, "孙主任", "13900000003", "", "华阳镇", "红星村", "村儿童主任", "", ""],
        [4, "李督导", "13900000004", "", "340827101", "", "乡镇儿童督导员", "", ""],
        [5, "周心理", "139 0000 0005", "长岭中学", "", "", "心理辅导教师", "", ""],
        [],
        ["填表人：王五"],
    ]


def _user(name):
    return Person.objects.get(name=name).user


def _roles(user):
    return set(Membership.objects.filter(user=user).values_list("org__name", "role", "title"))


def test_a_clean_sheet_creates_people_with_roles_classes_and_activation_codes(
    world, tmp_path, capsys
):
    assert _run(_sheet(tmp_path, _good_rows()), "--json") == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["created"], out["updated"], out["skipped"], out["rejected"]) == (5, 0, 2, [])
    assert [a["name"] for a in out["activations"]] == [
        "赵老师",
        "钱校长",
        "孙主任",
        "李督导",
        "周心理",
    ]
    assert out["activations"][0]["username"] == "zhaolaoshi"
    assert all(len(a["code"]) == 8 for a in out["activations"])
    teacher = _user("赵老师")
    assert _roles(teacher) == {
        ("一(1)班", Role.TEACHER, "班主任"),
        ("二(1)班", Role.TEACHER, "任课教师"),
        ("华阳小学", Role.TEACHER, ""),
    }
    assert _roles(_user("钱校长")) == {("华阳小学", Role.PRINCIPAL, "")}
    assert _roles(_user("孙主任")) == {("红星村", Role.VILLAGE_DIRECTOR, "")}
    assert _roles(_user("李督导")) == {("长岭镇", Role.TOWNSHIP_SUPERVISOR, "")}
    assert _roles(_user("周心理")) == {("长岭中学", Role.COUNSELOR, "")}
    assert Person.objects.get(name="周心理").phone == "13900000005"
    assert not teacher.has_usable_password()
    assert AccessLog.objects.filter(action=AccessAction.STAFF_IMPORT).count() == 1


def test_role_and_column_synonyms_are_understood(world, tmp_path, capsys):
    header = ["教师姓名", "联系电话", "学校名称", "职务", "任课班级", "担任班主任"]
    rows = [
        header,
        ["吴副校", "13900000011", "华阳小学", "副校长、任课教师", "二(1)班", "否"],
        ["郑班", "13900000012", "华阳小学", "班主任", "一年级1班", "是"],
        ["王心", "13900000013", "华阳小学", "心理老师", "", ""],
        ["冯县", "13900000014", "", "县教育局", "", ""],
    ]
    path = tmp_path / "名单.csv"
    path.write_bytes(csv_bytes(rows))
    assert _run(str(path), "--json") == 0
    assert json.loads(capsys.readouterr().out)["created"] == 4
    assert _roles(_user("吴副校")) == {
        ("华阳小学", Role.SCHOOL_ADMIN, ""),
        ("华阳小学", Role.TEACHER, ""),
        ("二(1)班", Role.TEACHER, "任课教师"),
    }
    assert ("一(1)班", Role.TEACHER, "班主任") in _roles(_user("郑班"))
    assert _roles(_user("王心")) == {("华阳小学", Role.COUNSELOR, "")}
    assert _roles(_user("冯县")) == {("望江县", Role.COUNTY_ADMIN, "")}


def test_bad_rows_are_rejected_by_excel_row_with_the_column_and_exit_3(world, tmp_path, capsys):
    rows = [
        [1, "好人", "13900000021", "华阳小学", "", "", "教师", "", ""],
        [2, "甲", "13900000022", "不存在小学", "", "", "教师", "", ""],
        [3, "乙", "13900000023", "华阳小学", "", "", "校工", "", ""],
        [4, "丙", "12345", "华阳小学", "", "", "教师", "", ""],
        [5, "丁", "13900000025", "华阳小学", "", "", "教师", "七(1)班", ""],
    ]
    assert _run(_sheet(tmp_path, rows), "--json") == 3
    out = json.loads(capsys.readouterr().out)
    assert out["created"] == 1 and [a["name"] for a in out["activations"]] == ["好人"]
    errors = {r["row"]: r["errors"][0] for r in out["rejected"]}
    assert set(errors) == {4, 5, 6, 7}
    assert errors[4] == {
        "field": "school",
        "column": "学校",
        "message": "本县找不到学校“不存在小学”（请填写名称或代码）",
    }
    assert errors[5]["column"] == "角色" and "无法识别的角色“校工”" in errors[5]["message"]
    assert errors[6]["column"] == "手机号" and "电话号码格式不正确" in errors[6]["message"]
    assert errors[7] == {
        "field": "classes",
        "column": "任教班级",
        "message": "华阳小学没有班级“七(1)班”",
    }
    assert not Person.objects.filter(name__in=["甲", "乙", "丙", "丁"]).exists()


def test_a_file_that_is_not_a_staff_sheet_exits_2_and_changes_nothing(world, tmp_path, capsys):
    bad = tmp_path / "x.xlsx"
    bad.write_bytes(b"not a spreadsheet")
    assert _run(str(bad)) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    no_header = tmp_path / "y.csv"
    no_header.write_bytes(csv_bytes([["姓名", "性别"], ["甲", "男"]]))
    assert _run(str(no_header)) == 2
    assert "找不到表头" in capsys.readouterr().err
    assert main(["import", "staff", str(no_header), "--county", "999999"]) == 2
    assert "no county" in capsys.readouterr().err
    assert not Person.objects.exists()


def test_a_second_import_creates_nobody_and_adds_only_missing_memberships(world, tmp_path, capsys):
    path = _sheet(tmp_path, _good_rows())
    assert _run(path, "--json") == 0
    capsys.readouterr()
    users, memberships = User.objects.count(), Membership.objects.count()
    assert _run(path, "--json") == 0
    again = json.loads(capsys.readouterr().out)
    assert (again["created"], again["updated"], again["activations"]) == (0, 0, [])
    assert (User.objects.count(), Membership.objects.count()) == (users, memberships)
    rows = [[1, "赵老师", "139-0000-0001", "华阳小学", "", "", "心理辅导教师", "", ""]]
    assert _run(_sheet(tmp_path, rows, name="more.xlsx"), "--json") == 0
    more = json.loads(capsys.readouterr().out)
    assert (more["created"], more["updated"]) == (0, 1)
    assert User.objects.count() == users
    assert ("华阳小学", Role.COUNSELOR, "") in _roles(_user("赵老师"))


def test_a_dry_run_writes_nothing_and_shows_no_codes(world, tmp_path, capsys):
    assert _run(_sheet(tmp_path, _good_rows()), "--dry-run") == 0
    out = capsys.readouterr().out
    assert "将新建 5 人" in out and "试运行" in out and "激活码" not in out
    assert not Person.objects.exists()


def test_without_json_a_table_of_activation_codes_is_printed(world, tmp_path, capsys):
    assert _run(_sheet(tmp_path, _good_rows()[:1])) == 0
    out = capsys.readouterr().out
    assert "已新建 1 人" in out and "zhaolaoshi" in out and "激活码" in out


def test_one_phone_on_two_rows_is_one_person(world, tmp_path, capsys):
    rows = [
        [1, "赵老师", "13900000001", "华阳小学", "", "", "教师", "", ""],
        [2, "赵老师", "13900000001", "", "华阳镇", "红星村", "村儿童主任", "", ""],
        [3, "别人", "13900000001", "华阳小学", "", "", "教师", "", ""],
    ]
    assert _run(_sheet(tmp_path, rows), "--json") == 3
    out = json.loads(capsys.readouterr().out)
    assert (out["created"], out["updated"]) == (1, 1)
    assert out["rejected"][0]["row"] == 5
    assert len(out["activations"]) == 1
    assert {r for _, r, _ in _roles(_user("赵老师"))} == {Role.TEACHER, Role.VILLAGE_DIRECTOR}


def test_usernames_are_unique_pinyin(world, tmp_path, capsys):
    rows = [
        [1, "王芳", "13900000031", "华阳小学", "", "", "教师", "", ""],
        [2, "王芳", "13900000032", "华阳小学", "", "", "教师", "", ""],
    ]
    assert _run(_sheet(tmp_path, rows), "--json") == 0
    names = [a["username"] for a in json.loads(capsys.readouterr().out)["activations"]]
    assert names == ["wangfang", "wangfang2"]


def test_people_are_still_found_by_phone_after_a_key_rotation(world, tmp_path, capsys, settings):
    from carenet.audit.keys import rotate_field_key

    old_key = settings.FIELD_KEY
    path = _sheet(tmp_path, _good_rows())
    assert _run(path, "--json") == 0
    new_key = "n" * 48
    rotate_field_key(new_key)
    settings.FIELD_KEY, settings.FIELD_KEYS_OLD = new_key, [old_key]
    capsys.readouterr()
    assert _run(path, "--json") == 0
    assert json.loads(capsys.readouterr().out)["created"] == 0
    assert Person.objects.get(name="赵老师").phone == "13900000001"
