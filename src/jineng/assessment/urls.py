"""/assessment/…: plans, results, the result template and the ledgers past due (the API lives under /api/v1/)."""

from django.urls import path

from . import views

app_name = "assessment"

urlpatterns = [
    path("", views.plan_list, name="list"),
    path("new/", views.plan_new, name="new"),
    path("results-template.xlsx", views.results_template, name="results-template"),
    path("ledgers/overdue/", views.ledgers_overdue, name="ledgers-overdue"),
    path("<int:pk>/", views.plan_detail, name="detail"),
    path("<int:pk>/results/", views.results_upload, name="results-upload"),
    path("<int:pk>/cancel/", views.plan_cancel, name="cancel"),
    path("classes/<int:pk>/ledger/", views.ledger_enter, name="ledger"),
]
