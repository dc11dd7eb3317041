"""Django settings, read from the environment and parsed strictly.

Every variable is optional except where noted; a value that cannot be parsed is an
ImproperlyConfigured error naming the variable, never a silent default.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"环境变量 {name} 的值 {raw!r} 无效：应为 true/false/1/0/yes/no/on/off")


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        value = minimum - 1
    if value < minimum:
        raise ImproperlyConfigured(f"环境变量 {name} 的值 {raw!r} 无效：应为不小于 {minimum} 的整数")
    return value


PREPARE_ONLY_WHEN_ASKED = 2**31 - 1


def database_from_env() -> dict[str, object]:
    """SQLite in the data directory by default; PostgreSQL (or another engine) through DATABASE_URL."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": str(DATA_DIR / "jineng.sqlite3")}
    if "://" not in url:
        raise ImproperlyConfigured(
            f"环境变量 DATABASE_URL 的值 {url!r} 无效：应形如 postgres://user@host:5432/dbname 或 sqlite:///path"
        )
    try:
        config = dict(dj_database_url.parse(url, conn_max_age=60))
    except (ValueError, KeyError) as exc:
        raise ImproperlyConfigured(f"环境变量 DATABASE_URL 的值无效：{exc}") from exc
    if not config.get("NAME") and config.get("ENGINE") != "django.db.backends.sqlite3":
        raise ImproperlyConfigured("环境变量 DATABASE_URL 缺少数据库名（URL 的路径部分）")
    if config.get("ENGINE") == "django.db.backends.postgresql" and env_bool("JINENG_DB_PREPARE", True):
        # Django leaves psycopg's prepare_threshold at None, and then psycopg ignores even an
        # explicit prepare=True. A threshold no statement reaches keeps automatic preparing off
        # (Django's own client-side-binding cursors never prepare anyway) while the prepare=True
        # of jineng.db's hot statements is honoured.
        options = config.setdefault("OPTIONS", {})
        assert isinstance(options, dict)
        options.setdefault("prepare_threshold", PREPARE_ONLY_WHEN_ASKED)
    return config


DATA_DIR = Path(os.environ.get("JINENG_DATA_DIR", str(Path.cwd() / "var"))).resolve()

DEBUG = env_bool("JINENG_DEBUG", False)
# A production deployment: every secret must come from the environment (nothing generated into the
# data directory), and the HTTPS-only settings of `manage.py check --deploy` apply.
PRODUCTION = env_bool("JINENG_PRODUCTION", False)


def _secret_key() -> str:
    key = os.environ.get("JINENG_SECRET_KEY", "").strip()
    if key:
        if len(key) < 32:
            raise ImproperlyConfigured("环境变量 JINENG_SECRET_KEY 过短：至少 32 个字符")
        return key
    # Without a configured key, a per-installation key is generated once and kept in the data
    # directory (never in the repository), so sessions survive restarts of a local install.
    key_file = DATA_DIR / "secret_key"
    if key_file.exists():
        return key_file.read_text(encoding="utf-8").strip()
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    key_file.write_text(key, encoding="utf-8")
    key_file.chmod(0o600)
    return key


SECRET_KEY = _secret_key()


def _data_key() -> bytes:
    """The key that encrypts resident IDs, phones and bank accounts at rest (32 bytes, base64).

    Kept apart from SECRET_KEY: rotating the session/CSRF key must not make personal data
    unreadable, and a leaked SECRET_KEY must not decrypt it.
    """
    raw = os.environ.get("JINENG_DATA_KEY", "").strip()
    if not raw:
        if PRODUCTION:
            raise ImproperlyConfigured(
                "生产环境必须设置环境变量 JINENG_DATA_KEY（32 字节密钥的 base64，"
                "可用 python -c 'import os,base64;print(base64.b64encode(os.urandom(32)).decode())' 生成）"
            )
        key_file = DATA_DIR / "data_key"
        if key_file.exists():
            raw = key_file.read_text(encoding="utf-8").strip()
        else:
            DATA_DIR.mkdir(parents=True, exist_ok=True)
            raw = base64.b64encode(secrets.token_bytes(32)).decode("ascii")
            key_file.write_text(raw, encoding="utf-8")
            key_file.chmod(0o600)
    try:
        key = base64.b64decode(raw.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != 32:
        raise ImproperlyConfigured("环境变量 JINENG_DATA_KEY 无效：应为 32 字节随机密钥的 base64 编码")
    return key


JINENG_DATA_KEY = _data_key()
ALLOWED_HOSTS = env_list("JINENG_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",
    "jineng.accounts",
    "jineng.registry",
    "jineng.classes",
    "jineng.supervision",
    "jineng.online",
    "jineng.assessment",
    "jineng.subsidy",
    "jineng.vouchers",
    "jineng.targets",
    "jineng.audit",
    "jineng.policy",
    "jineng.web",
    "jineng.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "jineng.accounts.security.IdleLogoutMiddleware",
    "jineng.accounts.security.PasswordAgeMiddleware",
    "jineng.accounts.security.NoStoreMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "jineng.urls"
AUTH_USER_MODEL = "accounts.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "jineng.wsgi.application"

DATABASES = {"default": database_from_env()}
# Hot read statements (jineng.db) are prepared once per PostgreSQL connection; turn off behind a
# transaction-mode pooler that cannot carry prepared statements.
DB_PREPARE = env_bool("JINENG_DB_PREPARE", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "zh-hans"
# The system is Chinese-only: a browser asking for English still gets Chinese forms and errors.
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"  # policy dates are local calendar dates; datetimes are stored aware in UTC
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# Login and session security (MLPS 2.0 level 3, 8.1.4.1; see docs/decisions.md).
AUTHENTICATION_BACKENDS = ["jineng.accounts.security.LockoutBackend"]
JINENG_LOGIN_MAX_FAILURES = env_int("JINENG_LOGIN_MAX_FAILURES", 5, minimum=1)
JINENG_LOGIN_FAILURE_WINDOW_MINUTES = 15
JINENG_LOGIN_LOCK_MINUTES = env_int("JINENG_LOGIN_LOCK_MINUTES", 15, minimum=1)
JINENG_SESSION_IDLE_MINUTES = env_int("JINENG_SESSION_IDLE_MINUTES", 30, minimum=1)
# The database row expires with the idle limit too, so an idle session is gone server-side.
SESSION_COOKIE_AGE = JINENG_SESSION_IDLE_MINUTES * 60
JINENG_PASSWORD_MAX_AGE_DAYS = env_int("JINENG_PASSWORD_MAX_AGE_DAYS", 90)  # 0: no periodic change
# A money step (finance sign-off, disbursement, clawback) needs the password (and the TOTP code,
# where the role has one) re-entered within this many minutes.
JINENG_REAUTH_MINUTES = env_int("JINENG_REAUTH_MINUTES", 5, minimum=1)
JINENG_TOTP_ISSUER = os.environ.get("JINENG_TOTP_ISSUER", "").strip() or "许昌职业技能培训"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "jineng.accounts.security.ComplexityValidator"},
]

# Where dated policy files are read from; a test or an administrator may point it elsewhere.
JINENG_POLICY_DIR = os.environ.get("JINENG_POLICY_DIR", "") or None

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
