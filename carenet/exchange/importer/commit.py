"""The commit: every good row of a preview in one transaction, or nothing."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Literal

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from carenet.alerts.evaluate import children_review
from carenet.children.models import Child, GuardianshipQuality, Relation
from carenet.exchange.errors import ImportConflict
from carenet.exchange.importer.matching import chunks_of, existing_classes
from carenet.exchange.importer.preview import BATCH, HELPER_MIN_ROWS, gc_paused
from carenet.exchange.importer.reference import write_plans as write_plans_reference
from carenet.exchange.importer.results import ImportPreview
from carenet.exchange.importer.validate import RowPlan, derived_away_start
from carenet.exchange.importer.writer import (
    BULK_TABLES,
    DatabaseRows,
    RawWriter,
    created_rows,
    write_changes,
)
from carenet.exchange.models import ImportBatch, ImportStatus
from carenet.exchange.selectors import imported_children
from carenet.indicators.triggers import suspended as stale_triggers_suspended
from carenet.lib.parallel import Split
from carenet.orgs.models import Org, OrgKind
from carenet.orgs.placement import NUMERALS

# ---------------------------------------------------------------------------- commit


def classes_for(places: set[tuple[str, str]], school: Org) -> dict[tuple[str, str], int]:
    """The class org of each (grade, class), creating the missing grades and classes."""
    known = existing_classes(school)
    missing = sorted(p for p in places if p not in known)
    if not missing:
        return known
    school = Org.objects.get(pk=school.pk)  # fresh numchild for treebeard
    grades = {
        g.name: g for g in Org.objects.filter(path__startswith=school.path, kind=OrgKind.GRADE)
    }
    taken = set(Org.objects.filter(code__startswith=school.code).values_list("code", flat=True))

    def free(code: str) -> str:
        candidate, n = code, 1
        while candidate in taken:
            n += 1
            candidate = f"{code}-{n}"
        taken.add(candidate)
        return candidate

    for grade_name, class_name in missing:
        grade = grades.get(grade_name)
        if grade is None:
            number = NUMERALS.index(grade_name[:-2]) if grade_name[:-2] in NUMERALS else None
            code = free(f"{school.code}-G{number}" if number else f"{school.code}-G")
            grade = Org.objects.add_child(
                school,
                dict(
                    code=code,
                    name=grade_name[:100],
                    kind=OrgKind.GRADE,
                    county_code=school.county_code,
                ),
            )
            school.refresh_from_db()
            grades[grade_name] = grade
        match = re.search(r"\((\d+)\)", class_name)
        code = free(f"{grade.code}-{match.group(1)}" if match else f"{grade.code}-C")
        org = Org.objects.add_child(
            grade,
            dict(
                code=code, name=class_name[:100], kind=OrgKind.CLASS, county_code=school.county_code
            ),
        )
        grade.refresh_from_db()
        known[(grade_name, class_name)] = org.pk
    return known


def history_reason(filename: str) -> str:
    return (_("花名册导入：%(file)s") % {"file": filename})[:100]


def import_commit(
    *,
    preview: ImportPreview,
    school: Org,
    actor,
    progress: Callable[[int, int], None] | None = None,
    batch: ImportBatch | None = None,
    writer: Literal["fast", "reference"] = "fast",
) -> ImportBatch:
    """Write every good row of a preview in one transaction: all of them or nothing.

    Records the import as an ``ImportBatch`` (complete); a given ``batch`` (the web's,
    already ``processing``) is filled in instead of creating one.

    ``writer="reference"`` writes the same rows the obvious way instead, one model
    instance at a time through the ORM (``reference``): the specification the fast
    writer is tested against, not a way to import a county.

    The rows are written with raw ``executemany`` (``COPY`` on PostgreSQL) over values
    prepared here (encrypted, blind-indexed, timestamped), not through model instances
    and Django's INSERT compiler: a county's register is ~9 rows a child (the child,
    three family members, their history rows, the away periods). Every created or
    changed child and family member gets its django-simple-history row ('+' or '~',
    the user, the date, the file as the change reason), as ``save()`` would give it;
    the history rows are copied by the database from the rows just written.
    """
    user = actor if getattr(actor, "is_authenticated", False) else None
    if user is None:
        from simple_history.models import HistoricalRecords

        request = getattr(HistoricalRecords.context, "request", None)
        candidate = getattr(request, "user", None)
        user = candidate if getattr(candidate, "is_authenticated", False) else None
    reason = history_reason(preview.filename)
    plans = [r.plan for r in preview.rows if r.action in ("create", "update") and r.plan]
    # Raw COPY on PostgreSQL raises the driver's own error, not Django's wrapper.
    duplicate = (IntegrityError, connection.Database.IntegrityError)  # type: ignore[attr-defined]  # the driver module
    try:
        with transaction.atomic():
            done = _commit(preview, school, user, reason, plans, progress, batch, writer)
            _review_alerts(plans)
        return done
    except duplicate:
        # Another import (the same file, twice at once) created one of these children
        # after this preview was made: everything here was rolled back.
        raise ImportConflict(_("另一个导入同时写入了相同的儿童，请稍后重试")) from None


# Guardianship states (监护状况) a file rule of the early warning reads.
_ALERTING_QUALITY = frozenset({GuardianshipQuality.POOR, GuardianshipQuality.NONE})


def _alert_worthy(plan: RowPlan) -> bool:
    """Whether an imported row states something a file rule of the early warning reads
    (a guardianship assessed 差 or 无人监护, a guardian's age, health or incapacity, no
    guardian entrusted): only those children are reviewed after the import, so that a
    county's register does not pay a review per child for nothing."""
    if plan.child_values.get("guardian_entrusted") is False:
        return True
    for relation, values in plan.family.items():
        if values.get("guardianship_quality") in _ALERTING_QUALITY:
            return True
        if values.get("can_guard") is False:
            return True
        if relation == Relation.GUARDIAN and (
            values.get("age") or values.get("health") or values.get("abuse_record")
        ):
            return True
    return False


