from django.urls import path

from carenet.web import views_schools as views

urlpatterns = [
    path("schools/", views.schools, name="org_schools"),
    path("schools/new/", views.school_new, name="org_school_new"),
    path("schools/import/", views.school_import, name="org_school_import"),
    path("schools/import/commit/", views.school_import_commit, name="org_school_import_commit"),
    path("schools/<int:pk>/", views.school_detail, name="org_school"),
    path("schools/<int:pk>/rename/", views.school_rename, name="org_school_rename"),
    path("schools/<int:pk>/move/", views.school_move, name="org_school_move"),
    path("schools/<int:pk>/merge/", views.school_merge, name="org_school_merge"),
    path("schools/<int:pk>/close/", views.school_close, name="org_school_close"),
    path("schools/<int:pk>/classes/", views.school_classes, name="org_school_classes"),
]
