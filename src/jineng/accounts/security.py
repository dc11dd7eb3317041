"""Login and session security (MLPS 2.0 level 3, 8.1.4.1): lockout, login audit, idle logout,
sessions ended when a user is disabled, password complexity and periodic change.

- `LockoutBackend` is Django's ModelBackend with a lock checked before the password: after
  `JINENG_LOGIN_MAX_FAILURES` failures for one username within `JINENG_LOGIN_FAILURE_WINDOW_MINUTES`
  the username is refused for `JINENG_LOGIN_LOCK_MINUTES`, right password or not. Being a backend,
  it covers every login that goes through `authenticate()`: the login page, the admin's login and
  `Client.login`. Unknown usernames are counted and locked alike, so the lock says nothing about
  which accounts exist.
- The auth signals write `LoginAttempt` rows and the audit rows (`auth.login`, `auth.login_failed`,
  `auth.locked`, `auth.logout`), and map sessions to users (`UserSession`) so that disabling a
  user can end all of them.
- `IdleLogoutMiddleware` logs a session out after `JINENG_SESSION_IDLE_MINUTES` without a request;
  the session row's own expiry is the same age (settings.SESSION_COOKIE_AGE), so an idle session
  is gone on the server too.
- `PasswordAgeMiddleware` sends a user whose password is older than `JINENG_PASSWORD_MAX_AGE_DAYS`
  to the password change page (0 turns it off).
- `NoStoreMiddleware` marks every answer that may carry personal data `Cache-Control: no-store`.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Callable
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY, logout, user_logged_in, user_logged_out, user_login_failed
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from jineng.audit.services import audit_record

from .models import LoginAttempt, User, UserSession

LAST_SEEN = "jineng_last_seen"
# The last-seen stamp is written at most this often, so a busy session is not saved on every request.
TOUCH_SECONDS = 60
LOCKED_ATTR = "jineng_login_locked_until"  # read by registration/login.html
# Set on the user the backend returns: only logins that checked a password are audited, not the
# test client's force_login, which bypasses authentication altogether.
PASSWORD_CHECKED = "_jineng_password_checked"


def _max_failures() -> int:
    return int(settings.JINENG_LOGIN_MAX_FAILURES)


def _window() -> dt.timedelta:
    return dt.timedelta(minutes=int(getattr(settings, "JINENG_LOGIN_FAILURE_WINDOW_MINUTES", 15)))


def _lock() -> dt.timedelta:
    return dt.timedelta(minutes=int(settings.JINENG_LOGIN_LOCK_MINUTES))


def _client_ip(request: HttpRequest | None) -> str | None:
    raw = request.META.get("REMOTE_ADDR", "") if request is not None else ""
    try:
        return str(ipaddress.ip_address(raw))
    except ValueError:
        return None


def _typed_username(value: Any) -> str:
    return str(value or "")[:150]


def locked_until(username: str, *, now: dt.datetime | None = None) -> dt.datetime | None:
    """When the lock on `username` ends, or None when it may try to log in now.

    The lock starts at the failure that makes `max` failures within the window (a success in
    between starts the count again) and lasts the lock time from there.
    """
    now = now or timezone.now()
    window, lock, most = _window(), _lock(), _max_failures()
    rows = (
        LoginAttempt.objects.filter(username=username, locked=False, at__gt=now - window - lock, at__lte=now)
        .order_by("at", "pk")
        .values_list("at", "ok")
    )
    failures: list[dt.datetime] = []
    until: dt.datetime | None = None
    for at, ok in rows:
        if ok:
            failures = []
            continue
        failures = [t for t in failures if t > at - window] + [at]
        if len(failures) >= most:
            until = at + lock
    return until if until is not None and until > now else None


class LockoutBackend(ModelBackend):
    """ModelBackend that refuses a locked username before looking at the password."""

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> Any:
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if username is not None:
            until = locked_until(_typed_username(username))
            if until is not None:
                if request is not None:
                    setattr(request, LOCKED_ATTR, until)
                # PermissionDenied stops authenticate() here, so no later backend gets a try.
                raise PermissionDenied("登录失败次数过多，账号已暂时锁定")
        found = super().authenticate(request, username=username, password=password, **kwargs)
        if found is not None:
            setattr(found, PASSWORD_CHECKED, True)
        return found


def _local(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


@receiver(user_login_failed)
def _on_login_failed(sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **_: Any) -> None:
    username = _typed_username(credentials.get(User.USERNAME_FIELD))
    if not username:
        return
    ip = _client_ip(request)
    account = User.objects.filter(username=username).first()
    refused_until = getattr(request, LOCKED_ATTR, None) if request is not None else None
    attempt = LoginAttempt.objects.create(
        username=username, ip=ip, at=timezone.now(), ok=False, locked=refused_until is not None
    )
    about = {"username": (None, username), "ip": (None, ip)}
    if refused_until is not None:
        audit_record(
            actor=None,
            event="auth.locked",
            obj=account or attempt,
            changes=about,
            note=f"账号锁定期内的登录被拒绝，锁定至 {_local(refused_until)}",
        )
        return
    audit_record(
        actor=None, event="auth.login_failed", obj=account or attempt, changes=about, note="用户名或密码不正确"
    )
    until = locked_until(username)
    if until is not None:
        if request is not None:
            setattr(request, LOCKED_ATTR, until)
        audit_record(
            actor=None,
            event="auth.locked",
            obj=account or attempt,
            changes=about,
            note=f"连续登录失败 {_max_failures()} 次，锁定至 {_local(until)}",
        )


@receiver(user_logged_in)
def _on_logged_in(sender: Any, request: HttpRequest | None, user: User, **_: Any) -> None:
    ip = _client_ip(request)
    LoginAttempt.objects.create(username=_typed_username(user.get_username()), ip=ip, at=timezone.now(), ok=True)
    session = getattr(request, "session", None)
    if session is not None:
        session[LAST_SEEN] = int(timezone.now().timestamp())
        if session.session_key:
            UserSession.objects.update_or_create(session_key=session.session_key, defaults={"user": user})
        _forget_ended_sessions(user)
    if getattr(user, PASSWORD_CHECKED, False):
        audit_record(actor=user, event="auth.login", obj=user, changes={"ip": (None, ip)})


@receiver(user_logged_out)
def _on_logged_out(sender: Any, request: HttpRequest | None, user: User | None, **_: Any) -> None:
    if user is None or not getattr(user, "pk", None):
        return
    session = getattr(request, "session", None)
    if session is not None and session.session_key:
        UserSession.objects.filter(session_key=session.session_key).delete()
    idle = getattr(request, "jineng_logout_reason", "") == "idle"
    audit_record(
        actor=user,
        event="auth.logout",
        obj=user,
        changes={"ip": (None, _client_ip(request))},
        note=f"空闲超过 {settings.JINENG_SESSION_IDLE_MINUTES} 分钟，自动退出" if idle else "",
    )


def _session_store() -> Any:
    return import_module(settings.SESSION_ENGINE).SessionStore


def _forget_ended_sessions(user: User) -> None:
    """Drop the map rows of this user's sessions that expired or were flushed meanwhile."""
    store = _session_store()
    for key in list(UserSession.objects.filter(user=user).values_list("session_key", flat=True)):
        if not store().exists(key):
            UserSession.objects.filter(session_key=key).delete()


