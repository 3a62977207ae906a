from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate


def _triggers_after_migrate(using: str, **kwargs) -> None:
    # SQLite drops a table's triggers when a migration rebuilds the table.
    from carenet.indicators.triggers import create_triggers

    create_triggers(connections[using])


class IndicatorsConfig(AppConfig):
    name = "carenet.indicators"
    label = "indicators"
    verbose_name = "Indicators"

    def ready(self) -> None:
        post_migrate.connect(_triggers_after_migrate, sender=self)
