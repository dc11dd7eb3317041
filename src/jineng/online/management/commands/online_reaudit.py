from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jineng.accounts.models import User
from jineng.classes.errors import ServiceError
from jineng.registry.models import OnlinePlatform

from ...services import results_recompute


class Command(BaseCommand):
    help = (
        "重新核查已存储的线上学习日志并改写核查结果（如平台移出目录清单、课程课时长度更正之后）："
        "全部学员，或 --platform 某平台上有学习记录的学员，或 --learner 指定学员"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--by", required=True, help="执行重新核查的系统管理员账号")
        parser.add_argument("--platform", help="只核查在该平台上有学习记录的学员（平台标识）")
        parser.add_argument("--learner", action="append", help="只核查该学员（身份证号，可重复）")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = User.objects.filter(username=options["by"]).first()
        if actor is None:
            raise CommandError(f"账号不存在：{options['by']}")
        if options["platform"] and options["learner"]:
            raise CommandError("--platform 与 --learner 只能指定其一")
        platform = None
        if options["platform"]:
            platform = OnlinePlatform.objects.filter(code=options["platform"]).first()
            if platform is None:
                raise CommandError(f"线上平台不存在：{options['platform']}")

        def progress(done: int, total: int) -> None:
            self.stdout.write(f"已核查 {done}/{total} 名学员")

        try:
            report = results_recompute(actor=actor, learners=options["learner"], platform=platform, progress=progress)
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            f"完成：{report.learners} 名学员，{report.results} 条结果，其中学时认定 {report.recognised} 条，"
            f"不予认定 {report.results - report.recognised} 条"
        )
