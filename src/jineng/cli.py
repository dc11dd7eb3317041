"""The `jineng` command: rule checks that need no database, and `manage` for everything Django."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

EXIT_OK, EXIT_BLOCK, EXIT_INVALID = 0, 1, 2
LOCAL = ZoneInfo("Asia/Shanghai")


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def _error(message: str) -> int:
    sys.stderr.write(f"jineng: {message}\n")
    return EXIT_INVALID


def cmd_check_class(args: argparse.Namespace) -> int:
    from .policy.engine import UnknownPolicy, check_json
    from .policy.facts import InvalidDocument
    from .policy.loader import PolicyError, policies
    from .policy.report import render_evaluation_text

    try:
        raw = sys.stdin.buffer.read() if args.file == "-" else Path(args.file).read_bytes()
    except OSError as exc:
        return _error(f"无法读取 {args.file}：{exc.strerror}")
    try:
        doc, evaluation = check_json(raw, policies=policies(), policy_name=args.policy)
    except PolicyError as exc:
        return _error(f"政策文件有误：{exc}")
    except UnknownPolicy as exc:
        return _error(str(exc))
    except InvalidDocument as exc:
        source = "标准输入" if args.file == "-" else args.file
        sys.stderr.write(f"jineng: {source} 不是有效的开班事实文档，共 {len(exc.errors)} 处错误（未进行规则核查）：\n")
        for error in exc.errors:
            sys.stderr.write(f"  {error.path}: {error.message}\n")
        return EXIT_INVALID
    if args.format == "json":
        _print_json(evaluation.as_dict())
    else:
        sys.stdout.write(render_evaluation_text(evaluation, doc))
    return EXIT_OK if evaluation.decision == "approve" else EXIT_BLOCK


def cmd_rules(args: argparse.Namespace) -> int:
    from .policy.loader import PolicyError, policies
    from .policy.report import render_rules_text, rules_as_dict

    try:
        known = policies()
    except PolicyError as exc:
        return _error(f"政策文件有误：{exc}")
    if args.policy:
        policy = known.named(args.policy)
        if policy is None:
            return _error(f"没有名为 {args.policy} 的政策（可用：{known.describe_periods()}）")
        day = args.date or policy.start
        if not policy.covers(day):
            return _error(f"{day} 不在政策 {policy.name} 的有效期（{policy.start} 至 {policy.end}）内")
    elif args.date:
        day = args.date
        found = known.in_force(day)
        if found is None:
            return _error(f"{day} 没有生效的政策（{known.describe_periods()}）")
        policy = found
    else:
        day = dt.datetime.now(LOCAL).date()
        found = known.in_force(day)
        if found is None:
            # Nothing in force today: show the latest policy as it stood on its last day.
            policy = max(known.policies, key=lambda p: p.end)
            sys.stderr.write(
                f"jineng: 今天（{day}）没有生效的政策，显示 {policy.name} 于 {policy.end} 的参数；"
                "可用 --date 指定日期\n"
            )
            day = policy.end if day > policy.end else policy.start
        else:
            policy = found
    if args.format == "json":
        _print_json(rules_as_dict(policy, day))
    else:
        sys.stdout.write(render_rules_text(policy, day))
    return EXIT_OK


def cmd_plan_check(args: argparse.Namespace) -> int:
    from .plan.checks import check_plan, render_text, to_json
    from .plan.loader import PlanDataError, load_plan

    try:
        plan = load_plan(args.plan)
    except (PlanDataError, FileNotFoundError) as exc:
        return _error(f"计划数据有误：{exc}")
    issues = check_plan(plan)
    if args.format == "json":
        _print_json(to_json(issues, plan))
    else:
        sys.stdout.write(render_text(issues, plan))
    return EXIT_OK


def cmd_manage(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jineng.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["jineng manage", *argv])
    return EXIT_OK


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} 不是有效日期（YYYY-MM-DD）") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="jineng", description="政府补贴职业技能培训管理系统（许昌 2023）")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check = sub.add_parser("check-class", help="按政策规则核查一份开班事实文档（JSON）")
    check.add_argument("file", metavar="FILE.json", help="开班事实文档；- 表示标准输入")
    check.add_argument("--format", choices=("json", "text"), default="json")
    check.add_argument("--policy", metavar="NAME", help="指定政策（默认：as_of 当日生效的政策）")
    check.set_defaults(handler=cmd_check_class)

    rules = sub.add_parser("rules", help="列出全部规则及指定日期生效的参数")
    rules.add_argument("--format", choices=("json", "text"), default="text")
    rules.add_argument("--date", type=_date, help="参数生效日期（默认今天）")
    rules.add_argument("--policy", metavar="NAME")
    rules.set_defaults(handler=cmd_rules)

    plan = sub.add_parser("plan", help="目标任务计划数据")
    plan_sub = plan.add_subparsers(dest="plan_command", required=True, metavar="SUBCOMMAND")
    plan_check = plan_sub.add_parser("check", help="载入附件1、附件2与十大专项行动目标并报告不一致之处")
    plan_check.add_argument("--format", choices=("json", "text"), default="text")
    plan_check.add_argument("--plan", default="xuchang-2023")
    plan_check.set_defaults(handler=cmd_plan_check)

    sub.add_parser("manage", help="Django 管理命令（migrate、runserver、createsuperuser…）", add_help=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["manage"]:
        return cmd_manage(argv[1:])
    args = build_parser().parse_args(argv)
    code: int = args.handler(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
