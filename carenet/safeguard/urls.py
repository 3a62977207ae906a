from django.urls import path

from carenet.safeguard import views

app_name = "safeguard"

urlpatterns = [
    path("", views.index, name="index"),
    path("figures/", views.figures, name="figures"),
    path("reports/new/", views.report_new, name="report_new"),
    path("reports/<int:pk>/", views.report_detail, name="report_detail"),
    path("reports/<int:pk>/make/", views.report_make, name="report_make"),
    path("reports/<int:pk>/receipt/", views.report_receipt, name="report_receipt"),
    path("reports/<int:pk>/follow-ups/", views.follow_up_add, name="follow_up_add"),
    path("reports/<int:pk>/close/", views.report_close, name="report_close"),
    path("reports/<int:pk>/form.pdf", views.report_form_pdf, name="report_form_pdf"),
    path("reports/<int:pk>/form.docx", views.report_form_docx, name="report_form_docx"),
    path("emergencies/new/", views.emergency_new, name="emergency_new"),
    path("emergencies/<int:pk>/", views.emergency_detail, name="emergency_detail"),
    path("emergencies/<int:pk>/steps/<int:step>/", views.emergency_step, name="emergency_step"),
    path("emergencies/<int:pk>/close/", views.emergency_close, name="emergency_close"),
]
