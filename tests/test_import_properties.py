"""Whatever a file holds, the importer answers with a preview or RegisterError, and a
commit is whole or nothing (hypothesis)."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carenet.children.models import Child, FamilyMember
from carenet.exchange.importer import RegisterError, import_commit, import_preview
from tests.import_files import SIMPLE_HEADER, csv_bytes, simple_row, xlsx

_SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
cells = st.one_of(
    st.none(),
    st.text(max_size=25),
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(min_value=-(10**18), max_value=10**18),
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 1, 1)),
    st.sampled_from(["", "　", "男", "女", "是", "１３８１２３４５６７８", "2015年3月4日", "x"]),
)
rows = st.lists(st.lists(cells, max_size=len(SIMPLE_HEADER) + 2), max_size=12)


def _safe_import(world, data: bytes, filename: str) -> None:
    before = (Child.objects.count(), FamilyMember.objects.count())
    try:
        preview = import_preview(data=data, filename=filename, school=world.school)
    except RegisterError as exc:
        assert str(exc)
        assert before == (Child.objects.count(), FamilyMember.objects.count())
        return
    assert before == (Child.objects.count(), FamilyMember.objects.count())
    import_commit(preview=preview, school=world.school, actor=None)
    assert Child.objects.count() == before[0] + preview.created
    preview.as_json()


@_SETTINGS
@given(body=rows)
def test_malformed_cells_under_a_real_header_never_crash(world, body):
    _safe_import(world, xlsx([SIMPLE_HEADER, *body]), "a.xlsx")


@_SETTINGS
@given(body=rows, encoding=st.sampled_from(["utf-8", "utf-8-sig", "gbk", "utf-16"]))
def test_odd_encodings_never_crash(world, body, encoding):
    text_rows = [[str(c) if c is not None else "" for c in row] for row in [SIMPLE_HEADER, *body]]
    try:
        data = csv_bytes(text_rows, encoding)
    except UnicodeEncodeError:
        data = csv_bytes(text_rows, "utf-8")
    _safe_import(world, data, "a.csv")


@_SETTINGS
@given(data=st.binary(max_size=2000), name=st.sampled_from(["a.xlsx", "a.xls", "a.csv", "a"]))
def test_arbitrary_bytes_are_refused_with_one_message(world, data, name):
    _safe_import(world, data, name)


def test_a_large_file_imports_whole(world):
    from tests.import_files import an_id

    births = [dt.date(2010, 1, 1) + dt.timedelta(days=n) for n in range(3000)]
    body = [
        simple_row(n, f"学生{n}", an_id(birth=b), 出生日期=b.isoformat())
        for n, b in enumerate(births)
    ]
    body[1500][4] = "bad"
    preview = import_preview(
        data=xlsx([SIMPLE_HEADER, *body]), filename="a.xlsx", school=world.school
    )
    assert (preview.created, preview.rejected) == (2999, 1)
    import_commit(preview=preview, school=world.school, actor=None)
    assert Child.objects.filter(name__startswith="学生").count() == 2999
