"""The import's fast paths keep its behaviour: validation remembers each column's cells;
the commit takes ids before writing, has the database copy the history rows, and on
SQLite drops and rebuilds the indexes around a large first import."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.db import connection

from carenet.children.models import AwayPeriod, Child, FamilyMember
from carenet.exchange.importer import commit as commit_module
from carenet.exchange.importer import import_commit, import_preview
from carenet.exchange.importer import preview as preview_module
from carenet.exchange.importer import writer as writer_module
from carenet.exchange.importer.results import RowResult
from carenet.exchange.importer.validate import RowPlan
from carenet.exchange.importer.writer import RawWriter
from carenet.indicators.kept import unit_versions, valid_units
from carenet.indicators.models import SchoolFigures
from carenet.lib import parallel
from tests.database_state import State, database_state, differences, forked
from tests.factories import child_add
from tests.import_files import SIMPLE_HEADER, an_id, simple_row, xlsx

TABLES = (
    "children_child",
    "children_historicalchild",
    "children_familymember",
    "children_historicalfamilymember",
    "children_awayperiod",
)


def _indexes() -> set[tuple]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT tbl_name, name, sql FROM sqlite_master WHERE type = 'index' "
                f"AND tbl_name IN ({', '.join(['%s'] * len(TABLES))})",
                TABLES,
            )
        else:
            cursor.execute(
                "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s)",
                [list(TABLES)],
            )
        return set(cursor.fetchall())


def _register(names: list[str]) -> bytes:
    return xlsx([SIMPLE_HEADER] + [simple_row(n, name, an_id()) for n, name in enumerate(names)])


def _statements(data: bytes, world, writer: str = "fast") -> list[str]:
    seen: list[str] = []

    def spy(execute, sql, params, many, context):
        seen.append(sql)
        return execute(sql, params, many, context)

    preview = import_preview(data=data, filename="a.xlsx", school=world.school)
    with connection.execute_wrapper(spy):
        import_commit(
            preview=preview, school=world.school, actor=world.user("principal"), writer=writer
        )
    return seen


def _reference(data: bytes, world) -> State:
    """The database after importing ``data`` with the reference writer, rolled back."""
    return forked(lambda: _statements(data, world, writer="reference"), times=False)


def _written(state: State, prefix: str) -> tuple[int, ...]:
    """The children named ``prefix``…: how many, their family members, away periods and
    history rows (children's and family members')."""
    keys = {k for k, child in state["children"].items() if child["name"].startswith(prefix)}
    return (
        len(keys),
        sum(child in keys for child, _relation in state["family"]),
        sum(period["child"] in keys for period in state["away_periods"]),
        sum(len(state["child_history"][k]) for k in keys),
        sum(len(rows) for (child, _r), rows in state["family_history"].items() if child in keys),
    )


@pytest.fixture
def bulk_from_one_child():
    with mock.patch.object(writer_module, "BULK_LOAD_MIN", 1):
        yield


def test_a_large_first_import_rebuilds_every_index_it_dropped(world, bulk_from_one_child):
    before = _indexes()
    data = _register([f"甲{n}" for n in range(40)])
    reference = _reference(data, world)
    # More children than the world's tables hold: their indexes are dropped and rebuilt.
    statements = _statements(data, world)
    assert _indexes() == before
    dropped = [s for s in statements if s.startswith("DROP INDEX")]
    assert bool(dropped) == (connection.vendor == "sqlite")  # PostgreSQL keeps them
    fast = database_state(times=False)
    assert differences(fast, reference) == []
    assert _written(fast, "甲") == (40, 80, 40, 40, 80)


def test_tables_already_larger_than_the_import_keep_their_indexes(world, bulk_from_one_child):
    _statements(_register(["乙一", "乙二", "乙三"]), world)
    statements = _statements(_register(["乙四"]), world)
    assert not [s for s in statements if s.startswith("DROP INDEX")]


def _fail_on_away_periods(original):
    def database_rows(self, model, rows, constants=None):
        if model is AwayPeriod:
            raise RuntimeError("out of memory")
        return original(self, model, rows, constants)

    return database_rows


@pytest.mark.parametrize("where", ["history copy", "value preparation"])
def test_a_failure_during_a_bulk_load_restores_the_indexes_and_writes_nothing(
    world, bulk_from_one_child, where
):
    """A statement failing after rows are written, or the preparation of the last rows
    failing: either way the whole import is rolled back."""
    before = (_indexes(), Child.objects.count(), FamilyMember.objects.count())
    dropped: list[str] = []

    def spy(execute, sql, params, many, context):
        dropped.extend([sql] if sql.startswith("DROP INDEX") else [])
        return execute(sql, params, many, context)

    data = _register([f"丙{n}" for n in range(40)])
    preview = import_preview(data=data, filename="a.xlsx", school=world.school)
    if where == "history copy":
        failure = mock.patch.object(
            RawWriter, "copy_history", side_effect=RuntimeError("disk full")
        )
    else:
        original = RawWriter.database_rows
        failure = mock.patch.object(RawWriter, "database_rows", _fail_on_away_periods(original))
    with failure, pytest.raises(RuntimeError), connection.execute_wrapper(spy):
        import_commit(preview=preview, school=world.school, actor=None)
    assert bool(dropped) == (connection.vendor == "sqlite")
    assert before == (_indexes(), Child.objects.count(), FamilyMember.objects.count())
    assert not AwayPeriod.objects.filter(child__name__startswith="丙").exists()


def test_new_rows_take_ids_the_database_does_not_give_again(world):
    _statements(_register(["丁一", "丁二"]), world)
    imported = set(Child.objects.filter(name__startswith="丁").values_list("pk", flat=True))
    later = child_add(world.class_1, name="丁三", father_away=dt.date(2024, 3, 1))
    assert later.pk not in imported and later.pk > max(imported)
    assert later.family.get(relation="father").pk > 0


def test_every_new_row_has_one_history_row_copied_from_it(world):
    """The rows django-simple-history's ``post_save`` would make (the reference writer's),
    each with every tracked field as in the row it was copied from."""
    data = _register(["戊一", "戊二"])
    reference = _reference(data, world)
    _statements(data, world)
    fast = database_state(times=False)
    assert differences(fast, reference) == []
    assert _written(fast, "戊") == (2, 4, 2, 2, 4)
    new = {k for k, child in fast["children"].items() if child["name"].startswith("戊")}
    copied = [(fast["child_history"][k], fast["children"][k]) for k in new]
    copied += [
        (h, fast["family"][key]) for key, h in fast["family_history"].items() if key[0] in new
    ]
    for (history,), row in copied:
        assert (history["history_type"], history["history_user"]) == ("+", "principal")
        tracked = [f for f in row if f in history]
        assert len(tracked) > 10
        assert {f: history[f] for f in tracked} == {f: row[f] for f in tracked}


def test_cells_equal_as_numbers_but_not_as_text_are_read_apart(world):
    # Validation remembers each column's distinct cells; 1.0 and TRUE are equal keys
    # in Python but read as '1' and '是'.
    import io

    import xlsxwriter

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet()
    for c, text in enumerate(["姓名", "身份证号", "年级", "班级", "备注"]):
        sheet.write_string(0, c, text)
    for r, note in enumerate([1.0, True, 1], start=1):
        sheet.write_string(r, 0, f"己{r}")
        sheet.write_string(r, 1, an_id())
        sheet.write_string(r, 2, "三年级")
        sheet.write_string(r, 3, "2班")
        if isinstance(note, bool):
            sheet.write_boolean(r, 4, note)
        else:
            sheet.write_number(r, 4, note)
    book.close()
    preview = import_preview(data=out.getvalue(), filename="a.xlsx", school=world.school)
    notes = [r.plan.child_values["notes"] for r in preview.rows]
    assert notes == ["1", "是", "1"]


KEPT_ON = dt.date(2026, 11, 2)


def _keep_figures(*schools) -> None:
    for school in schools:
        SchoolFigures.objects.update_or_create(
            school=school, as_of=KEPT_ON, defaults=dict(county_code=school.county_code,
            rules="r", counts={}, version=unit_versions([school.pk])[school.pk]),
        )  # fmt: skip


def _valid() -> set[int]:
    schools = SchoolFigures.objects.values_list("school_id", flat=True)
    return valid_units(SchoolFigures, schools, as_of=KEPT_ON)


@pytest.mark.parametrize("bulk", [False, True])
def test_an_import_drops_only_its_schools_kept_figures_and_keeps_the_triggers(world, bulk):
    """The per-row triggers are suspended while an import writes (SQLite): afterwards the
    school's kept figures are gone, another school's are kept, and the triggers work."""
    _keep_figures(world.school, world.other_school)
    with mock.patch.object(writer_module, "BULK_LOAD_MIN", 1 if bulk else 10**9):
        _statements(_register(["己一", "己二"]), world)
    kept = _valid()
    assert kept == {world.other_school.pk}
    _keep_figures(world.school)
    assert _valid() == {world.school.pk, world.other_school.pk}
    child = Child.objects.get(name="己一")
    FamilyMember.objects.filter(child=child, relation="father").update(name="己父")
    assert _valid() == kept


def test_a_failed_import_keeps_the_figures_and_the_triggers(world):
    _keep_figures(world.school)
    preview = import_preview(data=_register(["庚一"]), filename="a.xlsx", school=world.school)
    failure = mock.patch.object(RawWriter, "copy_history", side_effect=RuntimeError("disk full"))
    with failure, pytest.raises(RuntimeError):
        import_commit(preview=preview, school=world.school, actor=None)
    assert _valid() == {world.school.pk}
    child = child_add(world.class_1, name="庚二", father_away=dt.date(2024, 3, 1))
    assert _valid() == set()
    assert child.pk


@pytest.fixture
def helped_splits():
    """Small chunks, a helper from the first row; the Splits made, to see it helped."""
    made: list[parallel.Split] = []

    class Recorded(parallel.Split):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            made.append(self)

        def results(self):
            # A busy machine may finish a small register here before the helper has
            # started: let it deliver a first chunk before this process competes.
            if self._pipe is not None:
                self._pipe.poll(30)
            yield from super().results()

    with (
        mock.patch.object(preview_module, "BATCH", 3),
        mock.patch.object(commit_module, "BATCH", 3),
        mock.patch.object(preview_module, "HELPER_MIN_ROWS", 1),
        mock.patch.object(commit_module, "HELPER_MIN_ROWS", 1),
        mock.patch.object(preview_module, "Split", Recorded),
        mock.patch.object(commit_module, "Split", Recorded),
    ):
        yield made


def _mixed_register(world) -> bytes:
    on_file = child_add(world.class_1, name="旧名字")
    ids = [an_id() for _ in range(24)]
    rows = [SIMPLE_HEADER] + [simple_row(n + 1, f"学生{n}", i) for n, i in enumerate(ids)]
    rows[3][SIMPLE_HEADER.index("父亲联系电话")] = "12345"  # a bad phone
    rows[8] = [None] * len(SIMPLE_HEADER)  # a blank line
    rows[12] = simple_row(12, "新名字", on_file.id_number)  # a child on file, renamed
    rows[17][SIMPLE_HEADER.index("班级")] = ""  # a new child without a class
    rows[22] = simple_row(22, "重复", ids[1])  # the ID number of row 3 again, chunks later
    return xlsx(rows)


def test_a_helper_process_validates_and_prepares_as_one_process_would(
    world, settings, helped_splits
):
    data = _mixed_register(world)
    settings.HELPER_PROCESS = False
    alone = import_preview(data=data, filename="a.xlsx", school=world.school)
    settings.HELPER_PROCESS = True
    helped = import_preview(data=data, filename="a.xlsx", school=world.school)
    assert helped_splits[-1].helped > 0
    assert helped.as_json() == alone.as_json()
    assert [(r.row, r.action, r.cells) for r in helped.rows] == [
        (r.row, r.action, r.cells) for r in alone.rows
    ]
    assert (helped.created, helped.updated, helped.rejected, helped.skipped) == (19, 1, 3, 1)
    assert [r.row for r in helped.rejected_rows] == [4, 18, 23]
    assert all(r.cells for r in helped.rejected_rows)  # kept for the error workbook

    before = Child.objects.count()
    principal = world.user("principal")
    # One process's plans written the obvious way (rolled back), then the helper's plans
    # by the fast writer, the new children's rows prepared by the helper.
    reference = forked(
        lambda: import_commit(
            preview=alone, school=world.school, actor=principal, writer="reference"
        ),
        times=False,
    )
    import_commit(preview=helped, school=world.school, actor=principal)
    assert helped_splits[-1].helped > 0
    fast = database_state(times=False)
    assert differences(fast, reference) == []
    assert Child.objects.count() == before + 19
    assert _written(fast, "学生") == (19, 38, 19, 19, 38)
    new = Child.objects.filter(name__startswith="学生")
    fathers = FamilyMember.objects.filter(child__in=new, relation="father")
    assert (fathers.count(), {m.phone for m in fathers}) == (19, {"13812345678"})
    assert Child.objects.filter(name="新名字").count() == 1
    assert {c.school_class.name for c in new} == {"三(2)班"}


def test_a_plan_and_its_row_come_back_whole_from_a_helper():
    import pickle

    plan = RowPlan(
        id_number="x",
        id_hash="h",
        child_values={"name": "张三", "birth_date": dt.date(2015, 3, 4)},
        family={"father": {"phone": "13812345678"}},
        away={"father": dt.date(2023, 2, 1)},
        derived_away={"mother"},
        place=("三年级", "三(2)班"),
        child_changes={"name": "张三"},
        family_changes={},
        away_ops=[],
    )
    row = RowResult(7, "update", [], [], plan)
    back = pickle.loads(pickle.dumps(row))
    assert back == row and back.plan == plan
