from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SafeguardConfig(AppConfig):
    name = "carenet.safeguard"
    verbose_name = _("强制报告与应急处置")
