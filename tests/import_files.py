"""Registers built in code for the importer tests, in the shapes schools really send."""

from __future__ import annotations

import datetime as dt
import io
import itertools

import xlsxwriter

from carenet.lib.idcard import make_id_number

_numbers = itertools.count(101)


def an_id(birth: dt.date = dt.date(2015, 3, 4), gender: str = "M") -> str:
    # Another division code than tests.factories' children (340827): both number their
    # IDs from a counter modulo 1000, so after a few hundred tests they met, and a row
    # was rejected as "already at another school" depending on the order of the tests.
    return make_id_number("340828", birth, next(_numbers) * 2 + 1, gender)


def xlsx(
    rows: list[list[object]],
    *,
    merges: list[tuple[int, int, int, int, object]] = (),
    dates: bool = True,
) -> bytes:
    """An .xlsx with ``rows`` from A1; dates become date cells; merges are (r1,c1,r2,c2,v)."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet("花名册")
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    merged_cells = set()
    for r1, c1, r2, c2, value in merges:
        sheet.merge_range(r1, c1, r2, c2, value)
        merged_cells |= {(r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)}
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if (r, c) in merged_cells or value is None:
                continue
            if isinstance(value, dt.date) and dates:
                sheet.write_datetime(r, c, dt.datetime.combine(value, dt.time()), date_format)
            elif isinstance(value, int | float) and not isinstance(value, bool):
                sheet.write_number(r, c, value)
            else:
                sheet.write_string(r, c, str(value))
    book.close()
    return out.getvalue()


def csv_bytes(rows: list[list[object]], encoding: str = "utf-8-sig") -> bytes:
    lines = [",".join("" if v is None else str(v) for v in row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


SIMPLE_HEADER = [
    "序号",
    "姓名",
    "性别",
    "出生日期",
    "身份证号",
    "年级",
    "班级",
    "父亲姓名",
    "父亲联系电话",
    "父亲外出时间",
    "监护人姓名",
    "与儿童关系",
    "监护人联系电话",
]


def simple_row(n: int, name: str, id_number: str, **over) -> list[object]:
    values = {
        "序号": n,
        "姓名": name,
        "性别": "男",
        "出生日期": "2015-03-04",
        "身份证号": id_number,
        "年级": "三年级",
        "班级": "2班",
        "父亲姓名": "王大山",
        "父亲联系电话": "13812345678",
        "父亲外出时间": "2023-02-01",
        "监护人姓名": "李秀英",
        "与儿童关系": "祖母",
        "监护人联系电话": "0556-1234567",
    }
    values.update(over)
    return [values[h] for h in SIMPLE_HEADER]
