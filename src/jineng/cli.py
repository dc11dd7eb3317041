"""The `jineng` command: rule checks that need no database, and `manage` for everything Django."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from .policy.loader import Policy, PolicySet

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


# jemalloc, Polars' allocator, hands freed pages back to the OS within seconds and the next step
# of the audit faults them in again: on 10M events that was up to a third of the run, and most of
# its swing from run to run. The audit is a short batch process, so it keeps them. Read when
# Polars is first loaded, so set before that (a long-running server does not get it).
AUDIT_MALLOC_CONF = "dirty_decay_ms:-1,muzzy_decay_ms:-1"


def cmd_audit_online(args: argparse.Namespace) -> int:
    """Audit online-learning events (contracts/online-events.md); exit 0 when audited, 2 on unusable input."""
    os.environ.setdefault("_RJEM_MALLOC_CONF", AUDIT_MALLOC_CONF)
    from .online.engine import OnlineParams, audit_frame
    from .online.events import InvalidEvents, error_lines, read_courses, read_events, read_platforms
    from .online.report import render_csv, render_json, render_text
    from .policy.loader import PolicyError, policies

    try:
        courses = read_courses(Path(args.courses)) if args.courses else None
        platforms = read_platforms(Path(args.platforms)) if args.platforms else None
        events = read_events(Path(args.events), event_enum=True)
    except InvalidEvents as exc:
        sys.stderr.write(f"jineng: {exc.source} 无法使用，共 {exc.total} 处错误（未进行核查）：\n")
        sys.stderr.writelines(f"  {line}\n" for line in error_lines(exc))
        return EXIT_INVALID
    try:
        known = policies()
    except PolicyError as exc:
        return _error(f"政策文件有误：{exc}")
    earliest = events.get_column("ts").min()
    first_day = dt.datetime.fromtimestamp(earliest // 1000, tz=LOCAL).date() if isinstance(earliest, int) else None
    try:
        policy, day = _online_policy(known, first_day, args.policy)
    except LookupError as exc:
        return _error(str(exc))
    params = OnlineParams.from_policy(policy.parameters_on(day))
    outcome = audit_frame(events, params=params, courses=courses, platforms=platforms)
    if args.format == "json":
        data = render_json(outcome).encode("utf-8")
    elif args.format == "csv":
        data = render_csv(outcome)
    else:
        data = render_text(outcome, policy=policy.name).encode("utf-8")
    if args.out is None:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return EXIT_OK
    try:
        _write_atomically(Path(args.out), data)
    except OSError as exc:
        return _error(f"无法写入 {args.out}：{exc.strerror}")
    return EXIT_OK


def _online_policy(known: PolicySet, first_day: dt.date | None, name: str | None) -> tuple[Policy, dt.date]:
    """The policy (and date of its parameters) for events whose earliest local date is `first_day`."""
    if name:
        policy = known.named(name)
        if policy is None:
            raise LookupError(f"没有名为 {name} 的政策（可用：{known.describe_periods()}）")
        if first_day is None or policy.covers(first_day):
            return policy, first_day or policy.start
        day = min(max(first_day, policy.start), policy.end)
        sys.stderr.write(
            f"jineng: 最早的事件在 {first_day}，不在政策 {policy.name} 的有效期内，按其 {day} 的参数核查\n"
        )
        return policy, day
    if first_day is None:  # no events: nothing is audited
        latest = max(known.policies, key=lambda p: p.end)
        return latest, latest.end
    found = known.in_force(first_day)
    if found is None:
        raise LookupError(
            f"最早的事件在 {first_day}，当日没有生效的政策（{known.describe_periods()}）；可用 --policy 指定"
        )
    return found, first_day


def _write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary file beside `path`, then rename: readers see the old file or the whole new one."""
    import tempfile

    descriptor, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(name, 0o644)
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


