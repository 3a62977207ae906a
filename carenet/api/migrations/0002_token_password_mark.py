from django.db import migrations, models
from django.utils.crypto import salted_hmac

# As AbstractBaseUser.get_session_auth_hash (historical models have no methods).
SESSION_HASH_SALT = "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash"


def mark_existing_tokens(apps, schema_editor):
    """Tokens issued before this change were issued under the password their user has now."""
    ApiToken = apps.get_model("api", "ApiToken")
    for token in ApiToken.objects.select_related("user").filter(password_mark=""):
        token.password_mark = salted_hmac(
            SESSION_HASH_SALT, token.user.password, algorithm="sha256"
        ).hexdigest()
        token.save(update_fields=["password_mark"])


class Migration(migrations.Migration):

    dependencies = [
        ('api', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='apitoken',
            name='password_mark',
            field=models.CharField(blank=True, editable=False, max_length=128),
        ),
        migrations.RunPython(mark_existing_tokens, migrations.RunPython.noop),
    ]
