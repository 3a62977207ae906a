"""The fast writer writes what the reference writer writes.

``import_commit(writer="reference")`` writes a preview's rows the obvious way (model
instances saved one at a time, django-simple-history's rows made by its ``post_save``,
the kept counts dropped by the triggers). Each test imports the same register into two
identical worlds (two forks of one: ``tests.database_state.forked``), one with each
writer, and compares the databases field by field: the children, family members, away
periods, history rows, orgs, import batches and kept indicator counts. The fast writer's
paths are each taken: chunks (COPY on PostgreSQL), the SQLite bulk load that drops and
rebuilds the indexes (the helper process that prepares rows: tests/test_import_fast_paths).

Time is frozen (it does not tick): both writers stamp the same times, so the timestamps
are compared too."""

from __future__ import annotations

import contextlib
import datetime as dt
from unittest import mock

import pytest
import time_machine

from carenet.children.models import AwayPeriod, Child, FamilyMember
from carenet.exchange.export import REGISTER_COLUMNS
from carenet.exchange.importer import commit as commit_module
from carenet.exchange.importer import import_commit, import_preview
from carenet.exchange.importer import preview as preview_module
from carenet.exchange.importer import writer as writer_module
from carenet.indicators.kept import unit_versions
from carenet.indicators.models import SchoolFigures
from carenet.orgs.models import Org, OrgKind
from tests.database_state import State, database_state, differences, forked
from tests.factories import World, child_add, world_build
from tests.import_files import an_id, xlsx

BUILT = dt.datetime(2026, 11, 20, 9, tzinfo=dt.UTC)

# The register's columns as the export writes them (``REGISTER_COLUMNS``), less those the
# importer does not read into a child's file (the school is the one imported into).
HEADER = [c for c in REGISTER_COLUMNS if c not in ("学校", "帮扶教师", "学习帮手")]


def row(n: int, name: str, id_number: str, **over: object) -> list[object]:
    """A register row: a child with a father away and a grandmother as guardian; ``over``
    replaces cells by header (the brackets left out), None leaves a cell blank."""
    values: dict[str, object] = {
        "序号": n,
        "姓名": name,
        "民族": "汉",
        "身份证号": id_number,
        "学籍号": f"G{id_number}",
        "年级": "三年级",
        "班级": "2班",
        "是否寄宿": "否",
        "户籍地": "望江县华阳镇",
        "现居住地": "华阳镇红星村三组",
        "健康状况": "健康",
        "就学情况": "在校",
        "父亲姓名": "王大山",
        "父亲联系电话": "13812345678",
        "父亲务工地点": "广东省深圳市",
        "父亲务工单位": "电子厂",
        "父亲外出时间": "2023-02-01",
        "监护人姓名": "李秀英",
        "与儿童关系": "祖母",
        "监护人年龄": 63,
        "监护人身体状况": "良好",
        "监护人文化程度": "小学",
        "监护人职业": "务农",
        "监护人联系电话": "0556-1234567",
        "监护人住址": "红星村三组",
        "监护类型": "一般",
        "计划免疫接种": "已全程接种",
        "兴趣爱好": "画画",
        "性格特征": "开朗",
    }
    values.update(over)
    return [values.get(h.split("（")[0]) for h in HEADER]


def register(*rows: list[object]) -> bytes:
    return xlsx([HEADER, *rows])


def a_parent_id(gender: str = "M") -> str:
    return an_id(birth=dt.date(1988, 5, 6), gender=gender)


@pytest.fixture
def clock():
    with time_machine.travel(BUILT, tick=False) as traveller:
        yield traveller


@pytest.fixture
def world(clock, db) -> World:
    """The conftest's world, built at ``BUILT`` with the clock stopped."""
    return world_build()


# The fast writer's paths, each taken in turn: as a small register goes; in chunks of
# three (several COPY statements and history copies on PostgreSQL); as a first import
# large enough to drop and rebuild the indexes (SQLite).
PATHS = {
    "as is": {},
    "in chunks": {(commit_module, "BATCH"): 3, (preview_module, "BATCH"): 3},
    "as a bulk load": {(writer_module, "BULK_LOAD_MIN"): 1},
}


@pytest.fixture(params=list(PATHS))
def fast_path(request):
    with contextlib.ExitStack() as patches:
        for (module, name), value in PATHS[request.param].items():
            patches.enter_context(mock.patch.object(module, name, value))
        yield request.param


