from django.urls import path

from carenet.pairing import views

urlpatterns = [
    path("", views.pairing_home, name="pairing_home"),
    path("<int:pk>/", views.pairing_school, name="pairing_school"),
    path("<int:pk>/assign/", views.pairing_assign, name="pairing_assign"),
    path("<int:pk>/auto/", views.pairing_auto, name="pairing_auto"),
    path("<int:pk>/handover/", views.pairing_handover, name="pairing_handover"),
    path("<int:pk>/buddies/", views.pairing_buddies, name="pairing_buddies"),
    path("<int:pk>/buddies/assign/", views.pairing_buddy_assign, name="pairing_buddy_assign"),
    path("<int:pk>/buddies/end/", views.pairing_buddy_end, name="pairing_buddy_end"),
]
