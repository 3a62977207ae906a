from django.contrib import admin
from django.urls import include, path

from carenet.accounts.people_views import activate
from carenet.audit.views import privacy_notice
from carenet.web.views_health import healthz
from carenet.web.views_setup import setup

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("setup/", setup, name="setup"),
    path("api/v1/", include("carenet.api.urls")),
    path("admin/", admin.site.urls),
    path("care/", include("carenet.care.urls")),
    path("alert-rules/", include("carenet.alerts.urls_settings")),
    path("attendance/", include("carenet.alerts.urls_attendance")),
    path("pairing/", include("carenet.pairing.urls")),
    path("plans/", include("carenet.childplans.urls")),
    path("safeguard/", include("carenet.safeguard.urls")),
    path("alerts/", include("carenet.alerts.urls")),
    path("inbox/", include("carenet.notify.urls")),
    path("exchange/", include("carenet.exchange.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("audit/", include("carenet.audit.urls")),
    path("reports/", include("carenet.reports.urls")),
    path("dashboard/", include("carenet.dashboards.urls")),
    path("support/", include("carenet.support.urls")),
    path("orgs/", include("carenet.web.urls_schools")),
    path("school-year/", include("carenet.schoolyear.urls")),
    path("privacy/", privacy_notice, name="privacy_notice"),
    path("account/", include("carenet.accounts.urls")),
    path("people/", include("carenet.accounts.people_urls")),
    path("activate/", activate, name="activate"),
    path("", include("carenet.web.urls_offline")),
    path("", include("carenet.web.urls")),
]

# A host not in CARENET_ALLOWED_HOSTS gets a 400 that says how to add it.
handler400 = "carenet.web.errors.bad_request"
