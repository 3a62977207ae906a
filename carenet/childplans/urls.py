from django.urls import path

from carenet.childplans import views

urlpatterns = [
    path("children/<int:pk>/study/new/", views.study_new, name="childplans_study_new"),
    path(
        "children/<int:pk>/individual/new/",
        views.individual_new,
        name="childplans_individual_new",
    ),
    path("study/<int:pk>/", views.study_detail, name="childplans_study_detail"),
    path("study/<int:pk>/edit/", views.study_edit, name="childplans_study_edit"),
    path("study/<int:pk>/checks/", views.study_check_add, name="childplans_study_check"),
    path("study/<int:pk>/close/", views.study_close, name="childplans_study_close"),
    path("individual/<int:pk>/", views.individual_detail, name="childplans_individual_detail"),
    path("individual/<int:pk>/reviews/", views.review_add, name="childplans_review_add"),
    path("individual/<int:pk>/close/", views.individual_close, name="childplans_individual_close"),
]
