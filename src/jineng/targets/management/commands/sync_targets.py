"""jineng manage sync_targets: load the shipped plan's targets (section 一, annex 1/2, special actions)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from jineng.targets.services import targets_sync


class Command(BaseCommand):
    help = "载入方案目标任务（一、附件1、附件2、十大专项行动）"

    def handle(self, *args: Any, **options: Any) -> None:
        count = targets_sync()
        self.stdout.write(f"目标任务 {count} 项已载入")
