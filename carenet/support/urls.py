from django.urls import path

from carenet.support import views

urlpatterns = [
    path("children/<int:pk>/legal-aid/", views.legal_aid_list, name="support_legal_aid"),
    path("children/<int:pk>/legal-aid/new/", views.legal_aid_new, name="support_legal_aid_new"),
    path("legal-aid/<int:pk>/edit/", views.legal_aid_edit, name="support_legal_aid_edit"),
    path("legal-aid/<int:pk>/close/", views.legal_aid_close, name="support_legal_aid_close"),
    path("parent-school/", views.sessions_home, name="support_sessions_home"),
    path("parent-school/orgs/<int:pk>/", views.sessions, name="support_sessions"),
    path("parent-school/orgs/<int:pk>/new/", views.session_new, name="support_session_new"),
    path("parent-school/<int:pk>/edit/", views.session_edit, name="support_session_edit"),
    path("activities/", views.activities_home, name="support_activities_home"),
    path("activities/orgs/<int:pk>/", views.activities, name="support_activities"),
    path("activities/orgs/<int:pk>/new/", views.activity_new, name="support_activity_new"),
    path("activities/<int:pk>/edit/", views.activity_edit, name="support_activity_edit"),
]
