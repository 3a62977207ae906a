from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "carenet.audit"
    verbose_name = _("审计与个人信息保护")
