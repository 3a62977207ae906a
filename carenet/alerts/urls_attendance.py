from django.urls import path

from carenet.alerts import views_attendance as views

app_name = "attendance"

urlpatterns = [
    path("", views.class_list, name="classes"),
    path("classes/<int:pk>/", views.class_page, name="class"),
    path("classes/<int:pk>/scores/", views.class_scores, name="class_scores"),
    path("children/<int:pk>/", views.child_page, name="child"),
    path("children/<int:pk>/absence/", views.absence_new, name="absence"),
    path("absences/<int:pk>/delete/", views.absence_delete, name="absence_delete"),
]
