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
- The TOTP second factor is in `jineng.accounts.otp` (and the login view in `views`); a wrong code
  is a failed login here like a wrong password (`login_failure_record`).
- Re-authentication before a money step: `reauth_check` (API) and `reauth_posted` (pages) refuse
  unless the session re-entered the password, and the TOTP code where the role has one, within
  `JINENG_REAUTH_MINUTES` (`reauth_verify` stamps it).
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
from jineng.classes.errors import ServiceError

from .models import LoginAttempt, User, UserSession
from .token_lookup import user_by_pk

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

    def get_user(self, user_id: Any) -> Any:
        # The session's user on every request: its org and institution with it, since every scope
        # check reads them, in one prepared statement (the ORM spent more CPU compiling the
        # three-table statement than PostgreSQL spent running it).
        try:
            pk = int(user_id)
        except (TypeError, ValueError):
            return None
        user = user_by_pk(pk)
        return user if user is not None and self.user_can_authenticate(user) else None


def _local(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def login_refused_record(request: HttpRequest | None, username: str, until: dt.datetime) -> None:
    """A try refused because `username` is locked: recorded, but not a failure of its own."""
    ip = _client_ip(request)
    account = User.objects.filter(username=username).first()
    attempt = LoginAttempt.objects.create(username=username, ip=ip, at=timezone.now(), ok=False, locked=True)
    audit_record(
        actor=None,
        event="auth.locked",
        obj=account or attempt,
        changes={"username": (None, username), "ip": (None, ip)},
        note=f"账号锁定期内的登录被拒绝，锁定至 {_local(until)}",
    )


def login_failure_record(
    request: HttpRequest | None,
    username: str,
    *,
    event: str = "auth.login_failed",
    note: str = "用户名或密码不正确",
    actor: User | None = None,
) -> dt.datetime | None:
    """One failed try — a wrong password, a wrong TOTP code at login or at re-authentication — with
    its audit row; they all count towards the one lock. Returns the lock's end when this failure
    completes it."""
    ip = _client_ip(request)
    account = User.objects.filter(username=username).first()
    attempt = LoginAttempt.objects.create(username=username, ip=ip, at=timezone.now(), ok=False)
    about = {"username": (None, username), "ip": (None, ip)}
    audit_record(actor=actor, event=event, obj=account or attempt, changes=about, note=note)
    until = locked_until(username)
    if until is not None:
        if request is not None:
            setattr(request, LOCKED_ATTR, until)
        audit_record(
            actor=actor,
            event="auth.locked",
            obj=account or attempt,
            changes=about,
            note=f"连续登录失败 {_max_failures()} 次，锁定至 {_local(until)}",
        )
    return until


@receiver(user_login_failed)
def _on_login_failed(sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **_: Any) -> None:
    username = _typed_username(credentials.get(User.USERNAME_FIELD))
    if not username:
        return
    refused_until = getattr(request, LOCKED_ATTR, None) if request is not None else None
    if refused_until is not None:
        login_refused_record(request, username, refused_until)
        return
    login_failure_record(request, username)


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


# ── re-authentication before a money step ─────────────────────────────────────────────────────
# A money step (finance's 初审/复核 of a batch, a disbursement, a clawback) is taken only by a
# user who typed their password — and their TOTP code, where the role has one — within the last
# JINENG_REAUTH_MINUTES: a browser left signed in, or a stolen session cookie, does not move money.
# Views and API call the helpers below; nothing else decides whether the stamp is fresh.

REAUTH_AT = "jineng_reauth_at"  # session: [user pk as a string, epoch seconds]
REAUTH_PASSWORD = "reauth_password"  # the money-step forms' field names
REAUTH_OTP = "reauth_otp"


class ReauthRequired(ServiceError):
    status = 403
    code = "reauth_required"


class ReauthFailed(ServiceError):
    status = 403
    code = "reauth_failed"


class AccountLocked(ReauthFailed):
    code = "account_locked"


def _reauth_seconds() -> int:
    return int(getattr(settings, "JINENG_REAUTH_MINUTES", 5)) * 60


def _factors(user: Any) -> str:
    from .otp import totp_required

    return "登录密码" if isinstance(user, User) and not totp_required(user) else "密码与动态口令"


def reauth_until(request: HttpRequest) -> dt.datetime | None:
    """Until when the session's last re-authentication lets its user take a money step; None if never."""
    user = getattr(request, "user", None)
    stamp = request.session.get(REAUTH_AT)
    if not isinstance(user, User) or not isinstance(stamp, list) or len(stamp) != 2:
        return None
    who, at = stamp
    now = int(timezone.now().timestamp())
    # A stamp of another user (a session reused after a login as someone else) or from the future
    # (a clock set back) does not count.
    if who != str(user.pk) or not isinstance(at, int) or at > now or now - at > _reauth_seconds():
        return None
    return dt.datetime.fromtimestamp(at + _reauth_seconds(), tz=dt.UTC)


def reauth_verify(request: HttpRequest, *, user: User, password: str, otp: str = "") -> dt.datetime:
    """Check the password (and the TOTP code when the role has one) typed again by the signed-in
    user; stamp the session and audit `auth.reauth`. A wrong one is a failed login: it counts
    towards the lock and is audited `auth.reauth_failed`. Returns the end of the new window."""
    from .otp import confirmed_device, totp_consume, totp_required

    username = user.get_username()
    locked = locked_until(username)
    if locked is not None:
        setattr(request, LOCKED_ATTR, locked)
        login_refused_record(request, username, locked)
        raise AccountLocked(f"登录失败次数过多，账号已暂时锁定，请于 {_local(locked)}（北京时间）之后再试")
    fields: list[dict[str, str]] = []
    if not password or not user.check_password(password):
        fields.append({"path": REAUTH_PASSWORD, "message": "登录密码：不正确"})
    elif totp_required(user):
        device = confirmed_device(user)
        if device is None:
            raise ReauthFailed(
                "您的账号尚未绑定动态口令：请退出后重新登录，按提示绑定验证器 App",
                [{"path": REAUTH_OTP, "message": "动态口令：尚未绑定验证器"}],
            )
        problem = totp_consume(device, otp)
        if problem:
            fields.append({"path": REAUTH_OTP, "message": f"动态口令：{problem}"})
    if fields:
        login_failure_record(
            request,
            username,
            event="auth.reauth_failed",
            note="资金操作前重新验证身份未通过：" + "；".join(f["message"] for f in fields),
            actor=user,
        )
        raise ReauthFailed("身份验证未通过：" + "；".join(f["message"] for f in fields), fields)
    now = int(timezone.now().timestamp())
    request.session[REAUTH_AT] = [str(user.pk), now]
    minutes = _reauth_seconds() // 60
    audit_record(
        actor=user,
        event="auth.reauth",
        obj=user,
        changes={"ip": (None, _client_ip(request))},
        note=f"资金操作前重新验证身份（{_factors(user)}），{minutes} 分钟内有效",
    )
    return dt.datetime.fromtimestamp(now + _reauth_seconds(), tz=dt.UTC)


def _required(user: Any) -> ReauthRequired:
    minutes = _reauth_seconds() // 60
    return ReauthRequired(
        f"财政签批、拨付、收缴等资金操作须在 {minutes} 分钟内重新验证身份：请先重新验证身份（{_factors(user)}）后再试"
    )


def reauth_check(request: HttpRequest) -> None:
    """Refuse a money step (`ReauthRequired`, 403 `reauth_required`) unless the session re-authenticated
    within the limit. For the API, whose callers stamp the session at POST /api/v1/auth/reauth."""
    if reauth_until(request) is None:
        raise _required(request.user)


def reauth_posted(request: HttpRequest) -> None:
    """The same for a money-step form, which carries the password and code fields itself: verify
    them when the session is not fresh, then go on."""
    if reauth_until(request) is not None:
        # Still fresh: the fields are not needed, and the second post of a double click, which
        # carries the same code again, must not be refused as a replayed code.
        return
    user = request.user
    assert isinstance(user, User), "login_required runs first"
    password, otp = request.POST.get(REAUTH_PASSWORD, ""), request.POST.get(REAUTH_OTP, "")
    if not password and not otp.strip():
        raise _required(user)
    reauth_verify(request, user=user, password=password, otp=otp)
