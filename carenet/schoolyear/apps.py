from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SchoolYearConfig(AppConfig):
    name = "carenet.schoolyear"
    verbose_name = _("学年升级")
