"""Field key rotation: re-encrypt every encrypted column under a new key and recompute
the blind indexes, batch by batch, each batch in its own transaction.

Resumable: a row whose values already carry the new key's id is skipped, so an
interrupted rotation is finished by running the same command again. Values are read with
the new key or any old one (the current CARENET_FIELD_KEY and CARENET_FIELD_KEY_OLD).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.apps import apps
from django.conf import settings
from django.db import models, transaction
from django.db.models import Q

from carenet.lib.crypto import PREFIX, EncryptedCharField, blind_index, key_id

# Index column → the value it hashes (a staff phone: carenet.accounts.models.Person).
BLIND_INDEXES = {"id_number_hash": "id_number", "phone_hash": "phone"}


@dataclass
class RotationResult:
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def encrypted_models() -> list[tuple[type[models.Model], list[str]]]:
    """Every model (history tables included) with encrypted columns, and those columns."""
    found = []
    for model in apps.get_models():
        names = [
            f.attname for f in model._meta.concrete_fields if isinstance(f, EncryptedCharField)
        ]
        if names:
            found.append((model, names))
    return found


@contextmanager
def _keys(new_key: str) -> Iterator[None]:
    """Write with the new key; read with the new key or any old one."""
    old_current, old_retired = settings.FIELD_KEY, list(getattr(settings, "FIELD_KEYS_OLD", []))
    settings.FIELD_KEY = new_key
    settings.FIELD_KEYS_OLD = [old_current, *old_retired]
    try:
        yield
    finally:
        settings.FIELD_KEY, settings.FIELD_KEYS_OLD = old_current, old_retired


def _rotate_model(
    model: type[models.Model], names: list[str], new_prefix: str, batch_size: int
) -> int:
    done = Q()
    for name in names:
        done &= (
            Q(**{f"{name}__startswith": new_prefix})
            | Q(**{name: ""})
            | Q(**{f"{name}__isnull": True})
        )
    pk = model._meta.pk.attname
    field_names = {f.attname for f in model._meta.concrete_fields}
    indexes = {
        column: source
        for column, source in BLIND_INDEXES.items()
        if column in field_names and source in names
    }
    todo = model._base_manager.exclude(done).order_by(pk)
    last, count = None, 0
    while True:
        rows = todo.filter(**({f"{pk}__gt": last} if last is not None else {}))
        batch = list(rows.values_list(pk, *names)[:batch_size])
        if not batch:
            return count
        with transaction.atomic():
            for row in batch:
                values = dict(zip(names, row[1:], strict=True))
                for column, source in indexes.items():
                    if values[source]:
                        values[column] = blind_index(values[source])
                model._base_manager.filter(**{pk: row[0]}).update(**values)
        count += len(batch)
        last = batch[-1][0]


def rotate_field_key(
    new_key: str, *, batch_size: int = 500, progress: Callable[[str], None] | None = None
) -> RotationResult:
    """Re-encrypt everything under ``new_key`` (the current key is the old one)."""
    if not new_key or new_key == settings.FIELD_KEY:
        raise ValueError("the new key must differ from the current CARENET_FIELD_KEY")
    new_prefix = f"{PREFIX}{key_id(new_key)}:"
    result = RotationResult()
    with _keys(new_key):
        for model, names in encrypted_models():
            label = model._meta.label
            result.rows[label] = _rotate_model(model, names, new_prefix, batch_size)
            if progress:
                progress(f"{label}: {result.rows[label]} row(s) re-encrypted")
    return result
