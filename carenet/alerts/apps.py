from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AlertsConfig(AppConfig):
    name = "carenet.alerts"
    verbose_name = _("预警")

    def ready(self) -> None:
        from carenet.alerts.listener import on_child_changed
        from carenet.lib.events import listen

        listen(on_child_changed)
