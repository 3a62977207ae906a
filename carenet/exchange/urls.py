from django.urls import path

from carenet.exchange import views

urlpatterns = [
    path("export/", views.export, name="exchange_export"),
    path("export/register.pdf", views.export_pdf, name="exchange_export_pdf"),
    path("template/", views.template, name="exchange_template"),
    path("import/", views.import_upload, name="exchange_import"),
    path("import/<int:pk>/", views.batch_detail, name="exchange_batch"),
    path("import/<int:pk>/status/", views.batch_status, name="exchange_batch_status"),
    path("import/<int:pk>/errors/", views.batch_errors, name="exchange_batch_errors"),
    path("import/<int:pk>/mapping/", views.batch_mapping, name="exchange_batch_mapping"),
    path("import/<int:pk>/commit/", views.batch_commit, name="exchange_batch_commit"),
    path("import/<int:pk>/cancel/", views.batch_cancel, name="exchange_batch_cancel"),
]
