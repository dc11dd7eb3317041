"""Who is pushing learning logs: a catalogued online platform, by its own bearer key.

`Authorization: Bearer <key>`; only the key's SHA-256 is stored (jineng.online.keys). The answer
is the `OnlinePlatform`, never a user: a platform acts for itself, not for anyone's scope.

- no key, an unknown or a revoked key: 401;
- a good key of a platform that is not in the catalog, or not connected to the provincial
  supervision platform: 403 naming ONL-PLATFORM — its logs would void every course studied on it,
  so they are refused at the door rather than stored.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer

from jineng.accounts.auth import token_digest
from jineng.registry.models import OnlinePlatform

from .errors import PlatformKeyInvalid, PlatformRefused
from .models import PlatformKey

MAX_KEY_LENGTH = 200


def platform_refusal(platform: OnlinePlatform) -> str | None:
    """Why `platform` may not push now (Chinese, naming ONL-PLATFORM), or None."""
    if not platform.listed:
        return f"线上平台“{platform.name}”（{platform.code}）不在目录清单内，不接收其学习日志（ONL-PLATFORM）"
    if not platform.connected:
        return f"线上平台“{platform.name}”（{platform.code}）未接入全省监管平台，不接收其学习日志（ONL-PLATFORM）"
    return None


class PlatformAuth(HttpBearer):
    """`Authorization: Bearer <platform key>` → the platform (request.auth)."""

    def authenticate(self, request: HttpRequest, token: str) -> OnlinePlatform | None:
        token = token.strip()
        if not token or len(token) > MAX_KEY_LENGTH:
            return None
        key = (
            PlatformKey.objects.select_related("platform")
            .filter(digest=token_digest(token), revoked_at__isnull=True)
            .first()
        )
        if key is None:
            raise PlatformKeyInvalid("线上平台推送密钥无效或已吊销，请向安全管理员申请新的密钥")
        refusal = platform_refusal(key.platform)
        if refusal is not None:
            raise PlatformRefused(refusal, rule="ONL-PLATFORM")
        return key.platform


def platform_of(request: HttpRequest) -> OnlinePlatform:
    """The authenticated platform of a push request (PlatformAuth ran first)."""
    platform = getattr(request, "auth", None)
    if isinstance(platform, OnlinePlatform):
        return platform
    raise AssertionError("push endpoint called without platform authentication")  # pragma: no cover
