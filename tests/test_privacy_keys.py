"""Field key rotation: everything re-encrypted under the new key, blind indexes recomputed."""

import datetime as dt

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from carenet.audit.keys import encrypted_models, rotate_field_key
from carenet.care.services import record_create
from carenet.children.models import Child, FamilyMember
from carenet.lib.crypto import blind_index, decrypt, key_id

pytestmark = pytest.mark.django_db
OLD = "o" * 48
NEW = "n" * 48


def _raw(table, column):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE {column} <> ''")  # noqa: S608
        return [row[0] for row in cursor.fetchall()]


@pytest.fixture
def old_key(settings):
    settings.FIELD_KEY = OLD
    settings.FIELD_KEYS_OLD = []
    return settings


def test_every_encrypted_table_is_found():
    labels = {model._meta.label for model, _ in encrypted_models()}
    assert {
        "children.Child",
        "children.HistoricalChild",
        "children.FamilyMember",
        "children.HistoricalFamilyMember",
        "care.CareRecord",
        "audit.DataRequest",
    } <= labels


def test_rotation_reencrypts_everything_and_lookups_work(old_key, world, capsys, tmp_path):
    record_create(
        actor=world.user("teacher"),
        child=world.own_child,
        kind="talk",
        date=dt.date(2026, 1, 5),
        summary="谈心",
    )
    ids = dict(Child.objects.values_list("pk", "id_number"))
    key_file = tmp_path / "new_key"
    key_file.write_text(NEW + "\n")
    call_command("rotate_field_key", "--new-key-file", str(key_file), "--batch-size", "2")
    out = capsys.readouterr().out
    assert "children.Child: 5 row(s)" in out and "field_key" in out
    for table, column in [
        ("children_child", "id_number"),
        ("children_historicalchild", "id_number"),
        ("children_familymember", "phone"),
        ("children_historicalfamilymember", "phone"),
        ("care_carerecord", "summary"),
    ]:
        values = _raw(table, column)
        assert values and all(v.startswith(f"v1:{key_id(NEW)}:") for v in values), table
    # With the new key configured: everything decrypts, lookups by ID number work.
    old_key.FIELD_KEY = NEW
    assert dict(Child.objects.values_list("pk", "id_number")) == ids
    for pk, number in ids.items():
        assert Child.objects.get(id_number_hash=blind_index(number)).pk == pk
    assert {m.phone for m in FamilyMember.objects.all()} >= {"13812345678"}
    assert world.own_child.care_records.get().summary == "谈心"
    # With the old key alone, nothing opens.
    old_key.FIELD_KEY = OLD
    with pytest.raises(ValueError, match="no configured field key"):
        list(Child.objects.values_list("id_number", flat=True))
    # Running it again (resume) has nothing left to do.
    old_key.FIELD_KEY, old_key.FIELD_KEYS_OLD = NEW, [OLD]
    assert rotate_field_key("x" * 48).total > 0  # a further rotation still reads everything


def test_an_interrupted_rotation_is_resumed(old_key, world):
    first = rotate_field_key(NEW, batch_size=1)
    assert first.total > 0
    again = rotate_field_key(NEW, batch_size=1)
    assert again.total == 0


def test_legacy_values_without_a_key_id_still_open(old_key):
    import base64
    import os

    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from carenet.lib.crypto import _encryption_key

    nonce = os.urandom(12)
    sealed = AESGCM(_encryption_key(OLD)).encrypt(nonce, b"340827", None)
    legacy = "v1:" + base64.b64encode(nonce + sealed).decode()
    assert decrypt(legacy) == "340827"
    assert decrypt(legacy, [NEW, OLD]) == "340827"


def test_the_command_refuses_a_missing_or_same_key(old_key, tmp_path, monkeypatch):
    monkeypatch.delenv("CARENET_FIELD_KEY_NEW", raising=False)
    with pytest.raises(CommandError, match="missing"):
        call_command("rotate_field_key")
    same = tmp_path / "same"
    same.write_text(OLD)
    with pytest.raises(CommandError, match="differ"):
        call_command("rotate_field_key", "--new-key-file", str(same))
    with pytest.raises(CommandError, match="cannot read"):
        call_command("rotate_field_key", "--new-key-file", str(tmp_path / "nope"))
