from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChildrenConfig(AppConfig):
    name = "carenet.children"
    verbose_name = _("儿童档案")
