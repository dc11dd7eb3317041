"""The site's URLs plus the password change pages the lead wires into jineng/urls.py."""

from django.contrib.auth import views as auth_views
from django.urls import path

from jineng.urls import urlpatterns as site

urlpatterns = [
    *site,
    path(
        "password/change/",
        auth_views.PasswordChangeView.as_view(template_name="registration/password_change.html"),
        name="password_change",
    ),
    path(
        "password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(template_name="registration/password_change_done.html"),
        name="password_change_done",
    ),
]
