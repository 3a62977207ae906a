from django.apps import AppConfig


class DashboardsConfig(AppConfig):
    name = "carenet.dashboards"
    label = "dashboards"
    verbose_name = "Dashboards"
