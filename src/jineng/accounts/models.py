"""Users: one role each, one organisation each; the role and the organisation decide the scope."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone

from jineng.audit.context import note_clear_ids
from jineng.crypto import EncryptedTextField

if TYPE_CHECKING:
    from jineng.registry.models import Institution, OrgUnit  # noqa: F401


class Role(models.TextChoices):
    INSTITUTION_CLERK = "institution_clerk", "培训机构经办人"
    EVALUATOR = "evaluator", "评价机构经办人"
    DEPT_REVIEWER = "dept_reviewer", "行业主管部门审核人"
    AREA_HR = "area_hr", "县（市、区）人社局审核人"
    CITY_HR = "city_hr", "市人社局审核人"
    FINANCE = "finance", "财政局经办人"
    WORKER = "worker", "劳动者"
    LEADER = "leader", "领导/专班（只读）"
    SYS_ADMIN = "sys_admin", "系统管理员"
    AUDIT_ADMIN = "audit_admin", "审计管理员"
    SECURITY_ADMIN = "security_admin", "安全管理员"


# Roles that act for an institution (org is the institution's area; `institution` is required).
INSTITUTION_ROLES = frozenset({Role.INSTITUTION_CLERK, Role.EVALUATOR})
# Roles that may read resident ID and phone numbers in clear (everyone else sees them masked).
CLEAR_ID_ROLES = frozenset({Role.INSTITUTION_CLERK, Role.AREA_HR, Role.CITY_HR})


class User(AbstractUser):
    role = models.CharField("角色", max_length=32, choices=Role.choices, default=Role.WORKER)
    org = models.ForeignKey(
        "registry.OrgUnit",
        verbose_name="所属单位",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
    )
    institution = models.ForeignKey(
        "registry.Institution",
        verbose_name="所属机构",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
    )
    person = models.ForeignKey(
        "registry.Person",
        verbose_name="本人（劳动者）",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="accounts",
    )
    # Rows created without set_password (demo seeding, fixtures) start their password's age now.
    password_changed_at = models.DateTimeField("密码修改时间", default=timezone.now)

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"

    def set_password(self, raw_password: str | None) -> None:
        super().set_password(raw_password)
        self.password_changed_at = timezone.now()

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.first_name or self.username

    @property
    def role_label(self) -> str:
        return Role(self.role).label

    @property
    def sees_clear_ids(self) -> bool:
        clear = self.role in CLEAR_ID_ROLES
        if clear:
            # Every view asks here before unmasking an ID: the request's pii.clear_view audit row.
            note_clear_ids()
        return clear


class ApiToken(models.Model):
    """A bearer token for an institution's own system; only its SHA-256 is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens", verbose_name="用户")
    name = models.CharField("用途", max_length=100)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField("令牌前缀", max_length=8, editable=False)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    last_used_at = models.DateTimeField("最近使用", null=True, blank=True)
    revoked_at = models.DateTimeField("吊销时间", null=True, blank=True)

    class Meta:
        verbose_name = "API 令牌"
        verbose_name_plural = "API 令牌"

    def __str__(self) -> str:
        return f"{self.name}（{self.prefix}…）"


class LoginAttempt(models.Model):
    """One try at the login form, kept to lock a username after repeated failures.

    `username` is what was typed, known account or not, so the lock does not tell an attacker
    which accounts exist. `locked` marks a try refused because the name was locked: it is not a
    failure of its own, or a steady stream of tries would keep the lock on forever.
    """

    username = models.CharField("用户名", max_length=150)
    ip = models.GenericIPAddressField("来源 IP", null=True, blank=True)
    at = models.DateTimeField("时间", default=timezone.now)
    ok = models.BooleanField("成功", default=False)
    locked = models.BooleanField("锁定期内被拒", default=False)

    class Meta:
        verbose_name = "登录尝试"
        verbose_name_plural = "登录尝试"
        indexes = [models.Index(fields=["username", "at"], name="login_attempt_user_at")]

    def __str__(self) -> str:
        return f"{self.username} {'成功' if self.ok else '失败'}"


class UserSession(models.Model):
    """Which sessions belong to which user, so disabling a user can end every one of them."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="web_sessions", verbose_name="用户")
    session_key = models.CharField("会话", max_length=40, unique=True)
    created_at = models.DateTimeField("登录时间", default=timezone.now)

    class Meta:
        verbose_name = "用户会话"
        verbose_name_plural = "用户会话"

    def __str__(self) -> str:
        return f"{self.user_id}:{self.session_key[:6]}…"


class TotpDevice(models.Model):
    """A user's TOTP authenticator (RFC 6238, 30-second steps, 6 digits): the second login factor.

    The shared secret is stored encrypted (jineng.crypto), so a database dump does not hand out
    everyone's second factor. `confirmed_at` is empty while the user is enrolling: the device only
    counts once a code from it has been typed back. `last_used_step` is the time step of the last
    code accepted; a code of that step or an earlier one is refused, so a code seen over someone's
    shoulder cannot be used a second time within its window.
    """

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="totp_device", verbose_name="用户")
    secret = EncryptedTextField("密钥", purpose="totp")
    created_at = models.DateTimeField("生成时间", default=timezone.now)
    confirmed_at = models.DateTimeField("绑定时间", null=True, blank=True)
    last_used_step = models.BigIntegerField("最近使用的时间步", null=True, blank=True)

    class Meta:
        verbose_name = "动态口令设备"
        verbose_name_plural = "动态口令设备"

    def __str__(self) -> str:
        return f"{self.user_id}:{'已绑定' if self.confirmed_at else '绑定中'}"
