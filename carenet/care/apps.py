from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CareConfig(AppConfig):
    name = "carenet.care"
    verbose_name = _("关爱工作")
