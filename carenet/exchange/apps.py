from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExchangeConfig(AppConfig):
    name = "carenet.exchange"
    verbose_name = _("花名册导入导出")
