from django.contrib import admin
from django.urls import include, path

from carenet.web.views_health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("api/v1/", include("carenet.api.urls")),
    path("admin/", admin.site.urls),
    path("care/", include("carenet.care.urls")),
    path("pairing/", include("carenet.pairing.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("carenet.web.urls")),
]
