from django.urls import path

from carenet.care import views

urlpatterns = [
    path("tasks/", views.task_list, name="care_tasks"),
    path("children/<int:pk>/records/new/", views.record_new, name="care_record_new"),
]
