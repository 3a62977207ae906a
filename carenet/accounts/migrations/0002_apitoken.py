from django.conf import settings
from django.db import migrations, models
import django.db.models.deletion


class Migration(migrations.Migration):
    """ApiToken moves from the api app to accounts (a token is an account's credential).
    The table stays ``api_apitoken``: only Django's state moves, nothing in the database."""

    dependencies = [
        ("accounts", "0001_people"),
        ("api", "0002_token_password_mark"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ApiToken",
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('key_hash', models.CharField(editable=False, max_length=64, unique=True)),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='创建时间')),
                        ('expires_at', models.DateTimeField(verbose_name='过期时间')),
                        ('revoked_at', models.DateTimeField(blank=True, null=True, verbose_name='吊销时间')),
                        ('last_used_at', models.DateTimeField(blank=True, null=True, verbose_name='最近使用')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='api_tokens', to=settings.AUTH_USER_MODEL, verbose_name='用户')),
                        ("password_mark", models.CharField(blank=True, editable=False, max_length=128)),
                    ],
                    options={
                        "verbose_name": "接口令牌",
                        "verbose_name_plural": "接口令牌",
                        "db_table": "api_apitoken",
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
