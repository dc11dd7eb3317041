"""`jineng backup` and `jineng restore`: the whole database as one consistent snapshot, checked
in full before a single row is written back.

A backup is a new directory (mode 0700, its files 0600: it holds password hashes, TOTP secrets and
the audit log):

    manifest.json        format, time, engine, database, jineng version, applied migrations, and per
                         table its file, row count, SHA-256 and columns; a SHA-256 of the manifest
                         itself and an HMAC keyed from JINENG_DATA_KEY
    <table>.copy.gz      PostgreSQL: the table in COPY text format, rows ordered by primary key
    <table>.jsonl.gz     SQLite: one JSON array of the stored values per row, ordered by primary key

Every table of the installed models is in it, with django_migrations; django_session is not
(sessions are ephemeral and carry session contents; after a restore everybody signs in again).

Consistency: on PostgreSQL every table is read in one REPEATABLE READ, READ ONLY transaction, so
all of them show the same moment while the application keeps writing; on SQLite in one read
transaction, which reads one snapshot in WAL mode but holds writers off until it ends in SQLite's
default rollback-journal mode (the single-user default install: back it up when nobody writes).
Tables are streamed (COPY blocks, cursor batches) and never held in memory.

Restore goes only into the same engine (PostgreSQL → PostgreSQL, SQLite → SQLite) and only into a
database migrated to exactly the backup's migrations and otherwise empty. It verifies the manifest
and every file first, then loads all tables in one transaction, resets the sequences, checks every
foreign key and recounts every table; any failure rolls the whole restore back.

Personal data columns are ciphertext in the database and so in the backup: restoring needs the
JINENG_DATA_KEY the backup was made with, and restore refuses another key before writing anything.
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import hashlib
import hmac
import json
import os
import shutil
import tempfile
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import IO, Any, cast

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.apps import apps
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, IntegrityError, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.recorder import MigrationRecorder
from django.db.models import Model

FORMAT = "jineng-backup"
VERSION = 1
MANIFEST = "manifest.json"
ENCODINGS = {"postgresql": ("postgresql-copy-text", ".copy.gz"), "sqlite": ("sqlite-json-lines", ".jsonl.gz")}
SKIPPED = {"django_session": "登录会话：临时数据且含会话内容，不备份；恢复后所有用户须重新登录"}
# What a fresh `migrate` writes by itself (its history and the post_migrate content types and
# permissions): a migrated empty database holds these rows, and restore replaces them with the
# backup's, whose ids the other tables refer to.
REPLACED = ("auth_permission", "django_content_type", "django_migrations")
PERSONAL_DATA_NOTE = "身份证号、手机号、银行账号等个人信息以密文备份；恢复时须配置与备份时相同的 JINENG_DATA_KEY"
CHUNK = 1 << 20
BATCH = 2000
BLOB = "$base64"  # a SQLite BLOB in a JSON row: {"$base64": "..."} (no other value is a JSON object)

Say = Callable[[str], None]


class BackupError(Exception):
    """The backup was refused or failed; nothing is left behind."""


class RestoreRefused(Exception):
    """The restore was refused before anything was written."""


class RestoreFailed(Exception):
    """Loading failed and was rolled back: the database is as it was before."""


@dataclass(frozen=True)
class Table:
    name: str
    model: type[Model]
    columns: tuple[str, ...]
    order_by: tuple[str, ...]


def installed_tables() -> list[Table]:
    """Every table of the installed models (auto-created many-to-many tables included) and
    django_migrations, by name, without the skipped ones."""
    found: dict[str, Table] = {}
    recorder = cast(type[Model], MigrationRecorder.Migration)  # a class property, typed loosely
    for model in [*apps.get_models(include_auto_created=True), recorder]:
        meta = model._meta
        if meta.proxy or not meta.managed or meta.db_table in SKIPPED or meta.db_table in found:
            continue
        columns = tuple(f.column for f in meta.local_concrete_fields if f.column and not getattr(f, "generated", False))
        order_by = tuple(f.column for f in meta.pk_fields if f.column)
        found[meta.db_table] = Table(meta.db_table, model, columns, order_by)
    return sorted(found.values(), key=lambda table: table.name)


def data_key_id() -> str:
    """Names the JINENG_DATA_KEY a backup was made with, without revealing anything about it."""
    return _derive(b"jineng backup data key id v1")[:8].hex()


def _derive(label: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label).derive(bytes(settings.JINENG_DATA_KEY))


def _body(manifest: dict[str, Any]) -> bytes:
    body = {key: value for key, value in manifest.items() if key not in ("sha256", "signature")}
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _seal(manifest: dict[str, Any]) -> dict[str, Any]:
    body = _body(manifest)
    # The checksum catches damage; the HMAC catches an edit by someone who recomputed the checksum
    # but does not hold the data key (which a restore needs anyway).
    signature = hmac.new(_derive(b"jineng backup manifest v1"), body, hashlib.sha256).hexdigest()
    return {**manifest, "sha256": hashlib.sha256(body).hexdigest(), "signature": signature}


def _engine(connection: BaseDatabaseWrapper, refuse: type[Exception]) -> str:
    if connection.vendor not in ENCODINGS:
        raise refuse(f"只支持 PostgreSQL 与 SQLite 数据库，当前为 {connection.vendor}")
    return connection.vendor


def _say(progress: IO[str] | None) -> Say:
    def say(line: str) -> None:
        if progress is not None:
            progress.write(line + "\n")
            progress.flush()

    return say


def _applied(cursor: Any) -> list[str]:
    """The applied migrations as "app.name" (neither part holds a dot), sorted."""
    cursor.execute("SELECT app, name FROM django_migrations")
    return sorted(f"{app}.{name}" for app, name in cursor.fetchall())


# ── backup ───────────────────────────────────────────────────────────────────────────────────


class _Hashing:
    """A binary sink that hashes what passes through it (the SHA-256 of the file as written)."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.sha = hashlib.sha256()

    def write(self, data: Any) -> int:
        self.sha.update(data)
        return self.raw.write(data)

    def flush(self) -> None:
        self.raw.flush()