def import_both_ways(
    world: World, clock, data: bytes, *, into: Org | None = None, actor: str = "principal"
) -> tuple[State, State]:
    """The database after importing ``data`` into ``into`` (the school) with the fast
    writer and, in an identical world, with the reference writer; an hour later than the
    world's last change.

    The kept counts of every school and of ``into`` are kept before, for the import to
    drop those of the units it changes. Not those of other villages: the triggers (the
    reference writer's way) drop the counts of a school child's village of residence too,
    needlessly (only children not at a school count there), and the fast writer does not."""
    into = into or world.school
    clock.shift(dt.timedelta(hours=1))
    for unit in {*Org.objects.filter(kind=OrgKind.SCHOOL), into}:
        SchoolFigures.objects.create(
            school=unit, county_code=unit.county_code, as_of=BUILT.date(), rules="r", counts={},
            version=unit_versions([unit.pk])[unit.pk],
        )  # fmt: skip
    user = world.user(actor)
    states = {}
    for writer in ("fast", "reference"):

        def write(writer=writer):
            preview = import_preview(data=data, filename="花名册.xlsx", school=into, user=user)
            import_commit(preview=preview, school=into, actor=user, writer=writer)

        states[writer] = forked(write)
    return states["fast"], states["reference"]


def first_import(world: World, clock, data: bytes) -> None:
    """An import both worlds start from (with the fast writer), an hour before theirs."""
    clock.shift(dt.timedelta(hours=1))
    preview = import_preview(data=data, filename="上学期.xlsx", school=world.school)
    import_commit(preview=preview, school=world.school, actor=world.user("principal"))


def latest_batch(state: State) -> tuple[int, int, int, int]:
    batch = state["import_batches"][-1]
    return batch["created"], batch["updated"], batch["rejected"], batch["skipped"]


def child_in(state: State, name: str) -> dict:
    (found,) = [c for c in state["children"].values() if c["name"] == name]
    return found


def test_a_first_import_writes_what_the_reference_writes(world, clock, fast_path):
    """New children in classes on file and in new grades and classes, with fathers,
    mothers and guardians, away periods stated or derived from the 留守类型, residences in
    villages or not; rows rejected, skipped; a child on file updated."""
    outsider = world.outsider
    data = register(
        row(1, "甲一", an_id()),
        row(
            2, "甲二", an_id(gender="F"), 性别="女", 班级="1班", 留守类型="双亲",
            母亲姓名="陈芳", 母亲联系电话="13712345678", 母亲务工地点="浙江省杭州市",
            母亲外出时间="2024-03-01",
        ),
        row(3, "甲三", an_id(), 年级="一年级", 班级="1班", 留守类型="双亲", 父亲外出时间=None),
        row(
            4, "甲四", an_id(), 年级="二年级", 班级="1班", 留守类型="单亲", 父亲外出时间=None,
            特殊类别="特困、单亲", 是否寄宿="是", 健康状况="慢性病", 残疾类别等级="视力二级",
        ),
        row(
            5, "甲五", an_id(), 年级="五年级", 班级="3班", 现居住地="长岭镇长岭村",
            父亲身份证号=a_parent_id(), 备注="需要关注",
        ),
        row(
            6, "甲六", an_id(), 年级="六年级", 班级="六(2)班", 现居住地="县城滨江小区",
            父亲姓名=None, 父亲联系电话=None, 父亲务工地点=None, 父亲务工单位=None,
            父亲外出时间=None,
        ),
        row(7, "甲七", an_id(), 民族="回", 就学情况="休学", 计划免疫接种="不详"),
        row(8, "甲八", an_id(), 父亲联系电话="12345"),  # rejected: not a phone
        [None] * len(HEADER),  # skipped
        row(10, "赵强", outsider.id_number),  # rejected: at another school
        row(11, "李明", world.school_child.id_number, 年级="二年级", 班级="1班"),  # on file
    )  # fmt: skip
    fast, reference = import_both_ways(world, clock, data)
    assert differences(fast, reference) == []
    assert latest_batch(fast) == (7, 1, 2, 1)
    new_classes = {o["name"] for o in fast["orgs"].values()} - {o.name for o in Org.objects.all()}
    assert new_classes == {"三年级", "三(2)班", "三(1)班", "五年级", "五(3)班", "六年级", "六(2)班"}
    assert fast["kept_figures"] == [(world.other_school.code, BUILT.date())]


