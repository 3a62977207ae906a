"""``carenet manage pair_auto --school CODE [--date YYYY-MM-DD]``: automatic pairing of a
school from the command line, printing who was paired and who could not be, and why."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from carenet.lib.names import user_name
from carenet.orgs.models import Org, OrgKind
from carenet.pairing.services import pairing_auto_assign


class Command(BaseCommand):
    help = "Give every left-behind child of a school without a mentor a teacher mentor."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--school", required=True, help="the school's code")
        parser.add_argument(
            "--date", type=dt.date.fromisoformat, help="start date of the pairings (today)"
        )

    def handle(self, *args, school: str, date: dt.date | None, **options) -> None:
        found = Org.objects.filter(code=school, kind=OrgKind.SCHOOL).first()
        if found is None:
            raise CommandError(f"no school with code {school!r}")
        result = pairing_auto_assign(actor=None, school=found, on=date or timezone.localdate())
        for a in result.assigned:
            self.stdout.write(f"paired\t{a.child.name}\t{user_name(a.mentor)}\t{a.why}")
        for u in result.unassigned:
            self.stdout.write(f"unpaired\t{u.child.name}\t{u.reason}")
        self.stdout.write(f"{len(result.assigned)} paired, {len(result.unassigned)} left unpaired")
