"""The error workbook: the header and the rejected rows, with a 错误原因 column."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from carenet.exchange.importer.cells import cell_text
from carenet.exchange.importer.results import ImportPreview

# ---------------------------------------------------------------------------- errors


def error_workbook(preview: ImportPreview) -> bytes:
    """The header and the rejected rows, with a 错误原因 column and the bad cells in red."""
    import io

    import xlsxwriter

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet(_("错误行"))
    bold = book.add_format({"bold": True, "bg_color": "#E2EFDA", "border": 1, "text_wrap": True})
    bad = book.add_format({"bg_color": "#FFC7CE", "font_color": "#9C0006", "border": 1})
    reason = book.add_format({"font_color": "#9C0006", "text_wrap": True})
    dates = book.add_format({"num_format": "yyyy-mm-dd"})
    bad_date = book.add_format(
        {"num_format": "yyyy-mm-dd", "bg_color": "#FFC7CE", "font_color": "#9C0006"}
    )
    header_cells = preview.header_cells or [[preview.headers.get(c, "") for c in preview.columns]]
    width = max([len(r) for r in header_cells] + [len(r.cells) for r in preview.rejected_rows])
    key_column = {key: c for c, key in preview.columns.items()}
    for r, cells in enumerate(header_cells):
        for c in range(width):
            value = cells[c] if c < len(cells) else ""
            sheet.write_string(r, c, cell_text(value), bold)
        sheet.write_string(r, width, _("错误原因") if r == len(header_cells) - 1 else "", bold)
    sheet.freeze_panes(len(header_cells), 0)
    for offset, result in enumerate(preview.rejected_rows):
        r = len(header_cells) + offset
        marked = {key_column.get(e.field) for e in result.errors}
        for c, value in enumerate(result.cells):
            fmt = bad if c in marked else None
            if isinstance(value, dt.date | dt.datetime):
                sheet.write_datetime(r, c, value, bad_date if c in marked else dates)
            elif isinstance(value, float | int) and not isinstance(value, bool):
                sheet.write_number(r, c, value, fmt)
            else:
                sheet.write_string(r, c, cell_text(value), fmt)
        text = "；".join(
            _("第%(row)d行 %(column)s：%(message)s")
            % {"row": result.row, "column": e.column, "message": e.message}
            for e in result.errors
        )
        sheet.write_string(r, width, text, reason)
    sheet.set_column(width, width, 60)
    book.close()
    return out.getvalue()
