from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChildPlansConfig(AppConfig):
    name = "carenet.childplans"
    verbose_name = _("个人帮扶方案")
