from django.urls import path

from carenet.reports import views, views_printables

urlpatterns: list = [
    path("", views.index, name="reports_index"),
    path("summary/", views.summary, name="reports_summary"),
    path("plan/", views.plan, name="reports_plan"),
    # Printables: class cards (PDF) and the statistics table (.xlsx), views_printables.py
    path("cards/", views_printables.cards, name="reports_cards"),
    path(
        "classes/<int:class_id>/contact-cards.pdf",
        views_printables.contact_cards_pdf,
        name="reports_contact_cards",
    ),
    path(
        "classes/<int:class_id>/talk-cards.pdf",
        views_printables.talk_cards_pdf,
        name="reports_talk_cards",
    ),
    path("statistics/", views_printables.statistics, name="reports_statistics"),
    path("statistics.xlsx", views_printables.statistics_xlsx, name="reports_statistics_xlsx"),
]
