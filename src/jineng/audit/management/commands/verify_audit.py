"""jineng manage verify_audit [--expect-head SEQ:HASH]: the same check as `jineng audit verify`
(run it from cron and keep the head it prints somewhere the database's users cannot write)."""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from jineng.audit.cli import EXIT_BROKEN, EXIT_OK, add_verify_arguments, verify_command


class Command(BaseCommand):
    help = "逐条校验审计日志的哈希链（同 jineng audit verify）：退出码 0 完整，1 已被破坏，2 无法校验"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        add_verify_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        code = verify_command(argparse.Namespace(**options), out=self.stdout, err=self.stderr)
        if code == EXIT_BROKEN:
            raise CommandError("审计链已被破坏", returncode=EXIT_BROKEN)
        if code != EXIT_OK:
            raise CommandError("无法校验审计链", returncode=code)
