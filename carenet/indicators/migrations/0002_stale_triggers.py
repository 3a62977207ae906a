"""The triggers that delete stale kept counts (carenet/indicators/triggers.py)."""

from django.db import migrations

from carenet.indicators.triggers import drop_statements, statements


def create(apps, schema_editor):
    for sql in statements(schema_editor.connection.vendor):
        schema_editor.execute(sql)


def drop(apps, schema_editor):
    for sql in drop_statements(schema_editor.connection.vendor):
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("indicators", "0001_initial"),
        ("children", "0001_initial"),
        ("care", "0001_initial"),
        ("support", "0001_initial"),
    ]

    operations = [migrations.RunPython(create, drop)]
