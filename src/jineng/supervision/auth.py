"""Who is pushing check-ins: a registered check-in device, by its own bearer key.

`Authorization: Bearer <device key>`; only the key's SHA-256 is stored (jineng.supervision.devices).
The answer is the `CheckinDevice`, never a user: a device reports what it saw, for no one's scope.
No key, an unknown or revoked key, or the key of a device taken out of use: 401, so a stolen or
retired device is shut out at the door and none of its events are looked at.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer

from jineng.accounts.auth import token_digest
from jineng.classes.errors import ServiceError
from jineng.registry.models import CheckinDevice

from .models import DeviceKey

MAX_KEY_LENGTH = 200


class DeviceKeyInvalid(ServiceError):
    """No such device key, a revoked one, or the key of an inactive device."""

    status = 401
    code = "unauthenticated"


class DeviceAuth(HttpBearer):
    """`Authorization: Bearer <device key>` → the device (request.auth)."""

    def authenticate(self, request: HttpRequest, token: str) -> CheckinDevice | None:
        token = token.strip()
        if not token or len(token) > MAX_KEY_LENGTH:
            return None
        key = (
            DeviceKey.objects.select_related("device")
            .filter(digest=token_digest(token), revoked_at__isnull=True)
            .first()
        )
        if key is None:
            raise DeviceKeyInvalid("签到设备密钥无效或已吊销，请向安全管理员申请新的密钥")
        if not key.device.active:
            raise DeviceKeyInvalid(f"签到设备 {key.device.serial} 已停用，不接收其签到")
        return key.device


def device_of(request: HttpRequest) -> CheckinDevice:
    """The authenticated device of a push request (DeviceAuth ran first)."""
    device = getattr(request, "auth", None)
    if isinstance(device, CheckinDevice):
        return device
    raise AssertionError("push endpoint called without device authentication")  # pragma: no cover