def cmd_demo(args: argparse.Namespace) -> int:
    """Synthetic data at scale into the configured database (jineng.demo.scale); exit 0 when
    written, 1 when the database already holds it, 2 when it has no tables yet."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jineng.settings")
    from django.apps import apps

    if not apps.ready:
        import django

        django.setup()
    from django.db import connection

    from .classes.models import TrainingClass
    from .demo.scale import AlreadyGenerated, generate, summary

    if TrainingClass._meta.db_table not in connection.introspection.table_names():
        return _error("数据库尚未建表：请先运行 jineng manage migrate")
    try:
        counts = generate(scale=args.scale, year=args.year, seed=args.seed, out=sys.stderr)
    except AlreadyGenerated as exc:
        sys.stderr.write(f"jineng: {exc}\n")
        return EXIT_BLOCK
    sys.stdout.write(f"已生成{'全市' if args.scale == 'city' else '全省'}规模演示数据（{args.year} 年）：\n")
    sys.stdout.write(summary(counts))
    return EXIT_OK


def cmd_manage(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jineng.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["jineng manage", *argv])
    return EXIT_OK


def cmd_bulletin(args: argparse.Namespace) -> int:
    """A bulletin of the plan's progress (jineng.targets.bulletin) as XLSX or PDF: read as a
    city-level reader unless --as names one; exit 0 when written, 2 on unusable arguments."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jineng.settings")
    from django.apps import apps

    if not apps.ready:
        import django

        django.setup()
    from django.db import DatabaseError

    from .accounts.models import Role, User
    from .registry.models import OrgUnit
    from .targets import bulletin

    if not args.period:
        return _error("请用 --period 指定通报期间（如 2023-06）")
    fmt = args.format.strip().lower()
    if fmt not in bulletin.FORMATS:
        return _error(f"格式“{args.format}”无法识别，应为 xlsx 或 pdf")
    try:
        kind = bulletin.normalize_kind(args.kind)
        bulletin.parse_period(args.period, kind)
    except ValueError as exc:
        return _error(str(exc))
    try:
        if args.as_user:
            reader = User.objects.filter(username=args.as_user, is_active=True).first()
            if reader is None:
                return _error(f"没有用户名为 {args.as_user} 的有效用户")
        else:
            reader = (
                User.objects.filter(is_active=True, role__in=(Role.CITY_HR, Role.LEADER), org__kind=OrgUnit.Kind.CITY)
                .order_by("id")
                .first()
            )
            if reader is None:
                return _error("没有可用的市级账号（市人社局审核人或领导）：请先建立账号，或用 --as 指定用户")
    except DatabaseError as exc:
        return _error(f"无法读取数据库（是否已运行 jineng manage migrate？）：{exc}")
    try:
        made = bulletin.build(reader, kind=kind, period=args.period)
    except bulletin.NoReach:
        return _error(f"用户 {reader.username}（{reader.role_label}）无权查阅目标任务进度通报")
    except ValueError as exc:
        return _error(str(exc))
    except DatabaseError as exc:
        return _error(f"无法读取数据库（是否已运行 jineng manage migrate？）：{exc}")
    path = Path(args.output) if args.output else Path.cwd()
    if path.is_dir():
        path = path / made.filename(fmt)
    try:
        _write_atomically(path, bulletin.render(made, fmt))
    except OSError as exc:
        return _error(f"无法写入 {path}：{exc.strerror}")
    # An export from the command line is audited as one from a page is (audit.middleware): the
    # file is taken back when its row cannot be written, so no export goes unrecorded.
    from .audit.services import audit_record

    try:
        audit_record(
            actor=reader,
            event="export",
            changes={"filename": (None, path.name)},
            note=f"jineng bulletin：导出文件 {path.name}",
            object_type="cli",
            object_id="bulletin",
            object_repr=str(path),
        )
    except DatabaseError as exc:
        path.unlink(missing_ok=True)
        return _error(f"无法写入审计日志，已删除导出的文件 {path}：{exc}")
    if made.overview.refreshed_at is None:
        sys.stderr.write(f"jineng: {made.year} 年的进度数据尚未汇总，通报中的完成数为 0\n")
    sys.stdout.write(f"{path}\n{made.title}\n{made.summary}\n")
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

    kinds = "weekly（周调度）、monthly（月通报）、quarterly（季讲评）、half-year（半年督导）、year（全年总结）"
    bull = sub.add_parser("bulletin", help="生成目标任务进度通报（XLSX 或 PDF）：表格、图表与通报摘要")
    bull.add_argument("--period", metavar="PERIOD", help="通报期间：2023-06、2023-W23、2023-Q2、2023-H1、2023 或日期")
    bull.add_argument("--kind", default="monthly", metavar="KIND", help=f"通报类型：{kinds}（默认 monthly）")
    bull.add_argument("--format", default="xlsx", metavar="FORMAT", help="xlsx 或 pdf（默认 xlsx）")
    bull.add_argument("--output", metavar="FILE", help="写入文件（默认：当前目录下的“通报-期间-类型.格式”）")
    bull.add_argument("--as", dest="as_user", metavar="USERNAME", help="以该用户的查阅范围生成（默认：市级账号）")
    bull.set_defaults(handler=cmd_bulletin)

    online = sub.add_parser("audit-online", help="核查线上学习日志（快进、多窗口、弹窗、活体、顺序、拍照、平台）")
    online.add_argument("events", metavar="EVENTS", help="学习日志：CSV（含表头）、JSON Lines 或 Parquet，可为 .gz")
    online.add_argument(
        "--courses", metavar="COURSES.json", help='课程课时：{"CRS-1": {"hour_minutes": 45, "lessons": 12}}'
    )
    online.add_argument(
        "--platforms", metavar="PLATFORMS.json", help='平台：{"PLAT-1": {"listed": true, "connected": true}}'
    )
    online.add_argument("--format", choices=("json", "text", "csv"), default="json")
    online.add_argument("--out", metavar="FILE", help="写入文件（先写临时文件再改名，出错时不留半个文件）")
    online.add_argument("--policy", metavar="NAME", help="指定政策（默认：最早事件当日生效的政策）")
    online.set_defaults(handler=cmd_audit_online)

    demo = sub.add_parser("demo", help="生成规模演示数据（全市约12万人次，全省约300万人次），写入当前配置的数据库")
    demo.add_argument("--scale", choices=("city", "province"), required=True, help="city：全市规模；province：全省规模")
    demo.add_argument("--year", type=int, default=2023, help="计划年度（默认 2023）")
    demo.add_argument("--seed", type=int, default=2023, help="随机种子：相同种子生成相同数据（默认 2023）")
    demo.set_defaults(handler=cmd_demo)

    from .ops.cli import add_backup_commands  # argparse only: Django loads when a command runs

    add_backup_commands(sub)

    from .audit.cli import add_arguments as add_audit_commands  # argparse only, like the above

    add_audit_commands(sub)

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
