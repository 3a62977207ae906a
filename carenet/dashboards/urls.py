from django.urls import path

from carenet.dashboards import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("indicators/", views.indicators, name="dashboard_indicators"),
    path("indicators/<str:key>/", views.indicator_list, name="dashboard_indicator_list"),
]
