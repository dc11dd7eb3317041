"""Deployment checks of jineng's own (`manage.py check --deploy`), beside Django's security checks."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Tags, Warning, register

LOCMEM = "django.core.cache.backends.locmem.LocMemCache"


@register(Tags.security, deploy=True)
def check_shared_cache(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    """In production the rate limits need one counter for all workers, which per-process memory is not."""
    if not getattr(settings, "PRODUCTION", False):
        return []
    if settings.CACHES.get("default", {}).get("BACKEND") != LOCMEM:
        return []
    return [
        Warning(
            "生产环境未设置 JINENG_CACHE_URL：限流计数存于各工作进程的内存，多个 gunicorn 进程时每个进程各自计数，"
            "登录与批量接口的实际上限成倍放宽。",
            hint="设置 JINENG_CACHE_URL=redis://127.0.0.1:6379/0（见 docs/deploy.md）。",
            id="jineng.W001",
        )
    ]
