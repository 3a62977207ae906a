from django.urls import path

from carenet.schoolyear import views

urlpatterns = [
    path("", views.school_year_home, name="schoolyear_home"),
    path("<int:pk>/", views.school_year_county, name="schoolyear_county"),
    path("<int:pk>/start/", views.school_year_start, name="schoolyear_start"),
    path("<int:pk>/undo/", views.school_year_undo, name="schoolyear_undo"),
    path("<int:pk>/enrol/", views.school_year_enrol, name="schoolyear_enrol"),
    path("teachers/", views.teacher_checks, name="schoolyear_teachers"),
    path("teachers/<int:pk>/confirm/", views.teacher_confirm, name="schoolyear_teacher_confirm"),
]
