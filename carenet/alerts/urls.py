from django.urls import path

from carenet.alerts import views

app_name = "alerts"

urlpatterns = [
    path("", views.inbox, name="alert_inbox"),
    path("<int:pk>/", views.detail, name="alert_detail"),
    path("<int:pk>/acknowledge/", views.acknowledge, name="alert_acknowledge"),
    path("<int:pk>/assign/", views.assign, name="alert_assign"),
    path("<int:pk>/escalate/", views.escalate, name="alert_escalate"),
    path("<int:pk>/note/", views.note, name="alert_note"),
    path("<int:pk>/resolve/", views.resolve, name="alert_resolve"),
    path("<int:pk>/reopen/", views.reopen, name="alert_reopen"),
    path("child/<int:child_id>/risk/", views.risk, name="alert_risk"),
]
