"""The app installed on a phone and used offline (carenet.web.offline)."""

from django.urls import path

from carenet.web import offline

urlpatterns = [
    path("manifest.webmanifest", offline.manifest, name="pwa_manifest"),
    path("sw.js", offline.service_worker, name="pwa_service_worker"),
    path("offline/", offline.outbox, name="offline_outbox"),
    path("offline/session.json", offline.session, name="offline_session"),
]
