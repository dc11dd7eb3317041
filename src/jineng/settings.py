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
from django.utils.csp import CSP

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
        # Persistent connections are checked once per request before reuse: a connection the
        # server ended (restart, failover, pg_terminate_backend) is replaced instead of failing
        # the request that happens to pick it up.
        config = dict(dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True))
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
if PRODUCTION and DEBUG:
    # The debug page shows settings, SQL and local variables — personal data among them.
    raise ImproperlyConfigured(
        "生产环境（JINENG_PRODUCTION=true）不得设置 JINENG_DEBUG=true：调试页会泄露配置与个人数据"
    )


def _secret_key() -> str:
    key = os.environ.get("JINENG_SECRET_KEY", "").strip()
    if key:
        # Production asks what `check --deploy` asks (50 characters, not a repeated few); a local
        # install keeps the older, shorter minimum.
        minimum = 50 if PRODUCTION else 32
        if len(key) < minimum or (PRODUCTION and len(set(key)) < 5):
            raise ImproperlyConfigured(f"环境变量 JINENG_SECRET_KEY 过短：至少 {minimum} 个字符且不少于 5 种字符")
        return key
    if PRODUCTION:
        # Several workers or hosts must share one key, and a key generated into the data directory
        # would silently differ between them (sessions and CSRF tokens failing at random).
        raise ImproperlyConfigured(
            "生产环境必须设置环境变量 JINENG_SECRET_KEY（至少 50 个字符，"
            "可用 python -c 'import secrets;print(secrets.token_urlsafe(50))' 生成）"
        )
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


def _allowed_hosts() -> list[str]:
    if not PRODUCTION:
        return env_list("JINENG_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
    hosts = env_list("JINENG_ALLOWED_HOSTS", [])
    if not hosts:
        raise ImproperlyConfigured(
            "生产环境必须设置环境变量 JINENG_ALLOWED_HOSTS（站点域名，逗号分隔，如 jineng.example.gov.cn）"
        )
    if "*" in hosts:
        # Any Host header accepted would let a forged host into absolute links the site builds.
        raise ImproperlyConfigured("环境变量 JINENG_ALLOWED_HOSTS 在生产环境不得为 *：请列出站点的域名")
    return hosts


ALLOWED_HOSTS = _allowed_hosts()

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
    # First, so every later step (audit, lockout, rate limits) sees the client's address, not nginx's.
    "jineng.web.middleware.ForwardedClientMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "jineng.web.middleware.PermissionsPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before any view: a NUL character (PostgreSQL cannot take it) and an upload over its limit.
    "jineng.inputs.InputGuardMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # After CSRF: a login POST refused for its token is not counted against the address.
    "jineng.ratelimit.LoginRateLimitMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Refused requests, exports and clear-ID views audited; just inside authentication, so it sees
    # the user and every answer the layers below give (jineng.audit.middleware).
    "jineng.audit.middleware.AuditMiddleware",
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
                "django.template.context_processors.csp",
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
# Where collectstatic puts the files nginx serves (docs/deploy.md).
STATIC_ROOT = Path(os.environ.get("JINENG_STATIC_ROOT", "").strip() or DATA_DIR / "static")

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
SESSION_ENGINE = "jineng.accounts.sessions"  # the database backend, loaded by a prepared statement
JINENG_PASSWORD_MAX_AGE_DAYS = env_int("JINENG_PASSWORD_MAX_AGE_DAYS", 90)  # 0: no periodic change
# A money step (finance sign-off, disbursement, clawback) needs the password (and the TOTP code,
# where the role has one) re-entered within this many minutes.
JINENG_REAUTH_MINUTES = env_int("JINENG_REAUTH_MINUTES", 5, minimum=1)
JINENG_TOTP_ISSUER = os.environ.get("JINENG_TOTP_ISSUER", "").strip() or "许昌职业技能培训"
# Role values spelled out because settings cannot import the models; a test keeps them equal to Role.
ROLE_VALUES = (
    *("institution_clerk", "evaluator", "dept_reviewer", "area_hr", "city_hr", "finance"),
    *("worker", "leader", "sys_admin", "audit_admin", "security_admin"),
)


def _totp_roles() -> list[str]:
    default = ["dept_reviewer", "area_hr", "city_hr", "finance", "sys_admin", "audit_admin", "security_admin"]
    roles = env_list("JINENG_TOTP_ROLES", default)
    unknown = [r for r in roles if r not in ROLE_VALUES]
    if unknown:
        raise ImproperlyConfigured(
            f"环境变量 JINENG_TOTP_ROLES 含未知角色 {', '.join(unknown)}：可选 {', '.join(ROLE_VALUES)}"
        )
    return roles


# Users of these roles log in with a TOTP code as well as the password (MLPS 8.1.4.1 d); an empty
# value (JINENG_TOTP_ROLES=) turns the second factor off.
JINENG_TOTP_ROLES = _totp_roles()
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "jineng.accounts.security.ComplexityValidator"},
]

# Where dated policy files are read from; a test or an administrator may point it elsewhere.
JINENG_POLICY_DIR = os.environ.get("JINENG_POLICY_DIR", "") or None

# Uploads (jineng.tabular, jineng.inputs): a list file (花名册, 考核结果, 发放名单, class document) is
# refused over JINENG_UPLOAD_MAX_MB before it is read; an institution's offline check-in records run
# to a million rows (supervision.ingest), so they have their own, larger limit. Multipart bodies
# over the limit are refused from Content-Length, before Django streams them to disk.
JINENG_UPLOAD_MAX_MB = env_int("JINENG_UPLOAD_MAX_MB", 20, minimum=1)
JINENG_CHECKIN_IMPORT_MAX_MB = env_int("JINENG_CHECKIN_IMPORT_MAX_MB", 256, minimum=1)
# Bodies that are not files (JSON, forms): a device's push of 5,000 check-ins is under 1 MB.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440  # a larger upload is spooled to a temporary file
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
DATA_UPLOAD_MAX_NUMBER_FILES = 5  # every upload form sends one file

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

