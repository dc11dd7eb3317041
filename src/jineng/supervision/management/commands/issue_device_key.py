from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jineng.accounts.models import User
from jineng.classes.errors import ServiceError
from jineng.registry.models import CheckinDevice

from ...devices import device_key_issue, device_key_revoke
from ...models import DeviceKey


class Command(BaseCommand):
    help = "为人脸签到设备签发推送密钥（密钥只显示这一次），或以 --revoke 吊销一把密钥"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--device", required=True, help="设备编号（CheckinDevice.serial）")
        parser.add_argument("--by", required=True, help="执行操作的安全管理员或系统管理员账号")
        parser.add_argument("--revoke", metavar="PREFIX", help="吊销该设备以此前缀开头的密钥（8 个字符）")

    def handle(self, *args: Any, **options: Any) -> None:
        device = CheckinDevice.objects.select_related("institution").filter(serial=options["device"]).first()
        if device is None:
            raise CommandError(f"签到设备不存在：{options['device']}")
        actor = User.objects.filter(username=options["by"]).first()
        if actor is None:
            raise CommandError(f"账号不存在：{options['by']}")
        try:
            if options["revoke"]:
                key = DeviceKey.objects.filter(device=device, prefix=options["revoke"]).first()
                if key is None:
                    raise CommandError(f"设备 {device.serial} 没有前缀为 {options['revoke']} 的密钥")
                key = device_key_revoke(key=key, actor=actor)
                self.stdout.write(f"已吊销设备 {device.serial} 的密钥 {key.prefix}…")
                return
            key, secret = device_key_issue(device=device, actor=actor)
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        note = "" if device.active else "（该设备目前停用，启用后才能推送）"
        self.stdout.write(
            f"已为设备 {device.serial}（{device.institution.name}）签发推送密钥（前缀 {key.prefix}）{note}，"
            "请妥善保存，系统不再显示："
        )
        self.stdout.write(secret)
