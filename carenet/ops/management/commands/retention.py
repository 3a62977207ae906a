import datetime as dt

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from carenet.exchange.uploads import import_uploads_expire
from carenet.ops.retention import retention_run


class Command(BaseCommand):
    help = (
        "Archive child files of children who left or turned 16, and anonymise archived "
        "files older than CARENET_RETENTION_YEARS (default 3); delete register uploads "
        "and import previews older than IMPORT_UPLOAD_HOURS. Safe to run twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("--today", metavar="DATE", help="the day to run for (YYYY-MM-DD)")
        parser.add_argument("--years", type=int, help="override CARENET_RETENTION_YEARS")
        parser.add_argument("--dry-run", action="store_true", help="count, change nothing")

    def handle(self, *args, today=None, years=None, dry_run=False, **options):
        try:
            day = dt.date.fromisoformat(today) if today else timezone.localdate()
        except ValueError:
            raise CommandError(f"--today: not a date (YYYY-MM-DD): {today!r}") from None
        if years is not None and years < 1:
            raise CommandError("--years: must be at least 1")
        result = retention_run(
            today=day, years=years or settings.CARENET_RETENTION_YEARS, dry_run=dry_run
        )
        self.stdout.write(result.describe())
        if not dry_run:
            expired = import_uploads_expire(now=timezone.now(), hours=settings.IMPORT_UPLOAD_HOURS)
            self.stdout.write(expired.describe())