def backup(out: Path | str, *, using: str = DEFAULT_DB_ALIAS, progress: IO[str] | None = None) -> dict[str, Any]:
    """Write a backup of database `using` into the new directory `out`; return its manifest."""
    out = Path(out)
    say = _say(progress)
    if out.exists() or out.is_symlink():
        raise BackupError(f"{out} 已存在：请指定一个新的目录（备份不覆盖已有文件）")
    if not out.parent.is_dir():
        raise BackupError(f"{out.parent} 不存在或不是目录")
    connection = connections[using]
    engine = _engine(connection, BackupError)
    if connection.in_atomic_block:
        raise BackupError("备份须在事务之外运行，才能在同一个快照里读出所有表")
    tables = installed_tables()
    encoding, suffix = ENCODINGS[engine]
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent))
    started = time.monotonic()
    try:
        with transaction.atomic(using=using), connection.cursor() as cursor:
            if engine == "postgresql":
                # The first statement of the transaction: every table below is read from one snapshot.
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            created_at = dt.datetime.now(dt.UTC)
            present = set(connection.introspection.table_names(cursor))
            missing = [table.name for table in tables if table.name not in present]
            if missing:
                raise BackupError(f"数据库缺少表 {'、'.join(missing[:10])}：请先运行 jineng manage migrate")
            others = sorted(present - {table.name for table in tables} - set(SKIPPED))
            if others:
                say(f"注意：以下表不属于已安装的模型，未备份：{'、'.join(others)}")
            migrations = _applied(cursor)
            entries: dict[str, dict[str, Any]] = {}
            for table in tables:
                began = time.monotonic()
                name = table.name + suffix
                rows, sha = _dump(connection, cursor, table, work / name)
                entries[table.name] = {
                    "file": name,
                    "rows": rows,
                    "sha256": sha,
                    "columns": list(table.columns),
                    "order_by": list(table.order_by),
                }
                say(f"备份 {table.name}：{rows:,} 行（{time.monotonic() - began:.1f} 秒）")
        manifest = _seal(
            {
                "format": FORMAT,
                "version": VERSION,
                "created_at": created_at.isoformat().replace("+00:00", "Z"),
                "engine": engine,
                "encoding": encoding,
                "compression": "gzip",
                "database": str(connection.settings_dict.get("NAME") or ""),
                "jineng_version": _version(),
                "personal_data": PERSONAL_DATA_NOTE,
                "data_key_id": data_key_id(),
                "skipped": SKIPPED,
                "migrations": migrations,
                "tables": entries,
            }
        )
        _write_private(work / MANIFEST, (json.dumps(manifest, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))
        _fsync_dir(work)
        os.rename(work, out)  # the directory appears whole, manifest last, or not at all
        _fsync_dir(out.parent)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    total = sum(entry["rows"] for entry in entries.values())
    say(f"备份完成：{len(entries)} 张表，共 {total:,} 行（{time.monotonic() - started:.1f} 秒）")
    return manifest


def _version() -> str:
    try:
        return metadata.version("jineng")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree only
        return "unknown"


def _open_private(path: Path) -> IO[bytes]:
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb")


def _write_private(path: Path, data: bytes) -> None:
    with _open_private(path) as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _fsync_dir(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _dump(connection: BaseDatabaseWrapper, cursor: Any, table: Table, path: Path) -> tuple[int, str]:
    """Stream one table into a gzip file: (rows, SHA-256 of the file)."""
    quote = connection.ops.quote_name
    with _open_private(path) as raw:
        sink = _Hashing(raw)
        # mtime=0: the same rows give the same file, and so the same checksum. Level 1: compressing
        # is most of a dump's time (the snapshot stays open meanwhile), and level 9 took two to six
        # times as long on the city-scale demo for files a fifth smaller.
        with gzip.GzipFile(filename="", mode="wb", fileobj=sink, mtime=0, compresslevel=1) as handle:
            if connection.vendor == "postgresql":
                rows = _dump_postgresql(cursor, table, handle, quote)
            else:
                rows = _dump_sqlite(cursor, table, handle, quote)
        raw.flush()
        os.fsync(raw.fileno())
    return rows, sink.sha.hexdigest()


def _dump_postgresql(cursor: Any, table: Table, handle: gzip.GzipFile, quote: Callable[[str], str]) -> int:
    columns = ", ".join(quote(c) for c in table.columns)
    order = ", ".join(quote(c) for c in table.order_by)
    query = f"COPY (SELECT {columns} FROM {quote(table.name)} ORDER BY {order}) TO STDOUT"
    rows = 0
    # COPY's text format ends every row with a newline and escapes the ones inside values.
    with cursor.db.wrap_database_errors, cursor.cursor.copy(query) as copy:
        for block in copy:
            data = bytes(block)
            rows += data.count(b"\n")
            handle.write(data)
    return rows


def _dump_sqlite(cursor: Any, table: Table, handle: gzip.GzipFile, quote: Callable[[str], str]) -> int:
    # Unary + leaves every value as stored but hides the column's declared type, so Django's
    # converters (bool, date, datetime) do not turn the stored text or integer into Python objects
    # that would be written back in another notation.
    columns = ", ".join(f"+{quote(c)}" for c in table.columns)
    order = ", ".join(quote(c) for c in table.order_by)
    cursor.execute(f"SELECT {columns} FROM {quote(table.name)} ORDER BY {order}")
    rows = 0
    while batch := cursor.fetchmany(BATCH):
        handle.write("".join(encode_row(row) for row in batch).encode("utf-8"))
        rows += len(batch)
    return rows


def encode_row(row: Sequence[Any]) -> str:
    """One SQLite row as a JSON line: integers, reals, text and NULL as JSON, a BLOB as {"$base64": …}."""
    return json.dumps(list(row), ensure_ascii=False, separators=(",", ":"), default=_blob) + "\n"


def decode_row(line: bytes | str) -> list[Any]:
    value = json.loads(line, object_hook=_unblob)
    if not isinstance(value, list):
        raise ValueError("不是 JSON 数组")
    return value


def _blob(value: Any) -> dict[str, str]:
    if isinstance(value, bytes | bytearray | memoryview):
        return {BLOB: base64.b64encode(bytes(value)).decode("ascii")}
    raise TypeError(f"无法备份 {type(value).__name__} 类型的值")


def _unblob(value: dict[str, Any]) -> Any:
    if set(value) != {BLOB}:
        raise ValueError("行中有无法识别的 JSON 对象")
    return base64.b64decode(value[BLOB], validate=True)


# ── verification ─────────────────────────────────────────────────────────────────────────────


def read_manifest(source: Path | str) -> dict[str, Any]:
    """The manifest of backup `source`, its checksum and signature verified."""
    path = Path(source) / MANIFEST
    try:
        manifest = json.loads(path.read_bytes())
    except OSError as exc:
        raise RestoreRefused(f"无法读取备份清单 {path}：{exc.strerror}") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise RestoreRefused(f"备份清单 {path} 不是有效的 JSON：{exc}") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise RestoreRefused(f"{path} 不是 jineng backup 写出的备份清单")
    if manifest.get("version") != VERSION:
        raise RestoreRefused(f"备份格式版本 {manifest.get('version')!r} 不受支持（本版本读取 {VERSION}）")
    if not _same(manifest.get("sha256"), hashlib.sha256(_body(manifest)).hexdigest()):
        raise RestoreRefused("备份清单 manifest.json 已损坏或被改动：校验和不符")
    if manifest.get("data_key_id") != data_key_id():
        raise RestoreRefused(
            "备份时使用的 JINENG_DATA_KEY 与当前配置的不同：个人信息密文将无法解密；请配置备份时的密钥后再恢复"
        )
    if not _same(manifest.get("signature"), _seal(manifest)["signature"]):
        raise RestoreRefused("备份清单 manifest.json 的签名不符：清单被改动过")
    try:
        _check_shape(manifest)
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise RestoreRefused(f"备份清单格式有误：{exc}") from exc
    return manifest


def _same(found: Any, expected: str) -> bool:
    return hmac.compare_digest(str(found).encode("utf-8"), expected.encode("utf-8"))


def _check_shape(manifest: dict[str, Any]) -> None:
    if manifest["engine"] not in ENCODINGS or manifest["encoding"] != ENCODINGS[manifest["engine"]][0]:
        raise ValueError(f"未知的数据库或编码 {manifest['engine']}/{manifest['encoding']}")
    if not all(isinstance(name, str) for name in manifest["migrations"]):
        raise ValueError("迁移列表无效")
    for table, entry in manifest["tables"].items():
        name = entry["file"]
        # Files are read from the backup directory only, whatever the manifest says.
        if not isinstance(name, str) or Path(name).name != name or name.startswith("."):
            raise ValueError(f"表 {table} 的文件名 {name!r} 无效")
        if not isinstance(entry["rows"], int) or entry["rows"] < 0:
            raise ValueError(f"表 {table} 的行数无效")
        if not all(isinstance(c, str) for c in entry["columns"]):
            raise ValueError(f"表 {table} 的列名无效")


def verify(source: Path | str, *, progress: IO[str] | None = None) -> dict[str, Any]:
    """Check the manifest and every table file (checksum, gzip, row count); return the manifest."""
    manifest = read_manifest(source)
    _verify_files(source, manifest, _say(progress))
    return manifest


def _verify_files(source: Path | str, manifest: dict[str, Any], say: Say) -> None:
    for table, entry in manifest["tables"].items():
        path = Path(source) / entry["file"]
        sha, rows, problem = _digest(path)
        if sha != entry["sha256"]:
            raise RestoreRefused(f"备份文件 {entry['file']}（表 {table}）已损坏或被改动：校验和不符")
        if problem:
            raise RestoreRefused(f"备份文件 {entry['file']}（表 {table}）无法解压：{problem}")
        if rows != entry["rows"]:
            raise RestoreRefused(f"备份文件 {entry['file']}（表 {table}）有 {rows} 行，清单记为 {entry['rows']} 行")
        say(f"校验 {table}：{rows:,} 行，校验和一致")


def _digest(path: Path) -> tuple[str, int, str]:
    """(SHA-256 of the file, rows in it, a problem with its gzip stream or "") in one pass."""
    sha = hashlib.sha256()
    inflater = zlib.decompressobj(wbits=31)  # 31: a gzip stream
    rows, problem = 0, ""
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise RestoreRefused(f"无法读取备份文件 {path}：{exc.strerror}") from exc
    with handle:
        while chunk := handle.read(CHUNK):
            sha.update(chunk)
            if problem:
                continue
            try:
                # Bounded output per call: a small, well-compressed chunk can expand a hundredfold.
                data = inflater.decompress(chunk, CHUNK)
                rows += data.count(b"\n")
                while inflater.unconsumed_tail:
                    data = inflater.decompress(inflater.unconsumed_tail, CHUNK)
                    rows += data.count(b"\n")
            except zlib.error as exc:
                problem = str(exc)
    if not problem:
        try:
            rows += inflater.flush().count(b"\n")
        except zlib.error as exc:
            problem = str(exc)
    if not problem and (not inflater.eof or inflater.unused_data):
        problem = "文件不完整或带有多余内容"
    return sha.hexdigest(), rows, problem


# ── restore ──────────────────────────────────────────────────────────────────────────────────


def restore(source: Path | str, *, using: str = DEFAULT_DB_ALIAS, progress: IO[str] | None = None) -> dict[str, int]:
    """Load backup `source` into the empty, migrated database `using`; return the rows per table.

    RestoreRefused: nothing was written (backup damaged, another data key or engine, other
    migrations, target not empty). RestoreFailed: loading failed and was rolled back.
    """
    say = _say(progress)
    connection = connections[using]
    engine = _engine(connection, RestoreRefused)
    manifest = read_manifest(source)
    if manifest["engine"] != engine:
        raise RestoreRefused(
            f"备份来自 {manifest['engine']} 数据库，不能恢复到 {engine} 数据库（只支持同种数据库之间恢复）"
        )
    tables = {table.name: table for table in installed_tables()}
    _check_tables(manifest["tables"], tables)
    _verify_files(source, manifest, say)  # every file, before the first write
    if connection.in_atomic_block:
        # SQLite's foreign_keys pragma does nothing inside a transaction, and a restore is one of its own.
        raise RestoreRefused("恢复须在事务之外运行")
    started = time.monotonic()
    # SQLite checks foreign keys per statement unless told not to (and the pragma is a no-op inside
    # a transaction, so it goes first); PostgreSQL's are deferred to commit already.
    disabled = connection.disable_constraint_checking() if engine == "sqlite" else False
    try:
        with transaction.atomic(using=using), connection.cursor() as cursor:
            _check_target(connection, cursor, manifest)
            quote = connection.ops.quote_name
            keys = _drop_foreign_keys(connection, cursor, list(tables)) if engine == "postgresql" else []
            for name in REPLACED:
                cursor.execute(f"DELETE FROM {quote(name)}")
            for name, entry in sorted(manifest["tables"].items()):
                began = time.monotonic()
                _load(connection, cursor, name, entry, Path(source) / entry["file"])
                say(f"恢复 {name}：{entry['rows']:,} 行（{time.monotonic() - began:.1f} 秒）")
            try:
                began = time.monotonic()
                _add_foreign_keys(connection, cursor, keys)
                connection.check_constraints()
                say(f"外键核对一致（{time.monotonic() - began:.1f} 秒）")
            except IntegrityError as exc:
                raise RestoreFailed(f"恢复后的外键不一致，已全部回滚：{exc}") from exc
            if engine == "postgresql":
                _reset_sequences(connection, cursor, list(tables))
            counts = _recount(cursor, manifest["tables"], quote)
    except (RestoreRefused, RestoreFailed):
        raise
    except (DatabaseError, OSError, ValueError, EOFError, zlib.error) as exc:
        raise RestoreFailed(f"恢复失败，已全部回滚，数据库保持原样：{exc}") from exc
    finally:
        if disabled:
            connection.enable_constraint_checking()
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()  # this process cached the ids the restore replaced
    say(f"恢复完成：{len(counts)} 张表，共 {sum(counts.values()):,} 行（{time.monotonic() - started:.1f} 秒）")
    return counts


def _check_tables(entries: dict[str, dict[str, Any]], tables: dict[str, Table]) -> None:
    unknown = sorted(set(entries) - set(tables))
    if unknown:
        raise RestoreRefused(f"备份中的表 {'、'.join(unknown[:10])} 在本版本中不存在")
    absent = sorted(set(tables) - set(entries))
    if absent:
        raise RestoreRefused(f"备份缺少表 {'、'.join(absent[:10])}")
    for name, entry in entries.items():
        if sorted(entry["columns"]) != sorted(tables[name].columns):
            raise RestoreRefused(
                f"表 {name} 的列与备份不同（备份：{'、'.join(entry['columns'])}；"
                f"本版本：{'、'.join(tables[name].columns)}）"
            )


def _listing(names: list[str]) -> str:
    more = f" 等 {len(names)} 个" if len(names) > 10 else ""
    return "、".join(names[:10]) + more


def _check_target(connection: BaseDatabaseWrapper, cursor: Any, manifest: dict[str, Any]) -> None:
    """Refuse unless the target is migrated exactly as the backup was and holds no rows of its own
    (inside the restore's transaction, before its first write)."""
    present = set(connection.introspection.table_names(cursor))
    if "django_migrations" not in present:
        raise RestoreRefused("目标数据库尚未建表：请先运行 jineng manage migrate")
    target = set(_applied(cursor))
    wanted = set(manifest["migrations"])
    if target != wanted:
        parts = []
        if wanted - target:
            parts.append(f"备份中有而目标数据库没有的迁移：{_listing(sorted(wanted - target))}")
        if target - wanted:
            parts.append(f"目标数据库有而备份中没有的迁移：{_listing(sorted(target - wanted))}")
        advice = "请用与备份时相同版本的 jineng 执行 migrate 后再恢复"
        raise RestoreRefused(f"目标数据库的迁移与备份不一致（{'；'.join(parts)}）：{advice}")
    missing = sorted(set(manifest["tables"]) - present)
    if missing:
        raise RestoreRefused(f"目标数据库缺少表 {'、'.join(missing[:10])}：请先运行 jineng manage migrate")
    quote = connection.ops.quote_name
    holding = []
    for name in sorted((set(manifest["tables"]) | set(SKIPPED)) & present):
        if name in REPLACED:
            continue
        cursor.execute(f"SELECT 1 FROM {quote(name)} LIMIT 1")
        if cursor.fetchone() is not None:
            holding.append(name)
    if holding:
        more = f" 等 {len(holding)} 张表" if len(holding) > 10 else ""
        raise RestoreRefused(
            f"目标数据库不是空库：表 {'、'.join(holding[:10])}{more}已有数据；"
            "恢复只写入刚执行过 migrate、尚无业务数据的数据库"
        )


def _load(connection: BaseDatabaseWrapper, cursor: Any, name: str, entry: dict[str, Any], path: Path) -> None:
    quote = connection.ops.quote_name
    columns = ", ".join(quote(c) for c in entry["columns"])
    with path.open("rb") as raw, gzip.GzipFile(fileobj=raw, mode="rb") as handle:
        if connection.vendor == "postgresql":
            # psycopg's own cursor (COPY is not in DB-API); its errors still become Django's.
            statement = f"COPY {quote(name)} ({columns}) FROM STDIN"
            with connection.wrap_database_errors, cursor.cursor.copy(statement) as copy:
                while chunk := handle.read(CHUNK):
                    copy.write(chunk)
            return
        marks = ", ".join(["%s"] * len(entry["columns"]))
        statement = f"INSERT INTO {quote(name)} ({columns}) VALUES ({marks})"
        batch: list[list[Any]] = []
        for line in handle:
            batch.append(decode_row(line))
            if len(batch) == BATCH:
                cursor.executemany(statement, batch)
                batch = []
        if batch:
            cursor.executemany(statement, batch)


def _drop_foreign_keys(connection: BaseDatabaseWrapper, cursor: Any, names: list[str]) -> list[tuple[str, str, str]]:
    """Drop the foreign keys of the restored tables for the load, returning (table, name, definition)
    to add them back. Checked row by row, the deferred keys queued one event per row and key in
    server memory and took longer to check at the end than the load itself (half a minute for the
    400,000 rows of the city-scale demo); added back, each key is checked in one pass over its
    table. All of it inside the restore's transaction: a failure restores the keys too."""
    cursor.execute(
        "SELECT t.relname, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c"
        " JOIN pg_class t ON t.oid = c.conrelid"
        " WHERE c.contype = 'f' AND t.relname = ANY(%s) AND pg_table_is_visible(t.oid)"
        " ORDER BY t.relname, c.conname",
        [names],
    )
    keys = [(str(table), str(name), str(definition)) for table, name, definition in cursor.fetchall()]
    quote = connection.ops.quote_name
    for table, name, _ in keys:
        cursor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
    return keys


def _add_foreign_keys(connection: BaseDatabaseWrapper, cursor: Any, keys: list[tuple[str, str, str]]) -> None:
    quote = connection.ops.quote_name
    for table, name, definition in keys:
        cursor.execute(f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}")


def _reset_sequences(connection: BaseDatabaseWrapper, cursor: Any, names: list[str]) -> None:
    """Move every sequence owned by a restored column (identity and serial alike) past its largest
    value, so the next row inserted gets a fresh id."""
    quote = connection.ops.quote_name
    for name in names:
        for sequence in connection.introspection.get_sequences(cursor, name):
            column = quote(sequence["column"])
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence(%s, %s), COALESCE(MAX({column}), 1), MAX({column}) IS NOT NULL)"
                f" FROM {quote(name)}",
                [quote(name), sequence["column"]],
            )


def _recount(cursor: Any, entries: dict[str, dict[str, Any]], quote: Callable[[str], str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for name, entry in sorted(entries.items()):
        cursor.execute(f"SELECT COUNT(*) FROM {quote(name)}")
        counts[name] = int(cursor.fetchone()[0])
        if counts[name] != entry["rows"]:
            raise RestoreFailed(
                f"恢复后表 {name} 有 {counts[name]} 行，备份清单记为 {entry['rows']} 行：已全部回滚，数据库保持原样"
            )
    return counts
