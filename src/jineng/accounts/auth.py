"""Who is calling the JSON API: the browser's Django session, or an institution system's bearer token.

Both authenticate to the same `User`, so one set of scope rules (the selectors) answers both.

- `SessionAuth`: the Django session of the server-rendered UI. Unsafe methods must carry the CSRF
  token (`X-CSRFToken` header), checked by Django's own CsrfViewMiddleware as ninja's
  `django_auth` does. A request that carries an `Authorization` header is left to `TokenAuth`
  (a cross-site page cannot set that header, so such a request is no CSRF risk).
- `TokenAuth`: `Authorization: Bearer <token>`. Only the token's SHA-256 is stored
  (`ApiToken.digest`); revoked tokens and inactive users are refused; `last_used_at` is written
  at most once a minute per token. Users whose role logs in with TOTP (`otp.totp_required`) are
  refused: the token would be a way around their second factor.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from jineng.audit.services import mask_text
from jineng.classes.errors import ServiceError
from jineng.ids import mask_ric

from .models import ApiToken, User
from .otp import totp_required
from .token_lookup import token_user

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


class CsrfFailed(ServiceError):
    """A session request with an unsafe method and no valid CSRF token."""

    status = 403
    code = "csrf_failed"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class SessionAuth(APIKeyCookie):
    """The Django session (cookie `sessionid`), CSRF enforced for POST/PUT/PATCH/DELETE."""

    param_name = "sessionid"

    def __init__(self) -> None:
        from django.conf import settings

        self.param_name = settings.SESSION_COOKIE_NAME
        super().__init__(csrf=True)

    def _get_key(self, request: HttpRequest) -> str | None:
        # The CSRF check runs in authenticate(), only for requests the session actually authenticates,
        # so a token client (no cookies, no CSRF token) falls through to TokenAuth.
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key: str | None) -> User | None:
        if "authorization" in request.headers:
            return None
        user = getattr(request, "user", None)
        if not isinstance(user, User) or not user.is_authenticated or not user.is_active:
            return None
        unsafe = request.method not in _SAFE_METHODS and not getattr(request, "_ninja_csrf_exempt", False)
        if unsafe and check_csrf(request) is not None:
            raise CsrfFailed("CSRF 校验失败：请刷新页面后重试（修改类请求须带 X-CSRFToken 请求头）")
        return user


class TokenAuth(HttpBearer):
    """`Authorization: Bearer <token>` for an institution's own system."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        token = token.strip()
        if not token or len(token) > 200:
            return None
        # One prepared statement, not the ORM's select_related compiled afresh on every request.
        found = token_user(token_digest(token))
        if found is None:
            return None
        token_id, last_used_at, user = found
        if not user.is_active:
            return None
        if totp_required(user):
            # A token is one factor: a reviewer, finance or an administrator must come through the
            # two-factor login, not around it (tokens are for institutions' systems).
            return None
        now = timezone.now()
        if last_used_at is None or now - last_used_at >= LAST_USED_RESOLUTION:
            # Conditional, so concurrent requests within the minute write once between them.
            ApiToken.objects.filter(pk=token_id).filter(
                Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - LAST_USED_RESOLUTION)
            ).update(last_used_at=now)
        request.user = user
        return user


AUTH: list[Any] = [SessionAuth(), TokenAuth()]


def api_user(request: HttpRequest) -> User:
    """The authenticated user of an API request (the auth classes above ran first)."""
    user = getattr(request, "auth", None)
    if isinstance(user, User):
        return user
    raise AssertionError("API endpoint called without authentication")  # pragma: no cover


def mask_ids(value: Any) -> Any:
    """Resident IDs inside any value masked: `id_number` keys, trainee subjects, free text."""
    if isinstance(value, dict):
        return {
            key: (mask_ric(item) if key == "id_number" and isinstance(item, str) else mask_ids(item))
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [mask_ids(item) for item in value]
    if isinstance(value, str):
        if value.startswith("trainee:"):
            return "trainee:" + mask_ric(value.removeprefix("trainee:"))
        return mask_text(value)
    return value


@contextmanager
def refusals_masked(user: User) -> Iterator[None]:
    """A service's refusal goes out as it is, with resident IDs masked for roles that may not read them."""
    try:
        yield
    except ServiceError as exc:
        if not user.sees_clear_ids:
            exc.message = mask_text(exc.message)
            exc.fields = mask_ids(exc.fields)
            exc.extra = mask_ids(exc.extra)
        raise
