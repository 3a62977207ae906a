from django.db import migrations


class Migration(migrations.Migration):
    """ApiToken now belongs to accounts (``accounts.0002_apitoken``), on the same table."""

    dependencies = [
        ("api", "0002_token_password_mark"),
        ("accounts", "0002_apitoken"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="ApiToken")],
            database_operations=[],
        ),
    ]
