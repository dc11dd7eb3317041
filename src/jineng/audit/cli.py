"""`jineng audit verify`: check the audit log's hash chain; exit 0 intact, 1 broken, 2 unusable.

Kept free of Django imports at module level: `jineng` builds its whole parser for every command,
including the ones that never touch the database.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

EXIT_OK, EXIT_BROKEN, EXIT_INVALID = 0, 1, 2


def add_arguments(subparsers: Any) -> None:
    audit = subparsers.add_parser("audit", help="审计日志：校验哈希链")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True, metavar="SUBCOMMAND")
    verify = audit_sub.add_parser(
        "verify",
        help="逐条校验审计日志的哈希链，报告被改写、缺失或调换顺序的记录，并输出链头",
        description="逐条校验审计日志的哈希链。退出码：0 完整，1 已被破坏，2 无法校验。",
    )
    add_verify_arguments(verify)
    verify.set_defaults(handler=run)


def add_verify_arguments(parser: Any) -> None:
    """The options of `jineng audit verify`, shared with `jineng manage verify_audit`."""
    parser.add_argument(
        "--expect-head",
        metavar="SEQ:HASH",
        help="此前记录的链头（上次校验输出的“序号:哈希”）：末尾记录被删除只能据此发现",
    )
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--quiet", action="store_true", help="不在标准错误输出进度")


def run(args: argparse.Namespace) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jineng.settings")
    from django.apps import apps

    if not apps.ready:
        import django

        django.setup()
    return verify_command(args, out=sys.stdout, err=sys.stderr)


def verify_command(args: argparse.Namespace, *, out: Any, err: Any) -> int:
    from django.db import DatabaseError

    from .verify import parse_head, render, verify_database

    try:
        head = parse_head(args.expect_head) if args.expect_head else None
    except ValueError as exc:
        err.write(f"jineng: {exc}\n")
        return EXIT_INVALID

    def progress(count: int) -> None:
        if not args.quiet:
            err.write(f"已校验 {count:,} 条…\n")
            err.flush()

    try:
        report = verify_database(expect_head=head, progress=progress)
    except DatabaseError as exc:
        err.write(f"jineng: 无法读取审计日志（是否已运行 jineng manage migrate？）：{exc}\n")
        return EXIT_INVALID
    if args.format == "json":
        out.write(json.dumps(report.as_dict(), ensure_ascii=False, indent=2) + "\n")
    else:
        out.write(render(report))
    return EXIT_OK if report.ok else EXIT_BROKEN
