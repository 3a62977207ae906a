from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupportConfig(AppConfig):
    name = "carenet.support"
    verbose_name = _("法律援助与家长学校")
