from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from jineng.demo.seed import demo_password, seed_demo


class Command(BaseCommand):
    help = "载入许昌 2023 演示数据与各角色演示账号（可重复执行，结果相同）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="在 JINENG_DEBUG=false 的安装上也载入（演示账号的密码是公开的，生产环境不应使用）",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["allow_production"]:
            raise CommandError(
                "演示账号的密码是公开的：仅在 JINENG_DEBUG=true 的演示安装上载入；确需载入请加 --allow-production"
            )
        started = time.perf_counter()
        accounts = seed_demo(password=demo_password(), say=lambda line: self.stdout.write(line))
        done = (
            f"演示数据已就绪（{time.perf_counter() - started:.1f} 秒）：{len(accounts)} 个账号，"
            "密码见 README（或 JINENG_DEMO_PASSWORD）"
        )
        self.stdout.write(self.style.SUCCESS(done))
