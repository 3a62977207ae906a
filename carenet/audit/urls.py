from django.urls import path

from carenet.audit import views

urlpatterns = [
    path("log/", views.access_log, name="audit_log"),
    path("requests/", views.data_requests, name="audit_requests"),
    path("requests/<int:pk>/close/", views.data_request_close_view, name="audit_request_close"),
    path("consents/<int:pk>/withdraw/", views.consent_withdraw_view, name="audit_consent_withdraw"),
    path("children/<int:pk>/changes/", views.child_changes, name="audit_child_changes"),
    path("children/<int:pk>/privacy/", views.child_privacy, name="audit_child_privacy"),
    path("children/<int:pk>/reveal/", views.reveal_contacts, name="audit_reveal"),
]
