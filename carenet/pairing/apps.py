from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PairingConfig(AppConfig):
    name = "carenet.pairing"
    verbose_name = _("结对帮扶")
