"""jineng manage db_roles --app-role jineng_app [--password-env VAR]: the PostgreSQL role the
application runs as, able to read and write its tables but not to rewrite the audit log.

Run it as the role that owns the tables and runs the migrations (the owner can always change its
own tables, disable triggers included, so it must not be the one the web server logs in as), after
every `migrate`; it is idempotent. The application then connects as the app role:
`DATABASE_URL=postgres://jineng_app:…@host/db`.
"""

from __future__ import annotations

import argparse
import os
import re
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from psycopg import sql

from jineng.audit.models import AuditEvent

ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
APP_TABLE_PRIVILEGES = "SELECT, INSERT, UPDATE, DELETE"


class Command(BaseCommand):
    help = "建立或更新应用程序的 PostgreSQL 登录角色：可读写业务表，但不能修改、删除或清空审计日志"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--app-role", required=True, help="应用程序连接数据库所用的角色名，如 jineng_app")
        parser.add_argument(
            "--password-env",
            metavar="VAR",
            help="从该环境变量读取角色密码（不在命令行上出现）；不指定则不设置或修改密码",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError(
                f"db_roles 只适用于 PostgreSQL：当前数据库为 {connection.vendor}"
                "（SQLite 是单用户嵌入式数据库，没有数据库角色与权限）"
            )
        role = options["app_role"].strip()
        if not ROLE_NAME.match(role):
            raise CommandError(
                f"--app-role 的值 {role!r} 无效：应为小写字母、数字和下划线，以字母或下划线开头，不超过 63 个字符"
            )
        password = None
        if options["password_env"]:
            password = os.environ.get(options["password_env"], "")
            if not password:
                raise CommandError(f"--password-env 指定的环境变量 {options['password_env']} 未设置或为空")
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT current_user, current_database(), current_schema()")
            owner, database, schema = cursor.fetchone()
            if role == owner:
                raise CommandError(
                    f"--app-role 不能是当前角色 {owner}：表的所有者总能修改自己的表（包括停用触发器），"
                    "应用程序须以另一个角色连接"
                )
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s", [role])
            found = cursor.fetchone()
            if found is not None and found[0]:
                raise CommandError(f"角色 {role} 是超级用户，权限限制对其无效：请换一个角色名，或先取消其超级用户身份")
            name = sql.Identifier(role)
            options_sql: sql.Composable = sql.SQL("LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS")
            if password is not None:
                options_sql = sql.SQL("{} PASSWORD {}").format(options_sql, sql.Literal(password))
            verb = sql.SQL("CREATE ROLE" if found is None else "ALTER ROLE")
            # Executed on psycopg's own cursor: Django's query log (DEBUG) would keep the password.
            with connection.connection.cursor() as raw:
                raw.execute(sql.SQL("{} {} WITH {}").format(verb, name, options_sql))
            audit = sql.Identifier(AuditEvent._meta.db_table)
            owner_id, schema_id = sql.Identifier(owner), sql.Identifier(schema)
            statements = [
                sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(database), name),
                sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(schema_id, name),
                sql.SQL(f"GRANT {APP_TABLE_PRIVILEGES} ON ALL TABLES IN SCHEMA {{}} TO {{}}").format(schema_id, name),
                sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {} TO {}").format(schema_id, name),
                # Tables the owner creates later (new migrations) get the same grants.
                sql.SQL(
                    "ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA {} GRANT "
                    + APP_TABLE_PRIVILEGES
                    + " ON TABLES TO {}"
                ).format(owner_id, schema_id, name),
                sql.SQL(
                    "ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA {} GRANT USAGE, SELECT ON SEQUENCES TO {}"
                ).format(owner_id, schema_id, name),
                # After the blanket grants: the audit log takes new rows and is read, nothing more.
                sql.SQL("REVOKE UPDATE, DELETE, TRUNCATE ON {} FROM {}").format(audit, name),
                # Migrations are the owner's business: the application does not record them as run.
                sql.SQL("REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON django_migrations FROM {}").format(name),
            ]
            for statement in statements:
                cursor.execute(statement.as_string(connection.connection))
        what = "已建立" if found is None else "已更新"
        self.stdout.write(
            f"{what}应用角色 {role}（数据库 {database}，模式 {schema}）：可读写业务表；"
            f"审计日志 {AuditEvent._meta.db_table} 只可读取和追加，不能修改、删除或清空。"
        )
        if password is None and found is None:
            self.stdout.write("未设置密码：如需口令登录，请以 --password-env 指定存放密码的环境变量再运行一次。")
        self.stdout.write("每次 migrate 之后请再运行一次本命令；应用程序须以该角色连接数据库（DATABASE_URL）。")
