"""jineng manage refresh_progress [--year 2023]: rebuild the year's progress facts (run it from cron,
e.g. every 10 minutes; the dashboards and bulletins show when it last ran)."""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from jineng.targets.progress import progress_refresh


class Command(BaseCommand):
    help = "重建年度目标进度汇总（看板与通报读取的数据）"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--year", type=int, default=None, help="年度（默认今年）")

    def handle(self, *args: Any, **options: Any) -> None:
        year = options["year"] or timezone.localdate().year
        result = progress_refresh(year=year)
        self.stdout.write(f"{year} 年进度汇总已重建：{result.rows} 行，用时 {result.seconds:.2f} 秒")
