from django.urls import path

from carenet.accounts import people_views as views

urlpatterns = [
    path("", views.people_list, name="people_list"),
    path("new/", views.people_new, name="people_new"),
    path("activation-sheet/", views.people_activation_sheet, name="people_activation_sheet"),
    path("<int:pk>/", views.people_detail, name="people_detail"),
    path(
        "<int:pk>/roles/<int:membership_pk>/remove/",
        views.people_role_remove,
        name="people_role_remove",
    ),
    path("<int:pk>/deactivate/", views.people_deactivate, name="people_deactivate"),
    path("<int:pk>/reactivate/", views.people_reactivate, name="people_reactivate"),
    path("<int:pk>/reset/", views.people_reset, name="people_reset"),
]
