"""TOTP, the second login factor (RFC 6238: 30-second steps, 6 digits, SHA-1 — what every
authenticator app speaks), for the roles in settings.JINENG_TOTP_ROLES.

- Who: reviewers, finance and the three administrators by default (MLPS 2.0 level 3, 8.1.4.1 d:
  两种或两种以上组合的鉴别技术). Institution clerks and workers log in with the password alone.
- Codes: accepted one step either side of now (clock drift), and each step once only
  (`TotpDevice.last_used_step`, advanced by a compare-and-set so two simultaneous requests with one
  code cannot both pass).
- Enrolment: at the first login after the password a new secret is drawn and shown as a QR code
  (inline SVG) and as text; the device counts once a code from it is typed back. Every new password
  step draws a new secret while the device is unconfirmed, so a secret someone else saw on an
  earlier, abandoned enrolment page is worthless.
- Reset: `totp_reset` by a security administrator (not on themself) deletes the device and ends the
  user's sessions; their next login enrols a new one.
"""

from __future__ import annotations

import time

import pyotp
import qrcode  # type: ignore[import-untyped]
import qrcode.image.svg  # type: ignore[import-untyped]
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from pyotp.utils import strings_equal

from jineng.audit.services import audit_record
from jineng.classes.errors import NotPermitted

from .models import Role, TotpDevice, User

DIGITS = 6
STEP_SECONDS = 30
# One step either side of now: a phone whose clock is up to ~30 s off still works.
VALID_WINDOW = 1
DEFAULT_ROLES = ("dept_reviewer", "area_hr", "city_hr", "finance", "sys_admin", "audit_admin", "security_admin")
WRONG = "动态口令不正确（请输入验证器 App 上显示的 6 位数字）"
REPLAYED = "该动态口令已使用过：请等待验证器 App 显示下一个口令后再输入"


def totp_required(user: User) -> bool:
    return user.role in getattr(settings, "JINENG_TOTP_ROLES", DEFAULT_ROLES)


def confirmed_device(user: User) -> TotpDevice | None:
    return TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).first()


def current_step() -> int:
    # timezone.now(), not time.time(): the tests move one clock for sessions, locks and codes alike.
    return int(timezone.now().timestamp()) // STEP_SECONDS


def code_at(secret: str, step: int) -> str:
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).generate_otp(step)


def code_step(secret: str, code: str) -> int | None:
    """The time step whose code `code` is, within the window around now; None when it is none of them."""
    code = "".join(code.split())
    if len(code) != DIGITS or not code.isdigit():
        return None
    now = current_step()
    for step in range(now - VALID_WINDOW, now + VALID_WINDOW + 1):
        if strings_equal(code, code_at(secret, step)):
            return step
    return None


def totp_consume(device: TotpDevice, code: str) -> str:
    """Accept `code` for `device` once: '' when accepted, else why not (in Chinese, for the user)."""
    step = code_step(device.secret, code)
    if step is None:
        return WRONG
    newer = Q(last_used_step__isnull=True) | Q(last_used_step__lt=step)
    if not TotpDevice.objects.filter(pk=device.pk).filter(newer).update(last_used_step=step):
        return REPLAYED
    device.last_used_step = step
    return ""


def enrolment_start(user: User) -> TotpDevice:
    """The user's device: the confirmed one, or a new unconfirmed one with a fresh secret."""
    device = TotpDevice.objects.filter(user=user).first()
    if device is not None and device.confirmed_at is not None:
        return device
    fresh = {
        "secret": pyotp.random_base32(),
        "created_at": timezone.now(),
        "confirmed_at": None,
        "last_used_step": None,
    }
    device, _ = TotpDevice.objects.update_or_create(user=user, defaults=fresh)
    return device


@transaction.atomic
def enrolment_confirm(*, device: TotpDevice, code: str) -> str:
    """Confirm an enrolling device with a code from it: '' when done, else why not."""
    problem = totp_consume(device, code)
    if problem:
        return problem
    device.confirmed_at = timezone.now()
    TotpDevice.objects.filter(pk=device.pk).update(confirmed_at=device.confirmed_at)
    audit_record(
        actor=device.user,
        event="totp.enrol",
        obj=device.user,
        changes={"confirmed_at": (None, device.confirmed_at)},
        note="绑定动态口令验证器",
    )
    return ""


def provisioning_uri(device: TotpDevice) -> str:
    issuer = str(getattr(settings, "JINENG_TOTP_ISSUER", "jineng"))
    totp = pyotp.TOTP(device.secret, digits=DIGITS, interval=STEP_SECONDS)
    return totp.provisioning_uri(name=device.user.get_username(), issuer_name=issuer)


def qr_svg(text: str) -> str:
    """`text` as a QR code in inline SVG (no raster image library needed)."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=4)
    return str(image.to_string(encoding="unicode"))


def secret_groups(secret: str) -> str:
    """The secret in groups of four, for typing it into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@transaction.atomic
def totp_reset(*, user: User, actor: User) -> bool:
    """Remove `user`'s authenticator (lost or replaced phone): their sessions end and their next
    login enrols a new one. Only a security administrator may, and not on their own account (the
    second factor would then guard nothing against whoever holds the administrator's password).
    Returns False when the user had no authenticator."""
    from .security import end_sessions  # security imports this module

    if not actor.is_active or actor.role != Role.SECURITY_ADMIN:
        raise NotPermitted("只有安全管理员可以重置动态口令")
    if actor.pk == user.pk:
        raise NotPermitted("不能重置自己的动态口令：请由另一名安全管理员操作")
    device = TotpDevice.objects.select_for_update().filter(user=user).first()
    if device is None:
        return False
    was = device.confirmed_at
    device.delete()
    end_sessions(user)
    audit_record(
        actor=actor,
        event="totp.reset",
        obj=user,
        changes={"confirmed_at": (was, None)},
        note=f"重置 {user.username} 的动态口令，其会话已全部结束，下次登录重新绑定",
    )
    return True


def code_now(secret: str, *, after: int | None = None) -> str:
    """A code that `secret`'s device accepts now and that follows step `after` (for tests and the demo).

    The next step's code is accepted too (the window), so a second login within one step uses it;
    a third waits for the clock."""
    step = current_step()
    if after is not None and after >= step:
        if after > step:  # the next step's code is spent too: wait until it is current
            time.sleep(STEP_SECONDS - timezone.now().timestamp() % STEP_SECONDS + 0.2)
            step = current_step()
        step = max(step, after + 1)
    return code_at(secret, step)