def _review_alerts(plans: list[RowPlan]) -> None:
    """Raise the early warning's alerts on the imported children whose rows state what a
    file rule reads (``_alert_worthy``), in the import's transaction: an alert is raised
    as the file that shows the danger is saved, by the register too."""
    hashes = [plan.id_hash for plan in plans if _alert_worthy(plan)]
    if hashes:
        children_review(imported_children(hashes), today=timezone.localdate(), now=timezone.now())


def _commit(
    preview: ImportPreview,
    school: Org,
    user,
    reason: str,
    plans: list[RowPlan],
    progress: Callable[[int, int], None] | None,
    batch: ImportBatch | None,
    writer: Literal["fast", "reference"],
) -> ImportBatch:
    with gc_paused(), transaction.atomic():
        if batch is None:
            batch = ImportBatch(
                user=user,
                school=school,
                county_code=school.county_code,
                filename=preview.filename[:255],
            )
        places = {p.place for p in plans if p.place is not None}
        classes = classes_for(places, school) if places else {}
        if writer == "reference":
            write_plans_reference(
                plans,
                school=school,
                classes=classes,
                user=user,
                reason=reason,
                derived_start=derived_away_start(timezone.localdate()),
                progress=progress,
            )
        else:
            _write_fast(plans, school, classes, user, reason, progress)
        batch.created = preview.created
        batch.updated = preview.updated
        batch.skipped = preview.skipped
        batch.rejected = preview.rejected
        batch.total = len(preview.rows)
        batch.processed = batch.total
        batch.status = ImportStatus.COMPLETE
        batch.finished_at = timezone.now()
        batch.save()
    return batch


def _write_fast(
    plans: list[RowPlan],
    school: Org,
    classes: dict[tuple[str, str], int],
    user,
    reason: str,
    progress: Callable[[int, int], None] | None,
) -> None:
    """The rows of ``plans`` written in bulk by ``RawWriter`` (see ``import_commit``)."""
    total = len(plans)
    # The kept indicator counts to drop: the school's (or village's), and those of
    # the children on file, wherever they are filed (a village's register).
    units = {school.pk}
    for p in plans:
        if p.existing is not None:
            units.add(p.existing.school_id or p.existing.village_id)
    units.discard(None)
    writer = RawWriter(timezone.now(), user.pk if user is not None else None, reason)
    derived_start = derived_away_start(timezone.localdate())
    new = [p for p in plans if p.existing is None]
    with (
        writer.bulk_load(len(new)),
        stale_triggers_suspended(
            connection, [m._meta.db_table for m in BULK_TABLES], sorted(units)
        ),
    ):
        child_ids = writer.allocate_ids(Child, len(new))

        def prepare_chunk(index: int) -> list[tuple[type, DatabaseRows]]:
            """The database rows of chunk ``index`` of the new children."""
            start = index * BATCH
            return created_rows(
                new[start : start + BATCH],
                child_ids[start : start + BATCH],
                school,
                classes,
                writer,
                derived_start,
            )

        done = 0

        def insert(prepared: list[tuple[type, DatabaseRows]]) -> None:
            nonlocal done
            for model, rows in prepared:
                writer.insert_new(model, rows)
                if model is Child:
                    done += len(rows.rows)
            if progress:
                progress(done, total)

        chunks = -(-len(new) // BATCH)
        # Many new children: a helper process prepares chunks' rows (the values
        # encrypted, the pinyin) while this one writes those already prepared.
        with Split(prepare_chunk, chunks, helper=len(new) >= HELPER_MIN_ROWS) as split:
            for _index, prepared in split.results():
                insert(prepared)
        changed = [p for p in plans if p.existing is not None]
        for chunk in chunks_of(changed, BATCH):
            write_changes(chunk, classes, writer)
            done += len(chunk)
            if progress:
                progress(done, total)
