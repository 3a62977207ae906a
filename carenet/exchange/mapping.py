"""The columns of a register as the user corrected them (列对应), remembered per org.

When the user confirms an import whose mapping differs from the automatic one, the
differences are kept for the school (or the village) it goes into, by the header's
signature (``ColumnMapping``); the next file with the same header uploaded there gets
them applied and shown as 上次的选择. A file whose header differs a little (a column
more or fewer) gets the latest mapping whose columns all appear in it. Only header
texts and field keys are kept, never a cell of a child's row.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from carenet.exchange.columns import FIELD_LABELS, normalise_header
from carenet.exchange.importer import ColumnChoice, HeaderColumn, Recall
from carenet.exchange.importer.header import looks_like_value
from carenet.exchange.models import ColumnMapping, ImportBatch
from carenet.orgs.models import Org
from carenet.orgs.selectors import AnyUser

# The org's latest mappings looked at for a header that differs a little.
RECALL_LIMIT = 20


def column_labels(columns: Sequence[HeaderColumn]) -> list[str]:
    """Each column's header text, normalised; a text's second column is 'text#2'."""
    labels: list[str] = []
    seen: dict[str, int] = {}
    for column in columns:
        text = normalise_header(column.text)
        seen[text] = seen.get(text, 0) + 1
        labels.append(text if seen[text] == 1 else f"{text}#{seen[text]}")
    return labels


def header_signature(columns: Sequence[HeaderColumn]) -> str:
    """The header's texts, normalised and in order, hashed: equal for the same header."""
    return hashlib.sha256("\x1f".join(column_labels(columns)).encode("utf-8")).hexdigest()


def mapping_recall(org: Org) -> Recall:
    """The ``recall`` of ``import_preview`` for an upload to ``org``: the mapping kept
    for a header like the file's (the same one, else the latest whose columns are all in
    it) as choices, those that differ from the automatic mapping marked as remembered;
    none when nothing was kept."""

    def recall(columns: list[HeaderColumn]) -> list[ColumnChoice]:
        kept = list(ColumnMapping.objects.filter(org=org).order_by("-updated_at")[:RECALL_LIMIT])
        if not kept:
            return []
        labels = column_labels(columns)
        signature = header_signature(columns)
        mapping = next((m for m in kept if m.signature == signature), None)
        if mapping is None:
            present = set(labels)
            mapping = next((m for m in kept if m.mapping and set(m.mapping) <= present), None)
        if mapping is None:
            return []
        choices: list[ColumnChoice] = []
        taken: set[str] = set()
        for label, column in zip(labels, columns, strict=True):
            if label not in mapping.mapping:
                continue
            key = mapping.mapping[label] or None
            if key and (key not in FIELD_LABELS or key in taken):
                continue  # a field no longer known, or (never saved so) twice
            if key:
                taken.add(key)
            origin = "auto" if key == column.auto else "remembered"
            choices.append(ColumnChoice(column.column, column.text, key, origin))
        return choices if any(c.origin == "remembered" for c in choices) else []

    return recall


def column_mapping_remember(
    *, org: Org, columns: Sequence[HeaderColumn], user: AnyUser | None
) -> ColumnMapping | None:
    """On 确认导入: keep, for ``org``, a mapping that differs from the automatic one
    (every column's field, by header text); forget what was kept for this header when
    the mapping is the automatic one again."""
    labels = column_labels(columns)
    signature = header_signature(columns)
    if all(column.key == column.auto for column in columns):
        ColumnMapping.objects.filter(org=org, signature=signature).delete()
        return None
    mapping = {
        label: column.key or ""
        for label, column in zip(labels, columns, strict=True)
        if not looks_like_value(column.text)  # never a child's value, should one be here
    }
    kept, _created = ColumnMapping.objects.update_or_create(
        org=org,
        signature=signature,
        defaults={
            "mapping": mapping,
            "updated_by": user if user is not None and user.is_authenticated else None,
        },
    )
    return kept


# --------------------------------------------------------------------------- a batch's mapping


def summary_columns(summary: dict[str, Any]) -> list[HeaderColumn]:
    """The header's columns kept in a batch's summary."""
    return [HeaderColumn(*column) for column in summary.get("header_columns", [])]


def columns_json(columns: Sequence[HeaderColumn]) -> list[list[object]]:
    return [[c.column, c.text, c.key, c.auto, c.origin] for c in columns]


def summary_choices(summary: dict[str, Any]) -> list[ColumnChoice]:
    """The mapping of a batch's preview as choices, to validate the file again with the
    same columns (the import job); none when it is the automatic one."""
    columns = summary_columns(summary)
    if all(c.origin == "auto" for c in columns):
        return []
    return [ColumnChoice(c.column, c.text, c.key, c.origin) for c in columns]


def mapping_summary(header_columns: Sequence[HeaderColumn]) -> dict[str, Any]:
    """The summary of a batch whose header is not found yet: its likeliest header's
    columns, for the user to say which is 姓名 and which 身份证号. Nothing validated."""
    return {"needs_mapping": True, "header_columns": columns_json(header_columns)}


def batch_mapping_remember(*, batch: ImportBatch, user: AnyUser | None) -> None:
    """确认导入 of a pending batch: its mapping is remembered for its school or village
    (``column_mapping_remember``)."""
    columns = summary_columns(batch.summary or {})
    if columns:
        column_mapping_remember(org=batch.school, columns=columns, user=user)