# ── HTTPS and security headers (`manage.py check --deploy` is clean in production; docs/deploy.md) ──
# nginx terminates TLS and says so in X-Forwarded-Proto; X-Forwarded-For carries the client's address
# (jineng.web.middleware.ForwardedClientMiddleware). Never set this without a proxy that overwrites
# both headers: a client could then claim HTTPS or any address.
JINENG_BEHIND_PROXY = env_bool("JINENG_BEHIND_PROXY", False)
if JINENG_BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Secure cookies and the HTTPS redirect only in production: a local install is served over plain HTTP.
SECURE_SSL_REDIRECT = PRODUCTION
# A load balancer's or monitor's probe over plain HTTP on the internal address still gets its answer.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SECURE_HSTS_SECONDS = env_int("JINENG_HSTS_SECONDS", 31_536_000) if PRODUCTION else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("JINENG_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("JINENG_HSTS_PRELOAD", True)
# Turning either off is the operator's recorded choice (a shared parent domain with HTTP-only
# hosts; no wish to be on the browsers' preload list), so the deploy check need not repeat it.
SILENCED_SYSTEM_CHECKS = [
    check
    for check, chosen_off in (
        ("security.W005", "JINENG_HSTS_INCLUDE_SUBDOMAINS" in os.environ and not SECURE_HSTS_INCLUDE_SUBDOMAINS),
        ("security.W021", "JINENG_HSTS_PRELOAD" in os.environ and not SECURE_HSTS_PRELOAD),
    )
    if chosen_off
]


def _origins(name: str) -> list[str]:
    origins = env_list(name, [])
    for origin in origins:
        if not origin.startswith(("https://", "http://")) or origin.count("/") != 2:
            raise ImproperlyConfigured(
                f"环境变量 {name} 的值 {origin!r} 无效：应形如 https://jineng.example.gov.cn（含协议，不含路径）"
            )
    return origins


# Only needed when forms are posted from another origin than the site's own (e.g. a second domain).
CSRF_TRUSTED_ORIGINS = _origins("JINENG_CSRF_TRUSTED_ORIGINS")
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Content Security Policy (Django's own middleware): scripts and styles only from /static/ or
# carrying the request's nonce, no inline handlers or style attributes, nothing from other hosts
# (ECharts and htmx are vendored). In every mode, so a violation shows up in development and tests.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    # The admin's change list carries one nonced <style>; the site's own pages use app.css only.
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
# Sent by jineng.web.middleware.PermissionsPolicyMiddleware: no page needs these browser features.
JINENG_PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"


def cache_from_env() -> dict[str, object]:
    """Redis through JINENG_CACHE_URL (shared by every worker); otherwise memory of each process."""
    url = os.environ.get("JINENG_CACHE_URL", "").strip()
    if not url or url == "locmem://":
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "jineng"}
    if url.split("://", 1)[0] not in {"redis", "rediss", "unix"}:
        raise ImproperlyConfigured(
            f"环境变量 JINENG_CACHE_URL 的值 {url!r} 无效：应形如 redis://127.0.0.1:6379/0（或 rediss://、unix://、locmem://）"
        )
    return {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": url,
        "KEY_PREFIX": "jineng",
        # A Redis that hangs must not hang logins: the limiter gives up after a second and lets
        # the request through (jineng.ratelimit), the lockout in the database still applies.
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }


CACHES = {"default": cache_from_env()}

# The targets overview (dashboard and API) is kept this many seconds per reach, year and day in
# the cache above, and dropped at once when the progress facts are refreshed or a target,
# competition, filing, report or org unit is saved (jineng.targets.selectors). 0: always computed.
JINENG_DASHBOARD_CACHE_SECONDS = env_int("JINENG_DASHBOARD_CACHE_SECONDS", 60)

# Rate limits (jineng.ratelimit): fixed windows of JINENG_RATE_WINDOW_SECONDS; 0 turns a limit off.
# Counted in the cache above — with several workers set JINENG_CACHE_URL, or each worker counts alone.
JINENG_RATE_WINDOW_SECONDS = env_int("JINENG_RATE_WINDOW_SECONDS", 60, minimum=1)
JINENG_RATE_LOGIN_PER_IP = env_int("JINENG_RATE_LOGIN_PER_IP", 10)
# Above the lockout threshold (JINENG_LOGIN_MAX_FAILURES): the lockout answers first; this bounds the
# rows a locked username being hammered would write (each attempt is recorded and audited).
JINENG_RATE_LOGIN_PER_USERNAME = env_int("JINENG_RATE_LOGIN_PER_USERNAME", 10)
JINENG_RATE_BULK = env_int("JINENG_RATE_BULK", 60)
# Refusals of callers not signed in, audited per client address and window (jineng.audit.middleware);
# past it one row says the rest of the window went unrecorded. 0: every one audited.
JINENG_AUDIT_ANONYMOUS_PER_IP = env_int("JINENG_AUDIT_ANONYMOUS_PER_IP", 60)

# A failed variable lookup in a template logs the whole template context at DEBUG, rosters and
# clear IDs with it: that logger never goes below INFO, whatever level the other logs run at.
LOGGING = {"version": 1, "disable_existing_loggers": False, "loggers": {"django.template": {"level": "INFO"}}}
