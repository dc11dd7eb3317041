"""`jineng backup OUT` and `jineng restore IN` (jineng.ops.backup).

Exit codes: 0 done; 2 refused with nothing written (no backup directory left behind, or no row
restored); 1 a restore that failed while loading and was rolled back.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

EXIT_OK, EXIT_FAILED, EXIT_REFUSED = 0, 1, 2


def add_backup_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    backup = sub.add_parser(
        "backup", help="备份整个数据库：同一时刻的一致快照，每表一个 gzip 文件，清单记录行数与校验和"
    )
    backup.add_argument("out", metavar="OUT", help="新建的备份目录（不得已存在）")
    backup.set_defaults(handler=run_backup)
    restore = sub.add_parser(
        "restore", help="把备份恢复到刚执行过 migrate 的空数据库：先校验全部文件，再在一个事务里写入"
    )
    restore.add_argument("source", metavar="IN", help="jineng backup 写出的备份目录")
    restore.set_defaults(handler=run_restore)


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jineng.settings")
    from django.apps import apps

    if not apps.ready:
        import django

        django.setup()


def run_backup(args: argparse.Namespace) -> int:
    _setup()
    from django.db import DatabaseError

    from .backup import BackupError, backup

    try:
        manifest = backup(Path(args.out), progress=sys.stderr)
    except BackupError as exc:
        sys.stderr.write(f"jineng: 备份未完成：{exc}\n")
        return EXIT_REFUSED
    except (DatabaseError, OSError) as exc:
        sys.stderr.write(f"jineng: 备份失败，未留下备份目录：{exc}\n")
        return EXIT_REFUSED
    tables = manifest["tables"]
    rows = sum(entry["rows"] for entry in tables.values())
    sys.stdout.write(
        f"{args.out}\n已备份 {len(tables)} 张表，共 {rows:,} 行（{manifest['created_at']}）；"
        "恢复时须配置相同的 JINENG_DATA_KEY\n"
    )
    return EXIT_OK


def run_restore(args: argparse.Namespace) -> int:
    _setup()
    from django.db import DatabaseError

    from .backup import RestoreFailed, RestoreRefused, restore

    try:
        counts = restore(Path(args.source), progress=sys.stderr)
    except RestoreRefused as exc:
        sys.stderr.write(f"jineng: 拒绝恢复（未写入任何数据）：{exc}\n")
        return EXIT_REFUSED
    except RestoreFailed as exc:
        sys.stderr.write(f"jineng: {exc}\n")
        return EXIT_FAILED
    except DatabaseError as exc:
        sys.stderr.write(f"jineng: 无法访问目标数据库（未写入任何数据）：{exc}\n")
        return EXIT_REFUSED
    sys.stdout.write(f"已恢复 {len(counts)} 张表，共 {sum(counts.values()):,} 行；所有用户须重新登录\n")
    return EXIT_OK
