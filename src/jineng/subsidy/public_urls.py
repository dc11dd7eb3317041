"""Pages anyone may read without logging in: the public notice of subsidy claims (SUB-PUBLIC-NOTICE)."""

from django.urls import path

from . import views

app_name = "public"

urlpatterns = [
    path("notices/", views.public_list, name="notices"),
    path("notices/<int:pk>/", views.public_detail, name="notice"),
]