def test_a_second_import_updates_what_the_reference_updates(world, clock, fast_path):
    """A child renamed; a mother added; a father's away period moved, another opened
    after the last one ended, another derived from the 留守类型; a child moved to a new
    class; a father's ID number and phone changed; a child filed under a village joins
    the school; a guardian added to a child on file; an unchanged row; a new child."""
    ids = {name: an_id() for name in ("丙一", "丙二", "丙三", "丙四", "丙五", "丙六")}
    first = [row(n, name, number) for n, (name, number) in enumerate(ids.items(), start=1)]
    first_import(world, clock, register(*first))
    ended = AwayPeriod.objects.get(child__name="丙三", relation="father")
    ended.end = dt.date(2024, 6, 30)
    ended.save()
    villager = child_add(None, name="丙村", village=world.village, schooling="preschool")
    own, mentee = world.own_child, world.mentee
    data = register(
        row(1, "丙华", ids["丙一"], 兴趣爱好="书法"),
        row(2, "丙二", ids["丙二"], 母亲姓名="陈芳", 母亲联系电话="13712345678"),
        row(3, "丙三", ids["丙三"], 父亲外出时间="2025-01-15"),
        row(4, "丙四", ids["丙四"], 父亲外出时间="2023-05-01"),
        row(
            5, "丙五", ids["丙五"], 年级="四年级", 班级="1班", 父亲身份证号=a_parent_id(),
            父亲联系电话="13900000000",
        ),
        first[5],
        row(7, "丙村", villager.id_number),
        row(8, "丙七", an_id()),
        row(9, own.name, own.id_number, 年级="一年级", 班级="1班", 留守类型="双亲",
            父亲外出时间=None),
        row(10, mentee.name, mentee.id_number, 性别="女", 年级="二年级", 班级="1班",
            留守类型="双亲", 父亲外出时间=None, 父亲姓名=None, 父亲联系电话=None,
            父亲务工地点=None, 父亲务工单位=None),
    )  # fmt: skip
    fast, reference = import_both_ways(world, clock, data)
    assert differences(fast, reference) == []
    assert latest_batch(fast) == (1, 8, 0, 0)
    renamed = child_in(fast, "丙华")
    assert (renamed["name_pinyin"], renamed["updated_at"]) == (
        "binghua",
        BUILT + dt.timedelta(hours=2),
    )
    assert child_in(fast, "丙村")["school"] == world.school.code
    assert [h["history_type"] for h in fast["child_history"][renamed["id_number_hash"][:16]]] == [
        "+",
        "~",
    ]


def test_a_villages_register_updates_what_the_reference_updates(world, clock, fast_path):
    """A village's register (the village director's): a school child's residence, a
    village child's file and family, a new child filed under the village; a child the
    director may not see is refused."""
    villager = child_add(
        None, name="丁村", village=world.village, schooling="preschool",
        father_away=dt.date(2024, 3, 1),
    )  # fmt: skip
    school_child, elsewhere = world.school_child, world.villager_elsewhere
    data = register(
        row(1, school_child.name, school_child.id_number, 现居住地="华阳镇红星村五组老槐树下",
            兴趣爱好="不该写入"),
        row(2, elsewhere.name, elsewhere.id_number, 现居住地="红星村二组"),
        row(3, "丁村", villager.id_number, 兴趣爱好="唱歌", 母亲姓名="陈芳",
            母亲外出时间="2025-03-01"),
        row(4, "丁新", an_id(), 年级=None, 班级=None, 就学情况="未到学龄"),
        row(5, world.outsider.name, world.outsider.id_number),  # refused: not in the village
    )  # fmt: skip
    fast, reference = import_both_ways(
        world, clock, data, into=world.village, actor="village_director"
    )
    assert differences(fast, reference) == []
    assert latest_batch(fast) == (1, 3, 1, 0)
    moved = child_in(fast, school_child.name)
    assert (moved["residence_group"], moved["interests"]) == ("五组", school_child.interests)
    assert child_in(fast, "丁新")["village"] == world.village.code


