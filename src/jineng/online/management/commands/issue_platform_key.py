from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jineng.accounts.models import User
from jineng.classes.errors import ServiceError
from jineng.registry.models import OnlinePlatform

from ...keys import platform_key_issue, platform_key_revoke
from ...models import PlatformKey


class Command(BaseCommand):
    help = "为线上平台签发推送学习日志的密钥（密钥只显示这一次），或以 --revoke 吊销一把密钥"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--platform", required=True, help="平台标识（OnlinePlatform.code）")
        parser.add_argument("--by", required=True, help="执行操作的安全管理员或系统管理员账号")
        parser.add_argument("--revoke", metavar="PREFIX", help="吊销该平台以此前缀开头的密钥（8 个字符）")

    def handle(self, *args: Any, **options: Any) -> None:
        platform = OnlinePlatform.objects.filter(code=options["platform"]).first()
        if platform is None:
            raise CommandError(f"线上平台不存在：{options['platform']}")
        actor = User.objects.filter(username=options["by"]).first()
        if actor is None:
            raise CommandError(f"账号不存在：{options['by']}")
        try:
            if options["revoke"]:
                key = PlatformKey.objects.filter(platform=platform, prefix=options["revoke"]).first()
                if key is None:
                    raise CommandError(f"平台 {platform.code} 没有前缀为 {options['revoke']} 的密钥")
                key = platform_key_revoke(key=key, actor=actor)
                self.stdout.write(f"已吊销平台 {platform.code} 的密钥 {key.prefix}…")
                return
            key, secret = platform_key_issue(platform=platform, actor=actor)
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            f"已为平台 {platform.name}（{platform.code}）签发推送密钥（前缀 {key.prefix}），请妥善保存，系统不再显示："
        )
        self.stdout.write(secret)
