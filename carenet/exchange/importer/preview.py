"""The preview: read a register, find its header, validate every row (with a helper
process for a large one) and say what each good row would do. Writes nothing."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import islice

from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from carenet.audit.refusals import id_checks_allowed, id_refusal_record, id_refusals_left
from carenet.children.forms import ID_THROTTLED
from carenet.exchange.columns import field_for_header
from carenet.exchange.importer.cells import cell_text
from carenet.exchange.importer.header import (
    HEADER_SEARCH_ROWS,
    ColumnChoice,
    Header,
    HeaderNotFound,
    check_choices,
    find_header,
    guess_header,
)
from carenet.exchange.importer.matching import plan_changes
from carenet.exchange.importer.results import CellError, HeaderColumn, ImportPreview, RowResult
from carenet.exchange.importer.validate import Validator, is_blank, is_footer
from carenet.exchange.reading import MAX_ROWS, RegisterError, Sheet, read_sheets
from carenet.lib.memory import release_freed_memory
from carenet.lib.parallel import Split
from carenet.orgs.models import Org
from carenet.orgs.selectors import AnyUser

BATCH = 2000
# Registers of at least this many rows share the work with a helper process (the second
# core; ``carenet.lib.parallel``): below it, forking costs more than it saves.
HELPER_MIN_ROWS = 10_000

# What the user chose before for a header like this one (``carenet.exchange.mapping``):
# given the header's columns, the choices to apply (none: the automatic mapping).
Recall = Callable[[list[HeaderColumn]], list[ColumnChoice]]


NO_DATA_ROWS = gettext_lazy("表格只有表头，没有儿童数据行")


class NoDataRows(RegisterError):
    """A header and no child below it."""


# ---------------------------------------------------------------------------- preview


def import_preview(
    *,
    data: bytes,
    filename: str,
    school: Org,
    user: AnyUser | None = None,
    progress: Callable[[int, int], None] | None = None,
    mapping: Sequence[ColumnChoice] | None = None,
    recall: Recall | None = None,
) -> ImportPreview:
    """Read and validate a whole register; say what each row would do. Writes nothing.

    A row whose ID number is on file at another school is refused: as today if ``user``
    may see that child, else with the words of ``children.forms.ID_REFUSED`` (no user,
    the command line: always), its row number in ``refused``.

    ``mapping``: what the user says some columns are (``ColumnChoice``; MappingError if a
    key is unknown or chosen twice). Without it, ``recall`` may give the choices made
    before for the header found. HeaderNotFound (with the likeliest header row, for the
    user to map) when no header has 姓名 and an ID number; NoDataRows when nothing is
    below the header."""
    with gc_paused():
        preview = _preview(data, filename, school, user, progress, mapping or (), recall)
    release_freed_memory()  # the sheet's native cells, read
    return preview


def import_preview_checked(
    *,
    data: bytes,
    filename: str,
    school: Org,
    user: AnyUser | None,
    request: HttpRequest | None = None,
    mapping: Sequence[ColumnChoice] | None = None,
    recall: Recall | None = None,
) -> ImportPreview:
    """``import_preview`` of a new upload (web or command line), with its refusals logged
    and counted (``carenet.audit.refusals``): a user whose budget is spent cannot have a
    register checked at all, and a register with more refused rows than the budget left
    is refused whole, without saying which rows — a register is no oracle either."""
    if not id_checks_allowed(user=user):
        raise RegisterError(str(ID_THROTTLED))
    preview = import_preview(
        data=data, filename=filename, school=school, user=user, mapping=mapping, recall=recall
    )
    if not preview.refused:
        return preview
    where = _("导入花名册 %(file)s") % {"file": filename[:60]}
    left = id_refusals_left(user=user)
    if len(preview.refused) > left:
        # What is left of the budget is spent, without row numbers (the log is read by
        # county administrators, who may have uploaded the register themselves).
        detail = _("%(where)s：%(n)d 行身份证号无法使用，超出核验次数，整表不予导入") % {
            "where": where,
            "n": len(preview.refused),
        }
        id_refusal_record(
            request=request, user=user, details=[detail] * left, county_code=school.county_code
        )
        raise RegisterError(str(ID_THROTTLED))
    details = [_("%(where)s 第 %(row)d 行") % {"where": where, "row": n} for n in preview.refused]
    id_refusal_record(request=request, user=user, details=details, county_code=school.county_code)
    return preview


@contextmanager
def gc_paused() -> Iterator[None]:
    """Python's cycle collector off while a register is read, validated or written.

    Those build a million small objects that live until the end (cells, values, rows to
    write) and make no reference cycles; with the collector on, each of its passes walks
    them all again (about a third of the validation time for 50,000 rows). Memory is
    still freed by reference counting; the collector runs again afterwards.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _preview(
    data: bytes,
    filename: str,
    school: Org,
    user: AnyUser | None,
    progress: Callable[[int, int], None] | None,
    choices: Sequence[ColumnChoice],
    recall: Recall | None,
) -> ImportPreview:
    check_choices(choices)
    sheets = read_sheets(data, filename)
    sheet, header = _header(sheets, choices, recall)
    columns, texts = header.columns, header.texts
    by_key = {key: c for c, key in columns.items()}
    validator = Validator(columns, texts, school)
    first = header.rows[-1] + 1
    data_rows = DataRows(sheet, first)
    total = data_rows.count
    if not total:
        raise NoDataRows(str(NO_DATA_ROWS))
    if total > MAX_ROWS:
        raise RegisterError(_("文件超过 %(n)d 行，请拆分后分批导入") % {"n": MAX_ROWS})
    seq_column, id_column = by_key.get("seq"), by_key["id_number"]
    name_column = by_key["name"]
    name_text = texts[name_column].rsplit("/", 1)[-1]

    def validate_chunk(index: int) -> list[RowResult]:
        """The results of the rows of chunk ``index`` (``BATCH`` rows)."""
        chunk: list[RowResult] = []
        start = index * BATCH
        for offset, cells in enumerate(data_rows.chunk(start, BATCH), start):
            number = first + offset + 1
            id_cell = cells[id_column] if id_column < len(cells) else None
            if not (type(id_cell) is str and len(id_cell) == 18 and id_cell[:17].isdigit()):
                # Not the usual ID number: the row may be blank, a footer or the header again.
                if is_blank(cells, seq_column) or is_footer(cells, id_column):
                    chunk.append(RowResult(number, "skip", [], []))
                    continue
                name = cells[name_column] if name_column < len(cells) else None
                if field_for_header(name) == "name" or cell_text(name) == name_text:
                    chunk.append(RowResult(number, "skip", [], []))  # the header repeated
                    continue
            plan, errors = validator.validate(cells)
            # Only a rejected row's cells are shown again (the error workbook).
            chunk.append(
                RowResult(number, "reject", errors, cells)
                if errors
                else RowResult(number, "create", errors, [], plan)
            )
        return chunk

    chunks = -(-total // BATCH)
    validated: dict[int, list[RowResult]] = {}
    # A large register: a helper process validates chunks meanwhile.
    with Split(validate_chunk, chunks, helper=total >= HELPER_MIN_ROWS) as split:
        for index, chunk in split.results():
            validated[index] = chunk
            if progress:
                progress(min(total, len(validated) * BATCH), total)
    results = [result for index in range(chunks) for result in validated.pop(index)]
    if all(result.action == "skip" for result in results):
        raise NoDataRows(str(NO_DATA_ROWS))
    seen: dict[str, int] = {}
    for result in results:
        plan = result.plan
        if plan is None:
            continue
        earlier = seen.get(plan.id_hash)
        if earlier is None:
            seen[plan.id_hash] = result.row
            continue
        result.action, result.plan = "reject", None
        result.errors.append(
            CellError(
                "id_number",
                validator.column("id_number"),
                _("身份证号与第 %(row)d 行重复") % {"row": earlier},
            )
        )
    refused = plan_changes(results, school, validator, user)
    # Rows rejected only now (a repeated ID number, no class, another school's child)
    # get their cells back for the error workbook.
    late = {r.row - first - 1: r for r in results if r.action == "reject" and not r.cells}
    for offset, cells in data_rows.pick(late):
        late[offset].cells = cells
    return ImportPreview(
        filename=filename,
        header_rows=[r + 1 for r in header.rows],
        columns=columns,
        rows=results,
        headers=texts,
        header_cells=[list(sheet.rows[r]) for r in header.rows],
        refused=refused,
        header_columns=header.cells,
    )


def _header(
    sheets: list[Sheet], choices: Sequence[ColumnChoice], recall: Recall | None
) -> tuple[Sheet, Header]:
    """The sheet with the register and its header, the ``choices`` (or those ``recall``
    gives) applied; HeaderNotFound with the likeliest header row when there is none."""
    found = _find(sheets, choices)
    if recall is not None and not choices:
        seen = found or _guess(sheets, choices)
        remembered = recall(seen[1].cells) if seen else []
        if remembered:
            choices = remembered
            found = _find(sheets, choices) or found
    if found is not None:
        return found
    guess = _guess(sheets, choices)
    if guess is not None:
        sheet, header = guess
        if not _has_rows_below(sheet, header.rows[-1] + 1):
            raise NoDataRows(str(NO_DATA_ROWS))
    raise HeaderNotFound(
        _("这不是儿童花名册：表格前 %(n)d 行里找不到同时含“姓名”和“身份证号”的表头行")
        % {"n": HEADER_SEARCH_ROWS},
        guess[1] if guess else None,
    )


def _find(sheets: list[Sheet], choices: Sequence[ColumnChoice]) -> tuple[Sheet, Header] | None:
    for sheet in sheets:
        header = find_header(sheet, choices)
        if header is not None:
            return sheet, header
    return None


def _guess(sheets: list[Sheet], choices: Sequence[ColumnChoice]) -> tuple[Sheet, Header] | None:
    """The likeliest header row of all the sheets (the first of equals)."""
    best: tuple[tuple[int, int], Sheet, Header] | None = None
    for sheet in sheets:
        guess = guess_header(sheet, choices)
        if guess is not None and (best is None or guess[0] > best[0]):
            best = (guess[0], sheet, guess[1])
    return (best[1], best[2]) if best else None


def _has_rows_below(sheet: Sheet, first: int) -> bool:
    return any(not is_blank(cells, None) for cells in islice(sheet.all_rows(), first, None))


class DataRows:
    """The rows below the header, by offset (0 = the first row below it), read forward
    from the sheet (``Sheet.all_rows``); going back starts the sheet again."""

    def __init__(self, sheet: Sheet, first: int) -> None:
        self.sheet = sheet
        self.first = first
        self.count = max(0, sheet.height - first)
        self._rows: Iterator[list[object]] | None = None
        self._at = 0  # the offset of the row self._rows gives next

    def chunk(self, start: int, size: int) -> list[list[object]]:
        """The rows from offset ``start``, at most ``size`` of them."""
        if self.sheet.native is None:  # a CSV: its rows are lists already
            return self.sheet.rows[self.first + start : self.first + start + size]
        if self._rows is None or start < self._at:
            self._rows = islice(self.sheet.all_rows(), self.first, None)
            self._at = 0
        if start > self._at:  # rows another process validates: read past them
            next(islice(self._rows, start - self._at - 1, None), None)
        rows = list(islice(self._rows, size))
        self._at = start + len(rows)
        return rows

    def pick(self, offsets: Iterable[int]) -> Iterator[tuple[int, list[object]]]:
        """(offset, row) of each of ``offsets``, in one pass over the sheet."""
        wanted = sorted(set(offsets))
        if not wanted:
            return
        rows = islice(self.sheet.all_rows(), self.first, None)
        at = 0
        for offset in wanted:
            row = next(islice(rows, offset - at, None), None)
            at = offset + 1
            if row is not None:
                yield offset, row
