"""Registers in the national layouts import unedited: the 学籍 student table (into a
school), the 2016 survey form's 花名册 and the civil-affairs 困境儿童 register (into a
village). The files are built from the published column lists (tests.national_registers)."""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo

import pytest
import time_machine

from carenet.children.models import Child
from carenet.exchange.importer import import_commit, import_preview
from carenet.exchange.importer.cells import FOOTER, work_place_in
from carenet.lib.idcard import make_id_number
from tests.import_files import an_id, xlsx
from tests.national_registers import (
    distress_register,
    survey_register,
    survey_register_two_level,
    xueji_table,
)

TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
# In the school year 2026-27: a pupil who entered a primary school in 2021-09 is in 六年级.
TODAY = dt.datetime(2026, 10, 15, 9, tzinfo=TZ)


@pytest.fixture
def frozen():
    with time_machine.travel(TODAY, tick=False):
        yield


def _import(org, data: bytes, actor, filename: str = "花名册.xlsx"):
    preview = import_preview(data=data, filename=filename, school=org)
    batch = import_commit(preview=preview, school=org, actor=actor)
    return preview, batch


def _rejected(preview) -> dict[int, list[dict]]:
    return {r["row"]: r["errors"] for r in preview.as_json()["rejected"]}


def _family(child: Child) -> dict[str, object]:
    return {m.relation: m for m in child.family.all()}


# ---------------------------------------------------------------------------- 学籍


def _pupil(name: str, id_number: str, **over: object) -> dict[str, object]:
    birth = f"{id_number[6:14]}" if len(id_number) == 18 else "20150304"
    return {
        "姓名": name,
        "性别": "1" if len(id_number) != 18 or int(id_number[16]) % 2 else "2",
        "出生日期": birth,
        "身份证件号": id_number,
        "全国学籍号": f"G{id_number}",
        **over,
    }


def test_the_xueji_table_imports_its_codes_family_and_classes(world, frozen):
    boy = an_id(dt.date(2015, 3, 4), "M")
    girl = an_id(dt.date(2017, 5, 6), "F")
    hk_resident = make_id_number("810000", dt.date(2015, 8, 9), 301, "M")
    rows = [
        _pupil(
            "王小明",
            boy,
            健康状况="10",
            户口性质="1",
            入学年月="202109",
            就读方式="2",
            联系电话="13900000001",  # the pupil's own
            是否需要申请资助="1",
            是否留守儿童="1",
            班号="2",
            成员1姓名="王大山",
            成员1关系="父亲",
            成员1联系电话="13812345678",
            成员1是否监护人="0",
            成员1身份证件号=make_id_number("340828", dt.date(1985, 1, 2), 11, "M"),
            成员1工作单位="广东省东莞市长安镇某电子厂",
            成员2姓名="李秀英",
            成员2关系="祖母",
            成员2联系电话="13712345678",
            成员2是否监护人="1",
            成员2现住址="华阳镇红星村三组",
        ),
        _pupil(
            "陈小红",
            girl,
            性别="2-女",
            民族="03",
            身份证件类型="户口簿",
            健康状况="一般或较弱",
            户口性质="2",
            入学年月="2023-09",
            是否进城务工人员随迁子女="1",
            是否孤儿="0",
            班号="01",
            成员1姓名="陈芳",
            成员1关系="母亲",
            成员1联系电话="13612345678",
            成员1是否监护人="1",
            成员1工作单位="务农",
            成员2姓名="陈老汉",
            成员2关系="外祖父",
            成员2是否监护人="0",
        ),
        _pupil("林港生", hk_resident, 身份证件类型="港澳台居民居住证", 入学年月="202109", 班号="1"),
    ]
    preview, _batch = _import(world.school, xueji_table(rows), world.user("principal"))
    assert preview.as_json()["rejected"] == []
    assert (preview.created, preview.rejected) == (3, 0)
    ming = Child.objects.get(name="王小明")
    assert ming.school_class.name == "六(2)班"
    assert ming.school_class.get_parent().name == "六年级"
    assert (ming.gender, ming.ethnicity, ming.health) == ("M", "汉族", "healthy")
    assert ming.boarding and ming.rural_hukou and ming.student_number == f"G{boy}"
    assert ming.needs_aid and not ming.migrant_child and not ming.orphan
    assert ming.registered_residence == "安徽省望江县华阳镇红星村"
    assert (ming.village, ming.residence_group) == (world.village, "三组")
    family = _family(ming)
    assert set(family) == {"father", "grandmother", "guardian"}
    father = family["father"]
    assert (father.name, father.phone, father.employer) == (
        "王大山",
        "13812345678",
        "广东省东莞市长安镇某电子厂",
    )
    assert (father.work_province, father.work_city) == ("广东省", "东莞市")
    assert father.id_number.startswith("340828")
    guardian = family["guardian"]
    assert (guardian.name, guardian.kinship, guardian.phone) == ("李秀英", "祖母", "13712345678")
    assert family["grandmother"].name == "李秀英"
    # The pupil's own 联系电话 is no one's phone.
    assert all(m.phone != "13900000001" for m in family.values())

    hong = Child.objects.get(name="陈小红")
    assert hong.school_class.name == "四(1)班"
    assert (hong.gender, hong.ethnicity, hong.health) == ("F", "回族", "fair")
    assert not hong.rural_hukou and not hong.boarding and hong.migrant_child
    family = _family(hong)
    # The mother is the guardian: the grandfather is not made one.
    assert set(family) == {"mother", "m_grandfather"}
    assert (family["mother"].employer, family["mother"].work_city) == ("务农", "")
    assert Child.objects.get(name="林港生").id_number == hk_resident


