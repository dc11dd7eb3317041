"""/classes/…: the class pages (the JSON API lives under /api/v1/)."""

from django.urls import path

from . import views

app_name = "classes"

urlpatterns = [
    path("", views.classes_index, name="list"),
    path("new/", views.class_new, name="new"),
    path("roster-template.<str:fmt>", views.roster_template, name="roster-template"),
    path("<int:pk>/", views.class_detail, name="detail"),
    path("<int:pk>/findings/", views.findings_panel, name="findings"),
    path("<int:pk>/findings/preview/", views.findings_preview, name="findings-preview"),
    path("<int:pk>/edit/", views.class_edit, name="edit"),
    path("<int:pk>/teachers/", views.class_teachers, name="teachers"),
    path("<int:pk>/roster/import/", views.roster_upload, name="roster-import"),
    path("<int:pk>/roster/<int:enrollment_id>/remove/", views.roster_delete, name="roster-remove"),
    path("<int:pk>/act/", views.class_act, name="act"),
]
