import re

from django.db import migrations, models

NUMERALS = ("", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二")


def _level(name):
    """As carenet.orgs.grades.grade_level when this migration was written."""
    match = re.match(r"^\s*(十[一二]?|[一二三四五六七八九]|\d{1,2})\s*年级\s*$", name)
    if match:
        text = match.group(1)
        level = int(text) if text.isdigit() else NUMERALS.index(text)
    else:
        match = re.match(r"^\s*([初高])\s*([一二三123])\s*(年级)?\s*$", name)
        if not match:
            return None
        text = match.group(2)
        level = {"初": 6, "高": 9}[match.group(1)] + (
            int(text) if text.isdigit() else NUMERALS.index(text)
        )
    return level if 1 <= level <= 12 else None


def grade_levels(apps, schema_editor):
    Org = apps.get_model("orgs", "Org")
    for grade in Org.objects.filter(kind="grade", level__isnull=True):
        level = _level(grade.name)
        if level is not None:
            Org.objects.filter(pk=grade.pk).update(level=level)


class Migration(migrations.Migration):

    dependencies = [
        ('orgs', '0002_counselor_role'),
    ]

    operations = [
        migrations.AddField(
            model_name='org',
            name='closed_on',
            field=models.DateField(blank=True, null=True, verbose_name='撤销/关闭日期'),
        ),
        migrations.AddField(
            model_name='org',
            name='level',
            field=models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='年级序号'),
        ),
        migrations.AlterField(
            model_name='org',
            name='stage',
            field=models.CharField(blank=True, choices=[('primary', '小学'), ('middle', '初中'), ('nine_year', '九年一贯制'), ('full_secondary', '完全中学'), ('teaching_point', '教学点'), ('kindergarten', '幼儿园')], max_length=16, verbose_name='学段'),
        ),
        migrations.RunPython(grade_levels, migrations.RunPython.noop),
    ]