def test_xueji_members_without_a_marked_guardian_and_with_other_documents(world, frozen):
    rows = [
        _pupil(
            "赵一",
            an_id(),
            入学年月="202109",
            班号="1",
            成员1姓名="赵大",
            成员1关系="父亲",
            成员1身份证件类型="A-护照",
            成员1身份证件号="E98765432",  # not a resident ID: not kept, the row is good
            成员1是否监护人="",
            成员2姓名="赵姑",
            成员2关系="姑姑",
            成员2是否监护人="",
            成员2联系电话="13512345678",
        ),
        _pupil("赵二", an_id(), 入学年月="202109", 班号="1", 成员1关系="祖父"),  # no one
        _pupil(
            "赵三",
            an_id(),
            入学年月="202109",
            班号="1",
            成员1姓名="赵三父",
            成员1关系="父亲",
            成员1身份证件号="340828198501010000",
        ),
    ]
    preview, _batch = _import(world.school, xueji_table(rows), world.user("principal"))
    rejected = _rejected(preview)
    assert list(rejected) == [4]
    assert rejected[4][0]["column"] == "成员1身份证件号"
    family = _family(Child.objects.get(name="赵一"))
    assert set(family) == {"father", "guardian"}
    assert family["father"].id_number == ""
    guardian = family["guardian"]
    assert (guardian.name, guardian.kinship, guardian.phone) == ("赵姑", "姑姑", "13512345678")
    assert not Child.objects.get(name="赵二").family.exists()


def test_other_documents_and_bad_ids_reject_their_rows_naming_the_document(world, frozen):
    entered = {"入学年月": "202109", "班号": "1"}
    rows = [
        _pupil("甲", "E12345678", 身份证件类型="A", **entered),
        _pupil("乙", "H0123456789", 身份证件类型="港澳居民来往内地通行证", **entered),
        _pupil("丙", "12345678", 身份证件类型="8", **entered),
        _pupil("丁", _bad_check_digit(an_id()), **entered),
        _pupil("戊", an_id(), 入学年月="201509", 班号="1"),  # 高三 by now: not a primary's
        _pupil("己", an_id(), **entered),
    ]
    preview = import_preview(data=xueji_table(rows), filename="学籍.xlsx", school=world.school)
    rejected = _rejected(preview)
    assert sorted(rejected) == [2, 3, 4, 5, 6]
    assert rejected[2][0]["column"] == "身份证件类型" and "“护照”" in rejected[2][0]["message"]
    assert "“港澳居民来往内地通行证”" in rejected[3][0]["message"]
    assert "“台湾居民来往大陆通行证”" in rejected[4][0]["message"]
    assert [e["field"] for e in rejected[4]] == ["id_type"]  # never read as an ID number
    assert rejected[5][0]["field"] == "id_number" and "校验位" in rejected[5][0]["message"]
    assert rejected[6][0]["column"] == "入学年月" and "高三" in rejected[6][0]["message"]
    assert preview.created == 1


