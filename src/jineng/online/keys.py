"""Platform keys: the credential a catalogued online platform pushes its learning logs with.

As with API tokens (jineng.accounts.services), the secret is shown once, when issued; only its
SHA-256 and an 8-character prefix (to tell keys apart in lists) are stored. Keys are issued and
revoked by a security or system administrator — the platform is a catalog entry the system
administrator keeps, its credential a security matter — and both are audited, never with the secret.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from jineng.accounts.models import User
from jineng.accounts.services import credential_revoke, may_manage_keys, secret_mint
from jineng.audit.services import audit_record
from jineng.classes.errors import NotPermitted
from jineng.registry.models import OnlinePlatform

from .models import PlatformKey


def _require_manager(actor: User, what: str) -> None:
    if not may_manage_keys(actor):
        raise NotPermitted(f"只有安全管理员或系统管理员可以{what}线上平台的推送密钥")


@transaction.atomic
def platform_key_issue(*, platform: OnlinePlatform, actor: User) -> tuple[PlatformKey, str]:
    """A new push key for `platform`: returns the record and the secret (shown this once only).

    A platform may hold several keys at once, so it can switch to a new key before the old one
    is revoked. An unlisted or disconnected platform may be given a key (e.g. while it is being
    connected); its pushes are refused until it is listed and connected (ONL-PLATFORM).
    """
    _require_manager(actor, "签发")
    secret, stored = secret_mint()
    key = PlatformKey.objects.create(platform=platform, **stored)
    audit_record(
        actor=actor,
        event="platform_key.issue",
        obj=key,
        changes={"platform": (None, platform.code), "prefix": (None, key.prefix)},
    )
    return key, secret


@transaction.atomic
def platform_key_revoke(*, key: PlatformKey, actor: User) -> PlatformKey:
    """Revoke a key at once; revoking a revoked key changes nothing."""
    _require_manager(actor, "吊销")
    locked = PlatformKey.objects.select_for_update().select_related("platform").get(pk=key.pk)
    credential_revoke(
        locked, actor=actor, event="platform_key.revoke", note=f"平台 {locked.platform.code} 的密钥 {locked.prefix}…"
    )
    key.revoked_at = locked.revoked_at
    return locked
    locked.revoked_at = timezone.now()
    PlatformKey.objects.filter(pk=locked.pk).update(revoked_at=locked.revoked_at)
    audit_record(
        actor=actor,
        event="platform_key.revoke",
        obj=locked,
        changes={"revoked_at": (None, locked.revoked_at)},
        note=f"平台 {locked.platform.code} 的密钥 {locked.prefix}…",
    )
    key.revoked_at = locked.revoked_at
    return locked
