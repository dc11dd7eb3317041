"""/audit/: the audit log, for the audit administrator only."""

from django.urls import path

from . import views

app_name = "audit"

urlpatterns = [
    path("", views.events, name="events"),
    path("verify/", views.verify, name="verify"),
]