def _bad_check_digit(id_number: str) -> str:
    last = "0" if id_number[-1] != "0" else "1"
    return id_number[:-1] + last


def test_a_junior_schools_grades_follow_from_the_year_of_entry(world, frozen):
    rows = [_pupil("初二生", an_id(dt.date(2013, 2, 3)), 入学年月="202509", 班号="3")]
    preview, _batch = _import(world.other_school, xueji_table(rows), world.user("county_admin"))
    assert preview.rejected == 0, preview.as_json()
    assert Child.objects.get(name="初二生").school_class.name == "八(3)班"


def test_a_grade_column_wins_over_the_year_of_entry(world, frozen):
    header = ["姓名", "身份证件号", "年级", "班号", "入学年月"]
    rows = [header, ["有年级", an_id(), "二年级", "1", "202109"]]
    preview, _batch = _import(world.school, xlsx(rows), world.user("principal"))
    assert preview.rejected == 0, preview.as_json()
    assert Child.objects.get(name="有年级").school_class == world.class_2


def test_a_new_pupil_registered_in_the_summer_is_in_the_first_grade(world):
    rows = [_pupil("新生", an_id(dt.date(2020, 3, 1)), 入学年月="202609", 班号="1")]
    with time_machine.travel(dt.datetime(2026, 8, 20, 9, tzinfo=TZ), tick=False):
        preview, _batch = _import(world.school, xueji_table(rows), world.user("principal"))
    assert preview.rejected == 0, preview.as_json()
    assert Child.objects.get(name="新生").school_class == world.class_1


# ---------------------------------------------------------------------------- phones


def test_the_parents_phone_column_wins_over_the_pupils_own(world):
    header = ["序号", "姓名", "身份证号", "班级", "手机号", "家长姓名", "家长联系电话"]
    rows = [header, [1, "周小雨", an_id(), "一(1)班", "13900000009", "周建", "13812340000"]]
    preview, _batch = _import(world.school, xlsx(rows), world.user("principal"))
    assert "手机号" not in preview.headers.values()
    guardian = Child.objects.get(name="周小雨").family.get(relation="guardian")
    assert guardian.phone == "13812340000"


@pytest.mark.parametrize(
    "header, used",
    [
        (["联系电话", "手机号"], "联系电话"),
        (["手机号", "联系电话"], "联系电话"),
        (["手机号", "监护人联系电话"], "监护人联系电话"),
        (["学生手机号", "电话"], "电话"),
        (["本人电话", "手机号码"], "手机号码"),
    ],
)
def test_the_most_specific_phone_column_is_the_guardians(world, header, used):
    rows = [
        ["姓名", "身份证号", "班级", *header],
        ["钱多多", an_id(), "一(1)班", "13900000001", "13900000002"],
    ]
    preview, _batch = _import(world.school, xlsx(rows), world.user("principal"))
    assert [preview.headers[c] for c, k in preview.columns.items() if k.endswith("phone")] == [used]
    phone = "13900000001" if header.index(used) == 0 else "13900000002"
    assert Child.objects.get(name="钱多多").family.get(relation="guardian").phone == phone


# ---------------------------------------------------------------------------- 2016


def _surveyed(name: str, id_number: str, **over: object) -> dict[str, object]:
    return {
        "姓名": name,
        "性别": "男" if int(id_number[16]) % 2 else "女",
        "民族": "汉族",
        "出生日期": f"{id_number[6:10]}-{id_number[10:12]}-{id_number[12:14]}",
        "公民身份证号码": id_number,
        "是否登记户口": "是",
        "户籍所在地": "安徽省望江县华阳镇红星村",
        "现居住地": "华阳镇红星村二组",
        "身体情况": "健康",
        "是否学校寄宿": "否",
        "祖父姓名": "刘老大",
        "祖父出生日期": "1950-01-02",
        "祖母姓名": "张秀兰",
        "祖母出生日期": "1952-03-04",
        "外祖父姓名": "—",
        "外祖父出生日期": "—",
        "外祖母姓名": "何桂香",
        "外祖母出生日期": "19550607",
        "父亲姓名": "刘强",
        "父亲出生日期": "1985-05-06",
        "父亲当前务工地点": "广东省东莞市",
        "父亲联系电话": "13812345678",
        "父亲公民身份证号码": make_id_number("340828", dt.date(1985, 5, 6), 21, "M"),
        "母亲姓名": "陈芳",
        "母亲出生日期": "1987-07-08",
        "母亲当前务工地点": "浙江省宁波市",
        "母亲联系电话": "13712345678",
        "父母双方同时外出": "是",
        "父母一方外出、另一方无监护能力": "否",
        "父母外出有无委托其他监护人": "是",
        "委托监护人姓名": "张秀兰",
        "受委托监护人电话": "0556-1234567",
        "委托监护人公民身份证号码": make_id_number("340828", dt.date(1952, 3, 4), 33, "F"),
        "与被监护人关系": "祖孙",
        "居住地地址": "华阳镇红星村二组",
        "监护类型": "监护情况一般",
        "家庭经济来源": "打工收入、种养殖业",
        "救助帮扶情况": "享受低保、医疗救助",
        **over,
    }


