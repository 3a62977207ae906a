"""The triggers on the tables the kept counts are made from (carenet/indicators/triggers.py).

They bump the units' versions since 0003, which creates the versions' table: until it
exists ``create_triggers`` creates nothing."""

from django.db import migrations

from carenet.indicators.triggers import create_triggers, drop_statements


def create(apps, schema_editor):
    create_triggers(schema_editor.connection)


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
