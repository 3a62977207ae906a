"""The child, kind and due date of a message live in its lines (0003 copied them): a
migration of its own, so that on PostgreSQL the copy is committed before the columns go."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("notify", "0003_digest"),
    ]

    operations = [
        migrations.RemoveField(
            model_name="notification",
            name="care_kind",
        ),
        migrations.RemoveField(
            model_name="notification",
            name="child",
        ),
        migrations.RemoveField(
            model_name="notification",
            name="due_date",
        ),
    ]
