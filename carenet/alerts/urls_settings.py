from django.urls import path

from carenet.alerts import views_settings

app_name = "alert_rules"

urlpatterns = [
    path("plans/<int:pk>/", views_settings.plan_rules, name="edit"),
]
