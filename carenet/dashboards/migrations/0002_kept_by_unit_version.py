"""Kept chart counts are valid while their school's version is current
(``indicators.kept``): the stamp of the indicators' row goes; the rows kept so far are
deleted (a cache: counted again on the next read)."""

from django.db import migrations, models


def forget(apps, schema_editor):
    apps.get_model("dashboards", "SchoolChartCounts").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("dashboards", "0001_initial"),
        ("indicators", "0003_unit_versions"),
    ]

    operations = [
        migrations.RunPython(forget, migrations.RunPython.noop),
        migrations.RemoveField(model_name="schoolchartcounts", name="stamp"),
        migrations.AddField(
            model_name="schoolchartcounts",
            name="rules",
            field=models.CharField(default="", max_length=200),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="schoolchartcounts",
            name="version",
            field=models.BigIntegerField(default=0),
        ),
    ]
