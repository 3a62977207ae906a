"""An Excel sheet read row by row gives exactly the rows python-calamine gives at once,
from row 0 and column A; the importer's data rows come by chunk in any order."""

from __future__ import annotations

import io

import xlsxwriter
from hypothesis import given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from carenet.exchange.importer.preview import DataRows
from carenet.exchange.reading import HEAD_ROWS, Sheet, read_sheets

_cells = st.dictionaries(
    st.tuples(st.integers(0, 70), st.integers(0, 8)),
    st.one_of(st.sampled_from(["姓名", "a", " ", "13812345678"]), st.integers(0, 99)),
    min_size=1,
    max_size=40,
)


def _workbook(cells: dict[tuple[int, int], object]) -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet()
    for (r, c), value in cells.items():
        sheet.write(r, c, value)
    book.close()
    return out.getvalue()


@settings(max_examples=60, deadline=None)
@given(_cells)
def test_the_rows_read_one_by_one_are_the_rows_read_at_once(cells):
    data = _workbook(cells)
    whole = (
        CalamineWorkbook.from_filelike(io.BytesIO(data))
        .get_sheet_by_index(0)
        .to_python(skip_empty_area=False)
    )
    sheet = read_sheets(data, "a.xlsx")[0]
    assert list(sheet.all_rows()) == whole
    assert sheet.height == len(whole)
    assert sheet.rows == whole[:HEAD_ROWS]


@settings(max_examples=40, deadline=None)
@given(_cells, st.integers(0, 5), st.lists(st.integers(0, 30), min_size=1, max_size=8))
def test_data_rows_come_by_chunk_in_any_order_and_by_offset(cells, first, starts):
    data = _workbook(cells)
    sheet = read_sheets(data, "a.xlsx")[0]
    whole = list(sheet.all_rows())[first:]
    rows = DataRows(sheet, first)
    assert rows.count == len(whole)
    for start in starts:  # forward, back, and past the end
        assert rows.chunk(start, 4) == whole[start : start + 4]
    wanted = {s for s in starts if s < len(whole)}
    assert dict(rows.pick(starts)) == {s: whole[s] for s in wanted}


def test_a_csv_sheet_is_its_rows():
    sheet = Sheet(name="csv", rows=[["a"], ["b"], ["c"]])
    assert list(sheet.all_rows()) == [["a"], ["b"], ["c"]] and sheet.height == 3
    assert DataRows(sheet, 1).chunk(1, 5) == [["c"]]


def test_the_header_is_searched_for_in_rows_read_at_once():
    from carenet.exchange.importer.header import HEADER_SEARCH_ROWS

    assert HEADER_SEARCH_ROWS <= HEAD_ROWS
