import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from carenet.audit.keys import rotate_field_key
from carenet.audit.models import AccessAction
from carenet.audit.services import audit_log
from carenet.lib.crypto import key_id


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted field (history tables included) with a new field key and "
        "recompute the blind indexes. The current CARENET_FIELD_KEY is the old key; the new "
        "one comes from --new-key-file or CARENET_FIELD_KEY_NEW. Resumable: run it again "
        "after an interruption. Stop the server first."
    )

    def add_arguments(self, parser):
        parser.add_argument("--new-key-file", metavar="PATH", help="file holding the new key")
        parser.add_argument("--batch-size", type=int, default=500, help="rows per transaction")

    def handle(self, *args, new_key_file=None, batch_size=500, **options):
        if new_key_file:
            try:
                new_key = Path(new_key_file).read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise CommandError(f"--new-key-file: cannot read {new_key_file}: {exc}") from exc
        else:
            new_key = os.environ.get("CARENET_FIELD_KEY_NEW", "").strip()
        if len(new_key) < 32:
            raise CommandError(
                "the new key is missing or shorter than 32 characters "
                "(--new-key-file PATH or CARENET_FIELD_KEY_NEW)"
            )
        if batch_size < 1:
            raise CommandError("--batch-size: must be at least 1")
        try:
            result = rotate_field_key(new_key, batch_size=batch_size, progress=self.stdout.write)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        audit_log(
            request=None,
            user=None,
            action=AccessAction.KEY_ROTATION,
            detail=f"{result.total} rows → key {key_id(new_key)}",
        )
        self.stdout.write(
            f"Done: {result.total} row(s) now sealed with key {key_id(new_key)}.\n"
            "Next: make the new key the field key before restarting CareNet — write it to "
            "$CARENET_HOME/field_key (or set CARENET_FIELD_KEY / CARENET_FIELD_KEY_FILE), "
            "and keep the old key offline until a backup taken after the rotation has been "
            "checked. While both are needed, CARENET_FIELD_KEY_OLD=<old key> lets CareNet "
            "read values sealed with the old one."
        )
