"""Device keys: the credential a check-in device pushes its face check-ins with.

As with API tokens (jineng.accounts.services) and platform keys (jineng.online.keys), the secret
is shown once, when issued; only its SHA-256 and an 8-character prefix (to tell keys apart in
lists) are stored. Keys are issued and revoked by a security or system administrator — the device
is a catalog entry, its credential a security matter, and an institution must not mint keys for
devices that then vouch for its own trainees' attendance — and both are audited, never with the
secret.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from jineng.accounts.models import User
from jineng.accounts.services import credential_revoke, may_manage_keys, secret_mint
from jineng.audit.services import audit_record
from jineng.classes.errors import NotPermitted
from jineng.registry.models import CheckinDevice

from .models import DeviceKey


def _require_manager(actor: User, what: str) -> None:
    if not may_manage_keys(actor):
        raise NotPermitted(f"只有安全管理员或系统管理员可以{what}签到设备密钥")


@transaction.atomic
def device_key_issue(*, device: CheckinDevice, actor: User) -> tuple[DeviceKey, str]:
    """A new push key for `device`: returns the record and the secret (shown this once only).

    A device may hold several keys at once, so a replacement can be installed before the old key
    is revoked. An inactive device may be given a key (while it is being installed); its pushes
    are refused until it is in use.
    """
    _require_manager(actor, "签发")
    secret, stored = secret_mint()
    key = DeviceKey.objects.create(device=device, **stored)
    audit_record(
        actor=actor,
        event="device_key.issue",
        obj=key,
        changes={"device": (None, device.serial), "prefix": (None, key.prefix)},
    )
    return key, secret


@transaction.atomic
def device_key_revoke(*, key: DeviceKey, actor: User) -> DeviceKey:
    """Revoke a key at once; revoking a revoked key changes nothing."""
    _require_manager(actor, "吊销")
    locked = DeviceKey.objects.select_for_update().select_related("device").get(pk=key.pk)
    credential_revoke(
        locked, actor=actor, event="device_key.revoke", note=f"设备 {locked.device.serial} 的密钥 {locked.prefix}…"
    )
    key.revoked_at = locked.revoked_at
    return locked
    locked.revoked_at = timezone.now()
    DeviceKey.objects.filter(pk=locked.pk).update(revoked_at=locked.revoked_at)
    audit_record(
        actor=actor,
        event="device_key.revoke",
        obj=locked,
        changes={"revoked_at": (None, locked.revoked_at)},
        note=f"设备 {locked.device.serial} 的密钥 {locked.prefix}…",
    )
    key.revoked_at = locked.revoked_at
    return locked