def test_blank_cells_erase_nothing_either_way(world, clock, fast_path):
    ids = [an_id(), an_id(), an_id()]
    first_import(
        world,
        clock,
        register(
            *[row(n, f"戊{n}", number, 父亲身份证号=a_parent_id()) for n, number in enumerate(ids)]
        ),
    )
    blank = {h.split("（")[0]: None for h in HEADER if h not in ("序号", "姓名", "身份证号")}
    data = register(
        row(0, "戊0", ids[0], **blank),
        row(1, "戊1", ids[1], **{**blank, "兴趣爱好": "足球"}),
        row(2, "戊2", ids[2], **{**blank, "父亲联系电话": "13900000000", "监护人姓名": "李秀兰"}),
    )
    before = database_state()
    fast, reference = import_both_ways(world, clock, data)
    assert differences(fast, reference) == []
    assert latest_batch(fast) == (0, 2, 0, 0)
    # What was on file is still there, but for the two cells that were filled.
    changed = differences(before, fast)
    assert all(
        line.startswith(("['children']", "['family']", "['child_history']", "['family_history']",
                         "['import_batches']", "['kept_figures']"))
        for line in changed
    )  # fmt: skip
    touched = {
        line.split(": ")[0] for line in changed if line.startswith(("['children']", "['family']"))
    }
    keys = {c["name"]: k for k, c in before["children"].items()}
    assert touched == {
        f"['children'][{keys['戊1']!r}]['interests']",
        f"['children'][{keys['戊1']!r}]['updated_at']",
        f"['family'][({keys['戊2']!r}, 'father')]['phone']",
        f"['family'][({keys['戊2']!r}, 'guardian')]['name']",
    }


@pytest.mark.parametrize(
    "change, difference",
    [
        (lambda: Child.objects.filter(name="己一").update(notes="改过"), "['notes']"),
        (
            lambda: FamilyMember.objects.filter(child__name="己一", relation="father").update(
                phone="13900000000"
            ),
            "['phone']",
        ),
        (
            lambda: AwayPeriod.objects.filter(child__name="己一").update(start=dt.date(2023, 3, 1)),
            "['start']",
        ),
        (
            lambda: Child.history.filter(name="己一").update(history_change_reason="别的"),
            "['history_change_reason']",
        ),
        (lambda: Org.objects.filter(name="三(2)班").update(name="三(9)班"), "['name']"),
    ],
    ids=["a child's field", "a phone", "an away period", "a history row", "a class"],
)
def test_the_comparison_finds_one_field_changed_in_one_world(world, clock, change, difference):
    data = register(row(1, "己一", an_id()), row(2, "己二", an_id()))
    clock.shift(dt.timedelta(hours=1))

    def write(then=lambda: None):
        preview = import_preview(data=data, filename="a.xlsx", school=world.school)
        import_commit(preview=preview, school=world.school, actor=None)
        then()

    same = forked(write)
    assert differences(same, forked(write)) == []
    found = differences(same, forked(lambda: write(then=change)))
    assert len(found) == 1 and difference in found[0], found


def test_left_behind_status_from_work_places_codes_and_flags_is_written_alike(
    world, clock, fast_path
):
    """Away periods opened by a work place, a 留守类型 or the 2016 form's flags (from the
    derived start), an unable parent (``can_guard``), new and on file, written alike."""
    header = [
        "姓名", "身份证号", "年级", "班级", "父亲务工地点", "母亲务工地点", "留守类型",
        "父母双方同时外出", "父母一方外出、另一方无监护能力", "无监护能力（父亲/母亲）",
        "父母外出有无委托其他监护人",
    ]  # fmt: skip
    mentee = world.mentee  # the mother away since 2025-02-01
    data = xlsx(
        [
            header,
            ["乙一", an_id(), "三年级", "2班", "广东省东莞市", "在家", "", "", "", "", ""],
            ["乙二", an_id(), "三年级", "2班", "", "", "双亲", "", "", "", "是"],
            ["乙三", an_id(), "三年级", "2班", "在家", "", "", "否", "是", "父亲", "否"],
            ["乙四", an_id(), "三年级", "2班", "北京", "", "非留守", "", "", "", ""],
            [mentee.name, mentee.id_number, "", "二(1)班", "", "", "", "否", "是", "父亲", "有"],
        ]
    )
    fast, reference = import_both_ways(world, clock, data)
    assert differences(fast, reference) == []
    assert latest_batch(fast) == (4, 1, 0, 0)
    unable = [m for m in fast["family"].values() if m["can_guard"] is False]
    assert len(unable) == 2
    entrusted = {c["name"]: c["guardian_entrusted"] for c in fast["children"].values()}
    assert (entrusted["乙二"], entrusted["乙三"], entrusted[mentee.name]) == (True, False, True)
