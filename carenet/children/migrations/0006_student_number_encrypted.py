"""The student number (学籍号, usually "G" + the ID number) encrypted at rest like the ID
number, in the children table and its history table.

The column becomes text (a ciphertext is longer than 30 characters), then the values on
file are encrypted in batches through plain SQL (the same on SQLite and PostgreSQL).
Backwards, the values are decrypted first and the column narrowed again. SQLite rebuilds
the children tables for the altered column, which drops the indicator triggers: they are
created again (see 0004).
"""

from django.db import migrations

import carenet.lib.crypto
from carenet.indicators.triggers import create_after_rebuild, drop_for_rebuild
from carenet.lib.crypto import PREFIX, decrypt, encrypt_many

TABLES = ("children_child", "children_historicalchild")
KEYS = {"children_child": "id", "children_historicalchild": "history_id"}
BATCH = 500


def _rewrite(schema_editor, change) -> None:
    """Rewrite every non-empty student number with ``change`` (a batch → a batch)."""
    connection = schema_editor.connection
    quote = connection.ops.quote_name
    for table in TABLES:
        key = KEYS[table]
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {quote(key)}, {quote('student_number')} FROM {quote(table)} "
                f"WHERE {quote('student_number')} <> '' ORDER BY {quote(key)}"
            )
            rows = cursor.fetchall()
        for start in range(0, len(rows), BATCH):
            batch = rows[start : start + BATCH]
            values = change([value for _pk, value in batch])
            updates = [
                (new, pk) for (pk, old), new in zip(batch, values, strict=True) if new != old
            ]
            if updates:
                with connection.cursor() as cursor:
                    cursor.executemany(
                        f"UPDATE {quote(table)} SET {quote('student_number')} = %s "
                        f"WHERE {quote(key)} = %s",
                        updates,
                    )


def _encrypt(values: list[str]) -> list[str]:
    plain = [i for i, v in enumerate(values) if not v.startswith(PREFIX)]
    tokens = encrypt_many([values[i] for i in plain])
    out = list(values)
    for i, token in zip(plain, tokens, strict=True):
        out[i] = token
    return out


def encrypt_student_numbers(apps, schema_editor) -> None:
    _rewrite(schema_editor, _encrypt)


def decrypt_student_numbers(apps, schema_editor) -> None:
    _rewrite(schema_editor, lambda values: [decrypt(v) for v in values])


class Migration(migrations.Migration):
    dependencies = [
        ("children", "0005_child_leaving"),
    ]

    operations = [
        migrations.RunPython(drop_for_rebuild, create_after_rebuild),
        migrations.AlterField(
            model_name="child",
            name="student_number",
            field=carenet.lib.crypto.EncryptedCharField(
                blank=True, default="", verbose_name="学籍号"
            ),
        ),
        migrations.AlterField(
            model_name="historicalchild",
            name="student_number",
            field=carenet.lib.crypto.EncryptedCharField(
                blank=True, default="", verbose_name="学籍号"
            ),
        ),
        migrations.RunPython(create_after_rebuild, drop_for_rebuild),
        migrations.RunPython(encrypt_student_numbers, decrypt_student_numbers),
    ]
