from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from jineng.accounts.otp import STEP_SECONDS, code_now
from jineng.demo.seed import DEMO_TOTP_SECRET


class Command(BaseCommand):
    help = "显示演示账号当前的动态口令（演示密钥见 README；仅限演示安装）"

    def handle(self, *args: Any, **options: Any) -> None:
        left = STEP_SECONDS - int(timezone.now().timestamp()) % STEP_SECONDS
        self.stdout.write(
            f"{code_now(DEMO_TOTP_SECRET)}（演示账号的当前动态口令，约 {left} 秒后更换；同一口令每个账号只能使用一次）"
        )
