"""/targets/…: the progress dashboards, the drill-down and HR's writes (the JSON API lives under /api/v1/)."""

from django.urls import path

from . import bulletin_views, views

app_name = "targets"

urlpatterns = [
    path("", views.overview_page, name="overview"),
    path("areas/", views.areas_page, name="areas"),
    path("departments/", views.departments_page, name="departments"),
    path("actions/", views.actions_page, name="actions"),
    path("indicators/", views.indicators_page, name="indicators"),
    path("indicators/competitions/", views.competition_new, name="competition-new"),
    path("indicators/filings/", views.filing_new, name="filing-new"),
    path("indicators/publicity/", views.publicity_new, name="publicity-new"),
    path("classes/", views.classes_page, name="classes"),
    path("refresh/", views.refresh, name="refresh"),
    path("bulletin/", bulletin_views.bulletin_form, name="bulletin"),
    path("bulletin/download/", bulletin_views.bulletin_download, name="bulletin-download"),
]
