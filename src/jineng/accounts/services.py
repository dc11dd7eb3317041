"""Account writes: API tokens for institution systems; disabling a user.

A token is shown once, when issued; only its SHA-256 digest and an 8-character prefix (to tell
tokens apart in lists) are stored. Issuing and revoking are audited, never with the token itself.
"""

from __future__ import annotations

import secrets

from django.db import models, transaction
from django.utils import timezone

from jineng.audit.services import audit_record
from jineng.classes.errors import InvalidInput, NotPermitted

from .auth import token_digest
from .models import ApiToken, Role, User
from .otp import totp_required

PREFIX_LENGTH = 8
NAME_MAX_LENGTH = 100
# Machine credentials (platform and device push keys) are a security matter for the security
# administrator, and the system administrator who keeps the catalogs may issue them too.
KEY_MANAGERS = frozenset({Role.SECURITY_ADMIN, Role.SYS_ADMIN})


def may_manage_keys(actor: User) -> bool:
    return actor.is_active and actor.role in KEY_MANAGERS


def secret_mint() -> tuple[str, dict[str, str]]:
    """A new secret and what is stored of it: its SHA-256 and a prefix to tell it apart in lists."""
    secret = secrets.token_urlsafe(32)
    return secret, {"digest": token_digest(secret), "prefix": secret[:PREFIX_LENGTH]}


def credential_revoke[Credential: models.Model](
    locked: Credential, *, actor: User, event: str, note: str
) -> Credential:
    """Revoke a stored secret (API token, platform key, device key) at once, with its audit row.

    `locked` is the row as read `FOR UPDATE` by the caller, who has checked the actor may: two
    revocations of one key then write one audit row, and revoking a revoked key changes nothing.
    """
    if getattr(locked, "revoked_at", None) is not None:
        return locked
    now = timezone.now()
    setattr(locked, "revoked_at", now)  # noqa: B010 — every credential model has the field
    type(locked)._default_manager.filter(pk=locked.pk).update(revoked_at=now)
    audit_record(actor=actor, event=event, obj=locked, changes={"revoked_at": (None, now)}, note=note)
    return locked


def _may_manage(actor: User, user: User) -> bool:
    if not actor.is_active:
        return False
    return actor.role == Role.SECURITY_ADMIN or actor.pk == user.pk


@transaction.atomic
def token_issue(*, user: User, actor: User, name: str) -> tuple[ApiToken, str]:
    """A new bearer token for `user`: returns the record and the token (shown this once only)."""
    if not _may_manage(actor, user):
        raise NotPermitted("只有安全管理员或用户本人可以为该用户签发 API 令牌")
    if not user.is_active:
        raise NotPermitted(f"用户 {user.username} 已停用，不能签发 API 令牌")
    if totp_required(user):
        raise NotPermitted(
            f"用户 {user.username} 的角色（{user.role_label}）须以密码加动态口令登录，不能签发 API 令牌"
            "（令牌供培训机构的业务系统使用）"
        )
    name = name.strip()
    if not name or len(name) > NAME_MAX_LENGTH:
        raise InvalidInput(
            "令牌用途填写有误", [{"path": "name", "message": f"用途：必填，不超过 {NAME_MAX_LENGTH} 个字符"}]
        )
    token, stored = secret_mint()
    record = ApiToken.objects.create(user=user, name=name, **stored)
    audit_record(
        actor=actor,
        event="token.issue",
        obj=record,
        changes={"user": (None, user.username), "name": (None, name), "prefix": (None, record.prefix)},
    )
    return record, token


@transaction.atomic
def token_revoke(*, token: ApiToken, actor: User) -> ApiToken:
    """Revoke a token at once; revoking a revoked token changes nothing."""
    locked = ApiToken.objects.select_for_update().select_related("user").get(pk=token.pk)
    if not _may_manage(actor, locked.user):
        raise NotPermitted("只有安全管理员或用户本人可以吊销该用户的 API 令牌")
    credential_revoke(
        locked, actor=actor, event="token.revoke", note=f"用户 {locked.user.username} 的令牌 {locked.prefix}…"
    )
    token.revoked_at = locked.revoked_at
    return locked
    locked.revoked_at = timezone.now()
    ApiToken.objects.filter(pk=locked.pk).update(revoked_at=locked.revoked_at)
    audit_record(
        actor=actor,
        event="token.revoke",
        obj=locked,
        changes={"revoked_at": (None, locked.revoked_at)},
        note=f"用户 {locked.user.username} 的令牌 {locked.prefix}…",
    )
    token.revoked_at = locked.revoked_at
    return locked


# Disabling an account is an access-control matter for the security administrator; the system
# administrator who keeps accounts may do it too.
USER_DISABLERS = frozenset({Role.SECURITY_ADMIN, Role.SYS_ADMIN})


@transaction.atomic
def user_deactivate(*, user: User, actor: User, note: str = "") -> User:
    """Disable `user`: every web session of theirs ends and their API tokens stop working.

    The sessions end in the post_save receiver of jineng.accounts.security, so disabling from the
    admin does the same; this service adds the permission check and the audit row.
    """
    if not actor.is_active or actor.role not in USER_DISABLERS:
        raise NotPermitted("只有安全管理员或系统管理员可以停用账号")
    if actor.pk == user.pk:
        raise NotPermitted("不能停用自己的账号")
    locked = User.objects.select_for_update().get(pk=user.pk)
    if not locked.is_active:
        user.is_active = False
        return locked
    locked.is_active = False
    locked.save(update_fields=["is_active"])
    audit_record(actor=actor, event="user.deactivate", obj=locked, changes={"is_active": (True, False)}, note=note)
    user.is_active = False
    return locked