def _survey_children() -> list[dict[str, object]]:
    return [
        _surveyed("刘洋", an_id(dt.date(2016, 4, 5)), 就学情况="小学"),
        _surveyed(
            "刘小妹",
            an_id(dt.date(2022, 6, 7), "F"),
            就学情况="幼儿园",
            身体情况="患病",
            患病类型="先天性心脏病",
            监护类型="受委托监护人监护能力不足",
            家庭经济来源="打工收入",
            救助帮扶情况="",
        ),
        _surveyed(
            "刘大哥",
            an_id(dt.date(2011, 1, 2)),
            就学情况="中职",
            是否学校寄宿="是",
            身体情况="残疾",
            残疾类别及等级="肢体二级",
            是否登记户口="否",
        ),
        _surveyed("刘二姐", an_id(dt.date(2020, 9, 9), "F"), 就学情况="未入园"),
        _surveyed("刘三弟", an_id(dt.date(2010, 2, 2)), 就学情况="不在学", 监护类型="无人监护"),
    ]


@pytest.mark.parametrize("build", [survey_register, survey_register_two_level])
def test_the_2016_register_imports_into_a_village_with_the_whole_family(world, frozen, build):
    preview, batch = _import(
        world.village, build(_survey_children()), world.user("village_director")
    )
    assert preview.as_json()["rejected"] == []
    # The blank line, the signature line and the three lines of notes are skipped.
    assert (preview.created, preview.rejected, preview.skipped) == (5, 0, 5)
    yang = Child.objects.get(name="刘洋")
    assert yang.school is None and yang.village == world.village
    assert (yang.schooling, yang.stage, yang.hukou_registered) == ("enrolled", "primary", True)
    assert yang.registered_residence == "安徽省望江县华阳镇红星村"
    assert yang.residence_group == "二组" and not yang.boarding
    assert (yang.income_sources, yang.assistance) == (",wages,farming,", ",subsistence,medical,")
    family = _family(yang)
    assert set(family) == {
        "father",
        "mother",
        "guardian",
        "grandfather",
        "grandmother",
        "m_grandmother",
    }
    father = family["father"]
    assert (father.work_province, father.work_city, father.phone) == (
        "广东省",
        "东莞市",
        "13812345678",
    )
    assert father.birth_date == dt.date(1985, 5, 6) and father.id_number.startswith("340828")
    assert family["mother"].work_city == "宁波市"
    assert family["m_grandmother"].birth_date == dt.date(1955, 6, 7)
    assert (family["grandfather"].name, family["grandfather"].birth_date) == (
        "刘老大",
        dt.date(1950, 1, 2),
    )
    guardian = family["guardian"]
    assert (guardian.name, guardian.phone, guardian.kinship) == ("张秀兰", "0556-1234567", "祖孙")
    assert guardian.address == "华阳镇红星村二组" and guardian.guardianship_quality == "fair"
    assert guardian.id_number.startswith("340828")

    sister = Child.objects.get(name="刘小妹")
    assert (sister.schooling, sister.stage) == ("kindergarten", "")
    assert (sister.health, sister.health_notes) == ("chronic", "先天性心脏病")
    assert (sister.income_sources, sister.assistance) == (",wages,", "")
    assert sister.family.get(relation="guardian").guardianship_quality == "poor"
    brother = Child.objects.get(name="刘大哥")
    assert (brother.schooling, brother.stage, brother.boarding) == ("enrolled", "vocational", True)
    assert (brother.health, brother.disability, brother.hukou_registered) == (
        "disabled",
        "肢体二级",
        False,
    )
    assert Child.objects.get(name="刘二姐").schooling == "not_in_kindergarten"
    third = Child.objects.get(name="刘三弟")
    assert third.schooling == "out_of_school"
    assert third.family.get(relation="guardian").guardianship_quality == "none"
    assert batch.created == 5