def end_sessions(user: User) -> int:
    """End every session of `user` on the server; returns how many were mapped to the user."""
    store = _session_store()
    keys = list(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
    for key in keys:
        store(session_key=key).delete()
    UserSession.objects.filter(user=user).delete()
    return len(keys)


@receiver(post_save, sender=User)
def _on_user_saved(sender: Any, instance: User, **_: Any) -> None:
    # Whoever disabled the user (admin, a service, the shell), their sessions end with it.
    # (Django's session auth refuses inactive users anyway; this removes the rows too.)
    if not instance.is_active:
        end_sessions(instance)


class IdleLogoutMiddleware:
    """Log out a session that made no request for JINENG_SESSION_IDLE_MINUTES."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = request.session
        if SESSION_KEY in session:
            now = int(timezone.now().timestamp())
            last = session.get(LAST_SEEN)
            if isinstance(last, int) and now - last > int(settings.JINENG_SESSION_IDLE_MINUTES) * 60:
                request.jineng_logout_reason = "idle"  # type: ignore[attr-defined]
                logout(request)
            elif not isinstance(last, int) or now - last >= TOUCH_SECONDS:
                session[LAST_SEEN] = now
        return self.get_response(request)


def _reverse_or_none(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


class PasswordAgeMiddleware:
    """Send a browser user whose password is too old to the password change page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        days = int(settings.JINENG_PASSWORD_MAX_AGE_DAYS)
        if days and SESSION_KEY in request.session and "authorization" not in request.headers:
            user = request.user
            if isinstance(user, User) and user.password_changed_at < timezone.now() - dt.timedelta(days=days):
                answer = self._refusal(request, days)
                if answer is not None:
                    return answer
        return self.get_response(request)

    @staticmethod
    def _refusal(request: HttpRequest, days: int) -> HttpResponse | None:
        change = _reverse_or_none("password_change")
        if change is None:  # the change page is not wired: nowhere to send the user
            return None
        allowed = {change} | {
            url for name in ("password_change_done", "logout", "login") if (url := _reverse_or_none(name))
        }
        if request.path in allowed or request.path.startswith("/" + settings.STATIC_URL.lstrip("/")):
            return None
        message = f"密码已超过 {days} 天未修改，请先修改密码"
        if request.path.startswith("/api/"):
            return JsonResponse({"code": "password_expired", "message": message, "fields": []}, status=403)
        return HttpResponseRedirect(change)


class ComplexityValidator:
    """At least `min_classes` of: upper case, lower case, digits, symbols (any other character).

    The length is Django's MinimumLengthValidator's (10 in settings)."""

    def __init__(self, min_classes: int = 3) -> None:
        self.min_classes = min_classes

    def validate(self, password: str, user: Any = None) -> None:
        kinds = {
            "upper": any(c.isupper() for c in password),
            "lower": any(c.islower() for c in password),
            "digit": any(c.isdigit() for c in password),
            "symbol": any(not (c.isupper() or c.islower() or c.isdigit()) for c in password),
        }
        if sum(kinds.values()) < self.min_classes:
            raise ValidationError(self.get_help_text(), code="password_too_simple")

    def get_help_text(self) -> str:
        return f"密码须至少包含大写字母、小写字母、数字、符号中的 {self.min_classes} 类"


class NoStoreMiddleware:
    """`Cache-Control: no-store` on every answer that may carry personal data: any page a signed-in
    user reads and every API answer (a token client's too), so no browser or proxy keeps a copy of
    a roster, a claim or a resident ID. Static files and the anonymous public pages stay cacheable."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if request.path.startswith("/api/") or (user is not None and user.is_authenticated):
            response["Cache-Control"] = "no-store, private"
            response["Pragma"] = "no-cache"  # HTTP/1.0 caches
        return response
