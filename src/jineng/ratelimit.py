"""Rate limits: logins per client address and per username, bulk API calls per authenticated client.

Fixed-window counters in the Django cache: one `add` and one `incr` per limited request, the window
number part of the key, so a counter never needs resetting and simply expires. A burst of twice the
limit across a window boundary is possible; that is the price of a single atomic increment (Redis
INCR) instead of a sliding log per client, and it does not matter for what the limits are for —
password guessing and a runaway client flooding the pushes.

- Logins: `LoginRateLimitMiddleware` counts every POST to the login pages (password, TOTP code,
  the admin's) per client address (JINENG_RATE_LOGIN_PER_IP) and, where a username is typed, per
  username (JINENG_RATE_LOGIN_PER_USERNAME); over the limit the answer is a 429 page with
  Retry-After and the password or code is not even checked. It complements the lockout (jineng.accounts.security), which
  locks one username after repeated failures but cannot stop one address trying many usernames.
- Bulk APIs: `BULK` is a django-ninja throttle given to the bulk endpoints (check-in pushes and
  imports, online learning pushes, roster and result uploads, voucher lists, the push to finance,
  disbursements); counted per endpoint and per authenticated client (user, check-in device, online
  platform), JINENG_RATE_BULK per window. jineng.api answers 429 `rate_limited` with Retry-After.

Only those requests touch the cache: reads and other writes pass untouched. The counters live in
the `default` cache — LocMem (per process) unless JINENG_CACHE_URL names a Redis, which production
with several workers needs, or each worker counts on its own. If the cache fails the request is let
through and the failure logged: the limiter must never take logins down with it.

The first refusal of a window is audited (`ratelimit.refused`) when there is an account or client to
file it under; the refusals after it in the same window are not, so a flood cannot flood the log.
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from ninja.throttling import BaseThrottle

logger = logging.getLogger("jineng.ratelimit")

# The password step, the TOTP step (six digits are guessed faster than passwords) and the admin's.
LOGIN_VIEWS = frozenset({"login", "login-otp", "admin:login"})


def _now() -> float:
    """The clock of the windows (tests move it)."""
    return time.time()


@dataclass(frozen=True)
class Refusal:
    scope: str
    limit: int
    retry_after: int  # whole seconds until the window ends
    first: bool  # the first refusal of this window for this client


def _window() -> int:
    return int(getattr(settings, "JINENG_RATE_WINDOW_SECONDS", 60))


def hit(scope: str, ident: str, *, limit: int, window: int | None = None) -> Refusal | None:
    """Count one request of `ident` in `scope`; a Refusal if that makes more than `limit` this window."""
    if limit <= 0:
        return None
    window = window or _window()
    now = _now()
    bucket = int(now // window)
    # The client is hashed: usernames and addresses stay out of the cache, and keys keep one length.
    digest = hashlib.sha256(ident.encode("utf-8")).hexdigest()[:32]
    key = f"rl:{scope}:{digest}:{bucket}"
    try:
        cache.add(key, 0, timeout=window + 1)
        try:
            count = int(cache.incr(key))
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=window + 1)
            count = 1
    except Exception:
        # Any backend failure (Redis down or slow): let the request through rather than refuse
        # everyone; the database lockout still guards passwords.
        logger.exception("rate limit counter unavailable (scope %s); request allowed", scope)
        return None
    if count <= limit:
        return None
    retry_after = max(1, math.ceil((bucket + 1) * window - now))
    return Refusal(scope=scope, limit=limit, retry_after=retry_after, first=count == limit + 1)


def _audit(refusal: Refusal, *, obj: models.Model | None, actor: Any, ip: str, note: str) -> None:
    logger.warning("rate limited: scope %s, client %s, retry after %ss", refusal.scope, ip, refusal.retry_after)
    if not refusal.first or obj is None:
        return
    from jineng.audit.services import audit_record

    audit_record(
        actor=actor,
        event="ratelimit.refused",
        obj=obj,
        changes={"ip": (None, ip), "limit": (None, f"{refusal.limit}/{_window()}s")},
        note=note,
    )


def _client_ip(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR") or "unknown")


class LoginRateLimitMiddleware:
    """429 for a login POST over the per-address or per-username limit; everything else passes."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        if request.method != "POST":
            return None
        match = request.resolver_match
        if match is None or match.view_name not in LOGIN_VIEWS:
            return None
        ip = _client_ip(request)
        username = str(request.POST.get("username", ""))[:150]
        refusal = hit("login-ip", ip, limit=int(getattr(settings, "JINENG_RATE_LOGIN_PER_IP", 10)))
        if refusal is None and username:
            refusal = hit(
                "login-user",
                username.strip().lower(),
                limit=int(getattr(settings, "JINENG_RATE_LOGIN_PER_USERNAME", 10)),
            )
        if refusal is None:
            return None
        from jineng.accounts.models import User

        account = User.objects.filter(username=username).first() if username else None
        what = "来源地址" if refusal.scope == "login-ip" else "该用户名"
        _audit(
            refusal,
            obj=account,
            actor=None,
            ip=ip,
            note=f"登录尝试过于频繁（{what}每 {_window()} 秒至多 {refusal.limit} 次），已拒绝",
        )
        response = render(request, "registration/rate_limited.html", {"retry_after": refusal.retry_after}, status=429)
        response["Retry-After"] = str(refusal.retry_after)
        return response


def _principal(request: HttpRequest) -> tuple[str, models.Model | None]:
    """Who is calling: the authenticated user, device or platform (ninja's request.auth)."""
    auth = getattr(request, "auth", None)
    if isinstance(auth, models.Model):
        return f"{auth._meta.label_lower}:{auth.pk}", auth
    return f"ip:{_client_ip(request)}", None


class ApiRateLimit(BaseThrottle):
    """A django-ninja throttle: per endpoint and authenticated client, `setting` requests a window."""

    def __init__(self, setting: str, default: int) -> None:
        self.setting, self.default = setting, default
        # One instance serves every request of its endpoints, possibly from several threads.
        self._last = threading.local()

    def allow_request(self, request: HttpRequest) -> bool:
        match = getattr(request, "resolver_match", None)
        endpoint = match.route if match is not None else request.path
        ident, obj = _principal(request)
        refusal = hit(f"api:{endpoint}", ident, limit=int(getattr(settings, self.setting, self.default)))
        self._last.wait = refusal.retry_after if refusal is not None else None
        if refusal is None:
            return True
        from jineng.accounts.models import User

        _audit(
            refusal,
            obj=obj,
            actor=obj if isinstance(obj, User) else None,
            ip=_client_ip(request),
            note=f"接口 {request.method} {request.path} 调用过于频繁（每 {_window()} 秒至多 {refusal.limit} 次）",
        )
        return False

    def wait(self) -> float | None:
        return getattr(self._last, "wait", None)


BULK = ApiRateLimit("JINENG_RATE_BULK", 60)