def test_the_2016_register_into_a_school_says_it_belongs_to_the_village(world, frozen):
    preview = import_preview(
        data=survey_register(_survey_children()[:1]), filename="花名册.xlsx", school=world.school
    )
    (errors,) = _rejected(preview).values()
    assert "村（社区）登记的花名册请导入到所在村" in errors[0]["message"]


def test_a_2016_child_on_file_at_a_school_is_matched_and_keeps_the_school(world, frozen):
    on_file = world.school_child
    row = _surveyed(on_file.name, on_file.id_number, 就学情况="小学", 现居住地="红星村五组")
    preview, _batch = _import(world.village, survey_register([row]), world.user("county_admin"))
    assert (preview.created, preview.updated, preview.rejected) == (0, 1, 0)
    on_file.refresh_from_db()
    assert on_file.school == world.school and on_file.residence_group == "五组"


@pytest.mark.parametrize(
    "line",
    [
        "单位负责人（签名）：张建国",
        "复核人（签名）：",
        "填表人（签名）：王芳",
        "村委会主任（签字）：",
        "注：1.农村留守儿童：因父母双方外出务工",
        "2.不满十六周岁农村留守儿童年龄计算时间截止为2016年7月31日。",
        "3、选择项目在（ ）中划“√”。",
    ],
)
def test_footer_lines_of_the_national_forms_are_footers(line):
    assert FOOTER.match(line)


@pytest.mark.parametrize("line", ["张三", "2015.03.04", "1", "刘(2)班", "第3组"])
def test_a_childs_cells_are_not_footers(line):
    assert not FOOTER.match(line)


@pytest.mark.parametrize(
    "text, place",
    [
        ("广东省东莞市长安镇某电子厂", ("广东省", "东莞市")),
        ("北京市朝阳区某公司", ("北京市", "北京市")),
        ("浙江宁波市某厂", ("浙江省", "宁波市")),
        ("务农", None),
        ("望江县华阳镇卫生院", None),
        ("安徽省某公司", None),
    ],
)
def test_an_employer_reads_as_a_work_place_only_when_it_names_one(text, place):
    assert work_place_in(text) == place


# ---------------------------------------------------------------------------- 困境儿童


def test_the_distress_register_files_distress_kinds_aid_and_guardian(world, frozen):
    on_file = world.school_child
    on_file.categories = ",poor,"
    on_file.save()
    rows = [
        {
            "儿童姓名": "孙困困",
            "性别": "女",
            "民族": "汉",
            "出生日期": "2014-05-06",
            "身份证号码": (kid := an_id(dt.date(2014, 5, 6), "F")),
            "户籍所在地": "安徽省望江县华阳镇红星村",
            "现居住地址": "红星村一组",
            "困境类型": "家庭经济困难、自身残疾",
            "残疾类别及等级": "视力三级",
            "就学情况": "初中",
            "保障情况": "低保、特困供养、教育资助",
            "监护人姓名": "孙大爷",
            "与儿童关系": "祖父",
            "监护人身份证号码": make_id_number("340828", dt.date(1955, 1, 1), 41, "M"),
            "监护人联系电话": "13512345678",
        },
        {
            "儿童姓名": "周无依",
            "性别": "男",
            "出生日期": "2016-01-01",
            "身份证号码": an_id(dt.date(2016, 1, 1)),
            "困境类型": "事实无人抚养",
            "保障情况": "事实无人抚养儿童基本生活保障",
            "监护人姓名": "周姑姑",
            "与儿童关系": "姑姑",
        },
        {
            "儿童姓名": "错类型",
            "出生日期": "2016-01-01",
            "身份证号码": an_id(dt.date(2016, 1, 1)),
            "困境类型": "天气不好",
        },
        {
            "儿童姓名": on_file.name,
            "身份证号码": on_file.id_number,
            "困境类型": "重病",
            "现居住地址": "红星村六组",
        },
    ]
    preview, _batch = _import(
        world.village, distress_register(rows), world.user("county_admin"), "困境儿童.xlsx"
    )
    rejected = _rejected(preview)
    assert list(rejected) == [6]
    assert rejected[6][0]["column"] == "困境类型" and "“天气不好”" in rejected[6][0]["message"]
    assert (preview.created, preview.updated, preview.skipped) == (2, 1, 2)
    kid_file = Child.objects.get(name="孙困困")
    assert kid_file.id_number == kid
    assert kid_file.distress_kinds == ",poverty,disability,"
    assert kid_file.assistance == ",subsistence,extreme_poverty,education,"
    assert kid_file.categories == ",distressed,"
    assert (kid_file.schooling, kid_file.stage, kid_file.disability) == (
        "enrolled",
        "junior",
        "视力三级",
    )
    guardian = kid_file.family.get(relation="guardian")
    assert (guardian.name, guardian.kinship, guardian.phone) == ("孙大爷", "祖父", "13512345678")
    alone = Child.objects.get(name="周无依")
    assert (alone.distress_kinds, alone.assistance) == (",unsupported,", ",unsupported_allowance,")
    # A child at a school: the village's register updates the residence only.
    on_file.refresh_from_db()
    assert on_file.residence_group == "六组" and on_file.categories == ",poor,"


