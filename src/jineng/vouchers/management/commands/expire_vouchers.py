from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from ...services import vouchers_expire


class Command(BaseCommand):
    help = "把有效期已过、仍未使用的电子培训券标记为“已过期”（每日运行）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--today", help="按此日期处理（YYYY-MM-DD，默认今天，北京时间）")

    def handle(self, *args: Any, **options: Any) -> None:
        raw = options.get("today")
        try:
            today = dt.date.fromisoformat(raw) if raw else timezone.localdate()
        except ValueError as exc:
            raise CommandError(f"日期 {raw!r} 无效：应为 YYYY-MM-DD") from exc
        count = vouchers_expire(today=today)
        self.stdout.write(f"{today}：{count} 张培训券已过期")
