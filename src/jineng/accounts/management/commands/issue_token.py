from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jineng.accounts.models import User
from jineng.accounts.services import token_issue
from jineng.classes.errors import ServiceError


class Command(BaseCommand):
    help = "为机构系统签发 API 令牌（由安全管理员执行；令牌只显示这一次）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", required=True, help="令牌代表的账号（如机构经办人）")
        parser.add_argument("--name", required=True, help="用途，如“某培训学校教务系统”")
        parser.add_argument("--by", required=True, help="执行签发的安全管理员账号")

    def handle(self, *args: Any, **options: Any) -> None:
        users = {u.username: u for u in User.objects.filter(username__in=[options["user"], options["by"]])}
        missing = [name for name in (options["user"], options["by"]) if name not in users]
        if missing:
            raise CommandError(f"账号不存在：{'、'.join(missing)}")
        try:
            token, secret = token_issue(user=users[options["user"]], actor=users[options["by"]], name=options["name"])
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"已签发令牌 {token.name}（前缀 {token.prefix}），请妥善保存，系统不再显示：")
        self.stdout.write(secret)
