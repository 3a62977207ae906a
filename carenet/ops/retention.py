"""The retention schedule (PIPL art. 19, 47; 未成年人保护法 art. 72).

1. Archive: files of children who left (status left) or turned 16 become archived, with
   ``archived_on`` = today. Archived files are out of every working scope.
2. Anonymise: archived files older than CARENET_RETENTION_YEARS lose everything that
   identifies the child: name → 已匿名, ID number, notes and addresses cleared, the blind
   index replaced by a random unique value, family members and the file's history rows
   deleted, care record, plan and legal-aid texts cleared (legal-aid history rows deleted),
   photos deleted. What statistics count
   (school, class, village, gender, birth year, away periods, record kinds and dates) stays.

Each child is claimed by a conditional UPDATE, so two runs (even at once) do the work once.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import transaction
from django.db.models import Q

from carenet.audit.models import AccessAction, AccessLog
from carenet.care.models import CarePhoto, CareRecord
from carenet.childplans.models import IndividualPlan, PlanReview, StudyCheck, StudyPlan
from carenet.children.models import Child, ChildStatus, FamilyMember, Pairing
from carenet.children.selectors import CIVIL_AGE_LIMIT
from carenet.support.models import LegalAidCase

ANONYMOUS_NAME = "已匿名"
ANONYMOUS_HASH_PREFIX = "anon-"


@dataclass
class RetentionResult:
    archived: int = 0
    anonymised: int = 0
    dry_run: bool = False

    def describe(self) -> str:
        verb = "would be" if self.dry_run else "were"
        return (
            f"{self.archived} child file(s) {verb} archived, "
            f"{self.anonymised} archived file(s) {verb} anonymised."
        )


def to_archive(today: dt.date):
    aged_out = Q(birth_date__lte=today - relativedelta(years=CIVIL_AGE_LIMIT))
    return Child.objects.filter(
        Q(status=ChildStatus.LEFT) | (Q(status=ChildStatus.ACTIVE) & aged_out)
    )


def to_anonymise(today: dt.date, years: int):
    return Child.objects.filter(
        status=ChildStatus.ARCHIVED, archived_on__lt=today - relativedelta(years=years)
    ).exclude(id_number_hash__startswith=ANONYMOUS_HASH_PREFIX)


def _log(action: str, children: list[Child], detail: str) -> None:
    AccessLog.objects.bulk_create(
        AccessLog(
            username="retention",
            county_code=c.county_code,
            child=c,
            child_ref=c.pk,
            action=action,
            detail=detail,
        )
        for c in children
    )


def archive(today: dt.date) -> int:
    """Archive who left or aged out; one conditional UPDATE per child (claim)."""
    done = []
    for child in to_archive(today).only("pk", "county_code", "status"):
        claimed = (
            Child.objects.filter(pk=child.pk, status=child.status).update(
                status=ChildStatus.ARCHIVED, archived_on=today
            )
            > 0
        )
        if claimed:
            done.append(child)
    _log(AccessAction.ARCHIVE, done, "retention: archived")
    # Files archived by hand before archived_on existed start their clock now.
    Child.objects.filter(status=ChildStatus.ARCHIVED, archived_on__isnull=True).update(
        archived_on=today
    )
    return len(done)


def _anonymise_one(child: Child, today: dt.date) -> bool:
    with transaction.atomic():
        claimed = (
            Child.objects.filter(pk=child.pk, status=ChildStatus.ARCHIVED)
            .exclude(id_number_hash__startswith=ANONYMOUS_HASH_PREFIX)
            .update(
                name=ANONYMOUS_NAME,
                name_pinyin="",
                name_initials="",
                id_number="",
                id_number_hash=ANONYMOUS_HASH_PREFIX + secrets.token_hex(16),
                student_number="",
                birth_date=dt.date(child.birth_date.year, 1, 1),
                registered_residence="",
                residence_group="",
                residence_address="",
                health_notes="",
                disability="",
                interests="",
                personality="",
                notes="",
            )
        )
        if not claimed:
            return False
        FamilyMember.objects.filter(child_id=child.pk).delete()
        Child.history.filter(id=child.pk).delete()
        FamilyMember.history.filter(child_id=child.pk).delete()
        Pairing.objects.filter(child_id=child.pk).update(buddy_name="")
        Pairing.objects.filter(buddy_id=child.pk).update(buddy_name="", buddy=None)
        records = CareRecord.objects.filter(child_id=child.pk)
        for photo in CarePhoto.objects.filter(record__in=records):
            photo.image.delete(save=False)
            photo.delete()
        records.update(summary="", details={})
        StudyPlan.objects.filter(child_id=child.pk).update(
            goals="", measures="", schedule="", buddy_name="", closing_summary=""
        )
        StudyCheck.objects.filter(plan__child_id=child.pk).update(scores="", notes="")
        IndividualPlan.objects.filter(child_id=child.pk).update(
            reason_detail="", goals="", measures="", closing_summary=""
        )
        PlanReview.objects.filter(plan__child_id=child.pk).update(progress="", next_steps="")
        child.notification_lines.all().delete()
        child.data_requests.update(content="", requester_name=ANONYMOUS_NAME)
        child.consents.update(given_by="", note="")
        LegalAidCase.objects.filter(child_id=child.pk).update(matter="")
        LegalAidCase.history.filter(child_id=child.pk).delete()
        _log(AccessAction.ANONYMISE, [child], "retention: anonymised")
    return True


def anonymise(today: dt.date, years: int) -> int:
    return sum(
        _anonymise_one(child, today)
        for child in to_anonymise(today, years).only("pk", "county_code", "birth_date")
    )


def retention_run(
    *, today: dt.date, years: int | None = None, dry_run: bool = False
) -> RetentionResult:
    years = years or settings.CARENET_RETENTION_YEARS
    if dry_run:
        return RetentionResult(
            archived=to_archive(today).count(),
            anonymised=to_anonymise(today, years).count(),
            dry_run=True,
        )
    # Anonymise first: a file archived today must wait its full period.
    anonymised = anonymise(today, years)
    return RetentionResult(archived=archive(today), anonymised=anonymised)
