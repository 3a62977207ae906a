"""Kept counts without a lock (``carenet.indicators.kept``): the units' versions, the
version each kept row was counted at, and the triggers that bump the versions instead of
deleting kept rows (``triggers.py``; replaced in place on PostgreSQL, dropped and created
on SQLite)."""

import django.db.models.deletion
from django.db import migrations, models

from carenet.indicators.triggers import create_triggers, drop_triggers


def create(apps, schema_editor):
    create_triggers(schema_editor.connection)


def drop(apps, schema_editor):
    drop_triggers(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("indicators", "0002_stale_triggers"),
        ("orgs", "0002_counselor_role"),
    ]

    operations = [
        migrations.CreateModel(
            name="UnitVersion",
            fields=[
                (
                    "unit",
                    models.OneToOneField(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="orgs.org",
                    ),
                ),
                ("version", models.BigIntegerField(default=0)),
            ],
        ),
        migrations.AddField(
            model_name="schoolfigures",
            name="version",
            field=models.BigIntegerField(default=0),
        ),
        migrations.RunPython(create, drop),
    ]
