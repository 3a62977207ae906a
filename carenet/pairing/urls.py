from django.urls import path

from carenet.pairing import views

urlpatterns = [
    path("", views.pairing_home, name="pairing_home"),
    path("<int:pk>/", views.pairing_school, name="pairing_school"),
    path("<int:pk>/assign/", views.pairing_assign, name="pairing_assign"),
    path("<int:pk>/auto/", views.pairing_auto, name="pairing_auto"),
    path("<int:pk>/handover/", views.pairing_handover, name="pairing_handover"),
]
