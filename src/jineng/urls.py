from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

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
    path("login/", auth_views.LoginView.as_view(), name="login"),
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
    path("admin/", admin.site.urls),
]