def test_each_national_layout_imported_twice_changes_nothing_the_second_time(world, frozen):
    survey = survey_register_two_level(_survey_children())
    pupils = xueji_table(
        [
            _pupil(
                "再来一次",
                an_id(),
                入学年月="202109",
                班号="1",
                成员1姓名="王大山",
                成员1关系="父亲",
                成员1工作单位="广东省东莞市某厂",
                成员2姓名="李秀英",
                成员2关系="祖母",
                成员2是否监护人="1",
            )
        ]
    )
    distress = distress_register(
        [
            {
                "儿童姓名": "孙困困",
                "身份证号码": an_id(dt.date(2014, 5, 6), "F"),
                "困境类型": "家庭经济困难",
                "保障情况": "低保",
                "监护人姓名": "孙大爷",
                "与儿童关系": "祖父",
            }
        ]
    )
    for org, data in ((world.village, survey), (world.school, pupils), (world.village, distress)):
        first, _batch = _import(org, data, world.user("county_admin"))
        assert first.created >= 1 and first.rejected == 0, first.as_json()
        again, _batch = _import(org, data, world.user("county_admin"))
        assert (again.created, again.updated, again.rejected) == (0, 0, 0), again.as_json()


def test_the_command_line_files_a_2016_register_under_its_village(world, frozen, tmp_path, capsys):
    from carenet.cli import main

    path = tmp_path / "农村留守儿童花名册.xlsx"
    path.write_bytes(survey_register(_survey_children()[:2]))
    code = main(["import", "children", str(path), "--village", world.village.code, "--json"])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert {k: out[k] for k in ("created", "updated", "skipped", "rejected")} == {
        "created": 2,
        "updated": 0,
        "skipped": 5,
        "rejected": [],
    }
    # Both parents with a 当前务工地点 away, and 父母双方同时外出 是: no disagreement.
    assert out["warnings"] == []
    assert out["left_behind"]["both_parents"] == 2
    assert out["left_behind"]["by_rule"]["work_place"]["both_parents"] == 2
    assert set(
        Child.objects.filter(village=world.village, school=None).values_list("name", flat=True)
    ) >= {"刘洋", "刘小妹"}


@pytest.mark.parametrize(
    ("code", "health"),
    [
        ("1", "healthy"),
        ("10", "healthy"),
        ("20", "fair"),
        ("30", "chronic"),
        ("40", "disabled"),
        ("50", "disabled"),
        ("6", "disabled"),
        ("有生理缺陷", "disabled"),
    ],
)
def test_the_xueji_health_codes_of_both_printed_forms(code, health):
    """学籍 forms print 健康状况 as GB/T 2261.3's 1/2/3/6 or as 10/20/30/40/50."""
    from carenet.exchange.importer.cells import HEALTH, cell_code

    assert HEALTH[cell_code(code)] == health


def test_an_unknown_health_code_is_kept_as_a_note_not_a_state():
    from carenet.exchange.importer.cells import HEALTH, cell_code

    assert cell_code("70") not in HEALTH
