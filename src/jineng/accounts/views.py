"""Login in two steps and the security administrator's TOTP page.

Step 1 (/login/) is Django's LoginView: username and password through `authenticate()`, so the
lock, the failure audit and the attempt log of `jineng.accounts.security` apply as they are. For a
role with TOTP (`otp.totp_required`) a right password does not log in: the session (its key cycled)
keeps only the pending user, their backend, where to go next and a short expiry, and step 2
(/login/otp/) asks for the code — or, before the user has an authenticator, shows the enrolment QR
code and confirms it with a first code. Only when the code is right is `django.contrib.auth.login()`
called, so the session, the login audit and the session map are those of every other login.
A wrong code is a failed login (`auth.otp_failed`) and counts towards the lock.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jineng.classes.errors import NotPermitted
from jineng.classes.views import chinese

from .models import Role, TotpDevice, User
from .otp import (
    enrolment_confirm,
    enrolment_start,
    provisioning_uri,
    qr_svg,
    secret_groups,
    totp_consume,
    totp_required,
    totp_reset,
)
from .security import LOCKED_ATTR, PASSWORD_CHECKED, locked_until, login_failure_record, login_refused_record

PENDING = "jineng_login_pending"
# Long enough to install an authenticator app at the first login; short enough that a password
# typed on a shared computer and walked away from is not a half-open door for long.
PENDING_SECONDS = 10 * 60


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        # In Chinese whatever the browser asks for, as every page (classes.views.chinese).
        with translation.override("zh-hans"):
            return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        user = form.get_user()
        if not totp_required(user):
            return super().form_valid(form)
        session = self.request.session
        # A new key for the half-logged-in session too: a key planted before the password
        # (session fixation) never carries the pending login.
        session.cycle_key()
        enrolment_start(user)
        session[PENDING] = {
            "user": str(user.pk),
            "backend": getattr(user, "backend", settings.AUTHENTICATION_BACKENDS[0]),
            "until": int(timezone.now().timestamp()) + PENDING_SECONDS,
            "next": self.get_success_url(),
        }
        return redirect("login-otp")


def _pending(request: HttpRequest) -> tuple[User, dict[str, Any]] | None:
    data = request.session.get(PENDING)
    if not isinstance(data, dict) or not isinstance(data.get("until"), int) or not str(data.get("user")).isdigit():
        return None
    if data["until"] < int(timezone.now().timestamp()) or data.get("backend") not in settings.AUTHENTICATION_BACKENDS:
        request.session.pop(PENDING, None)
        return None
    user = User.objects.filter(pk=int(data["user"]), is_active=True).first()
    if user is None or not totp_required(user):
        request.session.pop(PENDING, None)
        return None
    return user, data


def _locked_page(request: HttpRequest) -> HttpResponse:
    request.session.pop(PENDING, None)
    return render(request, "registration/login.html", {"form": AuthenticationForm(request)})


@chinese
@sensitive_post_parameters("code")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_otp(request: HttpRequest) -> HttpResponse:
    pending = _pending(request)
    if pending is None:
        messages.error(request, "动态口令验证已超时，或尚未输入用户名和密码：请重新登录")
        return redirect("login")
    user, data = pending
    device = TotpDevice.objects.filter(user=user).first() or enrolment_start(user)
    enrolling = device.confirmed_at is None
    error = ""
    if request.method == "POST":
        username = user.get_username()
        locked = locked_until(username)
        if locked is not None:
            setattr(request, LOCKED_ATTR, locked)
            login_refused_record(request, username, locked)
            return _locked_page(request)
        code = request.POST.get("code", "")
        error = enrolment_confirm(device=device, code=code) if enrolling else totp_consume(device, code)
        if not error:
            del request.session[PENDING]
            setattr(user, PASSWORD_CHECKED, True)  # so the login is audited like a password login
            auth_login(request, user, backend=data["backend"])
            return HttpResponseRedirect(data["next"])
        note = f"{'绑定' if enrolling else ''}动态口令验证未通过：{error}"
        if login_failure_record(request, username, event="auth.otp_failed", note=note) is not None:
            return _locked_page(request)
    context: dict[str, Any] = {"enrolling": enrolling, "error": error, "username": user.get_username()}
    if enrolling:
        context.update(
            qr=qr_svg(provisioning_uri(device)),
            secret=secret_groups(device.secret),
            issuer=getattr(settings, "JINENG_TOTP_ISSUER", ""),
        )
    return render(request, "accounts/login_otp.html", context)


# ── the security administrator's page ─────────────────────────────────────────────────────────


def _totp_rows(actor: User) -> list[dict[str, Any]]:
    roles = list(getattr(settings, "JINENG_TOTP_ROLES", []))
    # Everyone who must have an authenticator, and anyone who still has one after a change of role.
    users = list(
        User.objects.filter(Q(role__in=roles) | Q(totp_device__isnull=False)).distinct().order_by("role", "username")
    )
    devices = {d.user_id: d for d in TotpDevice.objects.filter(user__in=[u.pk for u in users])}
    rows = []
    for u in users:
        device = devices.get(u.pk)
        if device is None:
            status = "未绑定（下次登录时绑定）" if u.role in roles else "—"
        elif device.confirmed_at is None:
            status = "绑定中"
        else:
            status = f"已绑定（{timezone.localtime(device.confirmed_at):%Y-%m-%d %H:%M}）"
        rows.append({"u": u, "status": status, "resettable": device is not None and u.pk != actor.pk})
    return rows


def _totp_page(request: HttpRequest, actor: User, *, problem: str = "", status: int = 200) -> HttpResponse:
    if actor.role != Role.SECURITY_ADMIN:
        return render(request, "accounts/totp_admin.html", {"forbidden": True}, status=403)
    context = {"rows": _totp_rows(actor), "problem": problem}
    return render(request, "accounts/totp_admin.html", context, status=status)


@chinese
@login_required
@require_GET
def totp_admin(request: HttpRequest) -> HttpResponse:
    actor = request.user
    assert isinstance(actor, User)
    return _totp_page(request, actor)


@chinese
@login_required
@require_POST
def totp_reset_view(request: HttpRequest, user_id: int) -> HttpResponse:
    actor = request.user
    assert isinstance(actor, User)
    target = get_object_or_404(User, pk=user_id)
    try:
        done = totp_reset(user=target, actor=actor)
    except NotPermitted as exc:
        return _totp_page(request, actor, problem=exc.message, status=exc.status)
    if done:
        messages.success(request, f"已重置 {target.username}（{target.display_name}）的动态口令：其下次登录时重新绑定")
    else:
        messages.info(request, f"{target.username} 尚未绑定动态口令，无需重置")
    return redirect("totp-admin")
