from django.urls import path

from carenet.care import views

urlpatterns = [
    path("tasks/", views.task_list, name="care_tasks"),
    path("children/<int:pk>/records/new/", views.record_new, name="care_record_new"),
    path("photos/<int:pk>/", views.record_photo, name="care_record_photo"),
    path("plans/", views.plan_list, name="care_plans"),
    path("plans/<int:pk>/", views.plan_detail, name="care_plan_detail"),
    path("plans/<int:pk>/edit/", views.plan_edit, name="care_plan_edit"),
]
