"""What an import's preview says: each row's action, its cell errors, the counts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from carenet.exchange.importer.validate import RowPlan


Action = Literal["create", "update", "unchanged", "reject", "skip"]

# ---------------------------------------------------------------------------- results


@dataclass
class CellError:
    field: str
    column: str  # the header text as in the file
    message: str


@dataclass(slots=True)
class RowResult:
    row: int  # as Excel shows it
    action: Action
    errors: list[CellError]
    cells: list[object]  # the original row, kept for a rejected row only
    plan: RowPlan | None = field(default=None, repr=False)

    def __reduce__(self):  # pickled by position: twice as fast to load (a helper's rows)
        return RowResult, (self.row, self.action, self.errors, self.cells, self.plan)


@dataclass
class HeaderColumn:
    """A column of the header, as the preview shows it for the user to correct."""

    column: int  # 0-based
    text: str  # the header text ("父亲/联系电话" under a group cell)
    key: str | None  # the field taken, or None: not used (未使用)
    auto: str | None  # the field CareNet would have taken by itself
    origin: str = "auto"  # "auto", "user" (chosen now) or "remembered" (chosen before)


@dataclass
class ImportPreview:
    filename: str
    header_rows: list[int]  # Excel row numbers of the header (two for a two-level header)
    columns: dict[int, str]  # column index → field key
    rows: list[RowResult]
    headers: dict[int, str] = field(default_factory=dict)  # column index → header text
    header_cells: list[list[object]] = field(default_factory=list)
    # Rows refused for an ID number on file that the user may not see (Excel numbers).
    refused: list[int] = field(default_factory=list)
    # Every column of the header with a text: what CareNet took it for, and who said so.
    header_columns: list[HeaderColumn] = field(default_factory=list)

    def _count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action)

    @property
    def created(self) -> int:
        return self._count("create")

    @property
    def updated(self) -> int:
        return self._count("update")

    @property
    def unchanged(self) -> int:
        return self._count("unchanged")

    @property
    def skipped(self) -> int:
        return self._count("skip")

    @property
    def rejected(self) -> int:
        return self._count("reject")

    @property
    def rejected_rows(self) -> list[RowResult]:
        return [r for r in self.rows if r.action == "reject"]

    def as_json(self) -> dict[str, Any]:
        """The CONTRACT's ``--json`` object."""
        return {
            "created": self.created,
            "updated": self.updated,
            "skipped": self.skipped,
            "rejected": [
                {
                    "row": r.row,
                    "errors": [
                        {"field": e.field, "column": e.column, "message": e.message}
                        for e in r.errors
                    ],
                }
                for r in self.rejected_rows
            ],
        }
