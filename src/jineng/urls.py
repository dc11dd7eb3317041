from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from .accounts import views as account_views
from .api import api
from .classes.views import todo
from .supervision import views as supervision_views
from .web import views as web

admin.site.site_header = "jineng 系统管理"
admin.site.site_title = "jineng 系统管理"

urlpatterns = [
    path("", web.home, name="home"),
    path("healthz", web.healthz, name="healthz"),
    path("rules/", web.rules, name="rules"),
    path("check-class/", web.check_class, name="check-class"),
    path("todo/", todo, name="todo"),
    path("classes/", include("jineng.classes.urls")),
    path("audit/", include("jineng.audit.urls")),
    path("assessment/", include("jineng.assessment.urls")),
    path("subsidy/", include("jineng.subsidy.urls")),
    path("vouchers/", include("jineng.vouchers.urls")),
    path("targets/", include("jineng.targets.urls")),
    path("public/", include("jineng.subsidy.public_urls")),
    path("supervision/videos/expiring/", supervision_views.videos_expiring, name="videos-expiring"),
    # Two steps: the password, then the TOTP code for the roles that have one (jineng.accounts.views).
    path("login/", account_views.LoginView.as_view(), name="login"),
    path("login/otp/", account_views.login_otp, name="login-otp"),
    path("security/totp/", account_views.totp_admin, name="totp-admin"),
    path("security/totp/<int:user_id>/reset/", account_views.totp_reset_view, name="totp-reset"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
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
    path("api/v1/", api.urls),
    # The admin's own login form would let a password alone in: it sends to the two-step login instead.
    path("admin/login/", RedirectView.as_view(pattern_name="login", query_string=True)),
    path("admin/", admin.site.urls),
]
