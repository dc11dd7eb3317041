"""`jineng backup` and `jineng restore` (jineng.ops.backup): a backup restored into an empty
database holds every row of every table; a damaged or edited backup, another data key, other
migrations and a database that is not empty are refused with nothing written; a failure while
loading leaves nothing behind.

Backup reads outside any transaction, as the command does, so the module seeds the test database
once through the services and commits, backs it up, and empties it again at the end. Restores go
into a second database, empty and migrated: a copy of the test database taken before the seeding,
which is what `jineng manage migrate` makes of an empty database (copying takes a moment where
migrating takes twenty seconds). It is outside the tests' transactions, as a restore's target is,
and is emptied again after a test that filled it.
"""

from __future__ import annotations

import contextlib
import copy
import gzip
import hashlib
import json
import os
import shutil
import sqlite3
import stat
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.sessions.backends.db import SessionStore
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.utils import load_backend
from django.utils.connection import ConnectionDoesNotExist

from jineng.audit.services import audit_record
from jineng.classes.models import ClassState, ReviewStep, TrainingClass
from jineng.classes.services import TeacherInput, class_create, class_set_teachers, class_transition
from jineng.cli import main
from jineng.ops import backup as ops
from jineng.registry.models import Person
from jineng.testing import cast, class_input, enroll, person

pytestmark = pytest.mark.django_db

ON_POSTGRES = connection.vendor == "postgresql"
ODD_TEXT = "制表\t换行\n回车\r反斜杠\\ 引号'\" 百分号%s 结束"  # what COPY and JSON must escape


@dataclass
class Site:
    backup: Path
    target: str  # the alias of the second database
    class_id: int = 0
    person: tuple[int, str] = (0, "")  # a trainee's id and resident ID
    rows: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)  # every table at backup time


def _copy_of_test_database(name: str) -> None:
    if ON_POSTGRES:
        source = connection.settings_dict["NAME"]
        connection.close()  # CREATE DATABASE … TEMPLATE wants no session on the template
        with connection._nodb_cursor() as cursor:
            # An earlier test's thread (a live server, a concurrency test) may have left an idle
            # connection to the test database behind; the copy needs it gone, and it is finished.
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                [source],
            )
            cursor.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
    else:
        connection.ensure_connection()
        clone = sqlite3.connect(name)
        try:
            connection.connection.backup(clone)
        finally:
            clone.close()


def _drop(name: str) -> None:
    if ON_POSTGRES:
        with connection._nodb_cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        Path(name).unlink(missing_ok=True)


def _seed() -> int:
    """Real data through the services: a class with its teachers and 40 trainees, submitted and
    past the department's first review (review steps, findings, audit rows), a group with
    permissions (many-to-many tables), an audit note holding every character COPY and JSON escape,
    and a session (which backup leaves out). Returns the class's id."""
    people = cast()
    cls = class_create(actor=people.alice, data=class_input())
    cls = class_set_teachers(
        cls=cls,
        actor=people.alice,
        expected_version=cls.version,
        teachers=[TeacherInput("张老师", True), TeacherInput("李老师", True)],
    )
    enroll(cls, [person(i) for i in range(40)])
    for actor, action in [(people.alice, ReviewStep.Action.SUBMIT), (people.dan1, ReviewStep.Action.DEPT_FIRST)]:
        cls.refresh_from_db()
        class_transition(cls=cls, actor=actor, action=action, expected_version=cls.version, opinion="同意")
    group = Group.objects.create(name="复核组")
    group.permissions.add(*Permission.objects.order_by("pk")[:3])
    people.alice.groups.add(group)
    audit_record(actor=people.sam, event="backup.test", object_type="test", object_id="1", note=ODD_TEXT)
    session = SessionStore()
    session["who"] = "alice"
    session.create()
    return cls.pk


@pytest.fixture(scope="module")
def site(django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The seeded test database and its backup, for the module; emptied again at the end."""
    work = tmp_path_factory.mktemp("backup")
    with django_db_blocker.unblock():
        name = f"test_jineng_restore_{uuid.uuid4().hex[:12]}" if ON_POSTGRES else str(work / "target.sqlite3")
        site = Site(backup=work / "backup", target=f"restore_{uuid.uuid4().hex[:8]}")
        try:
            _copy_of_test_database(name)  # taken before anything is written: empty, migrated
            config = {**copy.deepcopy(connection.settings_dict), "NAME": name}
            # Set on the handler, not in settings: Django's test case lets a connection made at run
            # time through, where it refuses an alias that is configured but not declared.
            connections[site.target] = load_backend(config["ENGINE"]).DatabaseWrapper(config, site.target)
            site.class_id = _seed()
            ops.backup(site.backup)
            site.rows = snapshot(DEFAULT_DB_ALIAS)
            first = Person.objects.order_by("pk").first()
            assert first is not None
            site.person = (first.pk, first.id_number)
            yield site
        finally:
            with contextlib.suppress(ConnectionDoesNotExist):
                connections[site.target].close()
                del connections[site.target]
            _drop(name)
            if get_user_model().objects.exists():  # the transactional test below emptied it already
                call_command("flush", interactive=False, verbosity=0)


@pytest.fixture
def target(site: Site) -> Iterator[str]:
    """The alias of the empty, migrated second database; emptied again if the test filled it."""
    yield site.target
    quote = connections[site.target].ops.quote_name
    names = [quote(t.name) for t in ops.installed_tables() if t.name not in ops.REPLACED]
    with transaction.atomic(using=site.target), connections[site.target].cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM accounts_user")
        if cursor.fetchone()[0]:
            # What migrate writes stays (restore replaces it anyway); the test connection may
            # empty the audit table (src/jineng/conftest.py).
            if ON_POSTGRES:
                cursor.execute(f"TRUNCATE {', '.join(names)} RESTART IDENTITY")
            else:
                for name in names:
                    cursor.execute(f"DELETE FROM {name}")


@pytest.fixture
def copied(site: Site, tmp_path: Path) -> Path:
    """A copy of the module's backup, for a test to damage."""
    return Path(shutil.copytree(site.backup, tmp_path / "backup"))


def rows_of(alias: str, table: ops.Table) -> list[tuple[Any, ...]]:
    quote = connections[alias].ops.quote_name
    columns = ", ".join(quote(c) for c in table.columns)
    order = ", ".join(quote(c) for c in table.order_by)
    with connections[alias].cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM {quote(table.name)} ORDER BY {order}")
        return list(cursor.fetchall())


def snapshot(alias: str) -> dict[str, list[tuple[Any, ...]]]:
    return {table.name: rows_of(alias, table) for table in ops.installed_tables()}


def foreign_keys(alias: str) -> int:
    introspection = connections[alias].introspection
    with connections[alias].cursor() as cursor:
        return sum(len(introspection.get_relations(cursor, table.name)) for table in ops.installed_tables())


def reseal(source: Path, manifest: dict[str, Any]) -> None:
    """Write `manifest` as a key holder would (new checksum and signature)."""
    sealed = ops._seal({k: v for k, v in manifest.items() if k not in ("sha256", "signature")})
    (source / ops.MANIFEST).write_text(json.dumps(sealed, ensure_ascii=False), encoding="utf-8")


def test_a_backup_restored_into_an_empty_database_holds_every_row_of_every_table(site: Site, target: str) -> None:
    counts = ops.restore(site.backup, using=target)

    manifest = ops.read_manifest(site.backup)
    source, restored = site.rows, snapshot(target)
    assert restored.keys() == source.keys()
    for name, rows in source.items():
        assert restored[name] == rows, name
        assert counts[name] == manifest["tables"][name]["rows"] == len(rows)
    assert counts["classes_enrollment"] == 40 and counts["audit_auditevent"] > 10
    assert counts["auth_group_permissions"] == 3 and counts["accounts_user_groups"] == 1
    assert any(ODD_TEXT in row for row in restored["audit_auditevent"])
    # The restored database works as one: personal data decrypts with the same key, the class reads
    # back through the ORM, new rows get fresh ids, and no session came along.
    pk, id_number = site.person
    assert Person.objects.using(target).get(pk=pk).id_number == id_number
    assert TrainingClass.objects.using(target).get(pk=site.class_id).state == ClassState.DEPT_FIRST
    newest = Group.objects.using(target).create(name="恢复后新建")
    assert newest.pk > max(row[0] for row in source["auth_group"])
    with connections[target].cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM django_session")
        assert cursor.fetchone()[0] == 0

    with pytest.raises(ops.RestoreRefused, match="目标数据库不是空库：表 accounts_user"):
        ops.restore(site.backup, using=target)  # once restored, it is not empty any more


def test_the_manifest_counts_and_checksums_every_table_and_leaves_sessions_out(site: Site) -> None:
    manifest = json.loads((site.backup / ops.MANIFEST).read_text(encoding="utf-8"))

    assert manifest["format"] == "jineng-backup" and manifest["version"] == 1
    assert manifest["engine"] == connection.vendor and manifest["created_at"].endswith("Z")
    assert manifest["data_key_id"] == ops.data_key_id() and "JINENG_DATA_KEY" in manifest["personal_data"]
    assert "django_session" not in manifest["tables"] and "django_session" in manifest["skipped"]
    assert set(manifest["tables"]) == {table.name for table in ops.installed_tables()}
    with connection.cursor() as cursor:
        cursor.execute("SELECT app, name FROM django_migrations")
        assert manifest["migrations"] == sorted(f"{app}.{name}" for app, name in cursor.fetchall())
    for name, entry in manifest["tables"].items():
        data = (site.backup / entry["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], name
        assert gzip.decompress(data).count(b"\n") == entry["rows"], name
    users = manifest["tables"]["accounts_user"]
    assert users["rows"] == 16 and users["order_by"] == ["id"] and "password" in users["columns"]
    # It holds password hashes and the audit log: owner-only.
    assert stat.S_IMODE(site.backup.stat().st_mode) == 0o700
    assert {stat.S_IMODE(path.stat().st_mode) for path in site.backup.iterdir()} == {0o600}
    assert ops.verify(site.backup)["sha256"] == manifest["sha256"]


def test_a_table_file_with_one_byte_changed_is_refused_before_anything_is_written(copied: Path, target: str) -> None:
    path = copied / ops.read_manifest(copied)["tables"]["registry_person"]["file"]
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    before = snapshot(target)

    with pytest.raises(ops.RestoreRefused, match=r"registry_person.*校验和不符"):
        ops.restore(copied, using=target)
    assert snapshot(target) == before


def test_an_edited_manifest_is_refused_and_so_is_one_resealed_without_the_key(copied: Path) -> None:
    edited = json.loads((copied / ops.MANIFEST).read_text(encoding="utf-8"))
    edited["tables"]["accounts_user"]["rows"] += 1
    (copied / ops.MANIFEST).write_text(json.dumps(edited, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(ops.RestoreRefused, match="校验和不符"):
        ops.restore(copied)

    # Someone without JINENG_DATA_KEY can recompute the checksum, not the signature.
    body = {k: v for k, v in edited.items() if k not in ("sha256", "signature")}
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    edited["sha256"] = hashlib.sha256(canonical).hexdigest()
    (copied / ops.MANIFEST).write_text(json.dumps(edited, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(ops.RestoreRefused, match="签名不符"):
        ops.restore(copied)


def test_a_backup_made_with_another_data_key_is_refused(site: Site, settings: Any) -> None:
    settings.JINENG_DATA_KEY = os.urandom(32)
    with pytest.raises(ops.RestoreRefused, match="JINENG_DATA_KEY 与当前配置的不同"):
        ops.restore(site.backup)


def test_a_database_migrated_otherwise_is_refused_naming_the_difference(site: Site, target: str) -> None:
    latest = ops.read_manifest(site.backup)["migrations"][-1]
    app, name = latest.split(".", 1)
    with connections[target].cursor() as cursor:
        cursor.execute("SELECT id, applied FROM django_migrations WHERE app = %s AND name = %s", [app, name])
        pk, applied = cursor.fetchone()
        cursor.execute("DELETE FROM django_migrations WHERE id = %s", [pk])
        cursor.execute("INSERT INTO django_migrations (app, name, applied) VALUES ('later', '0001_x', %s)", [applied])
        try:
            with pytest.raises(ops.RestoreRefused) as refused:
                ops.restore(site.backup, using=target)
        finally:
            cursor.execute("DELETE FROM django_migrations WHERE app = 'later'")
            cursor.execute(
                "INSERT INTO django_migrations (id, app, name, applied) VALUES (%s, %s, %s, %s)",
                [pk, app, name, applied],
            )
    assert f"备份中有而目标数据库没有的迁移：{latest}" in str(refused.value)
    assert "目标数据库有而备份中没有的迁移：later.0001_x" in str(refused.value)


def test_a_failure_while_loading_rolls_back_every_table_already_loaded(copied: Path, target: str) -> None:
    """A backup that passes every check but whose rows break a foreign key (its users emptied and
    the manifest resealed with the key): the tables around accounts_user load, the foreign-key
    check fails, and nothing stays — on PostgreSQL not even the keys dropped for the load."""
    manifest = ops.read_manifest(copied)
    entry = manifest["tables"]["accounts_user"]
    path = copied / entry["file"]
    path.unlink()
    with gzip.GzipFile(path, "wb", mtime=0):
        pass
    entry.update(rows=0, sha256=hashlib.sha256(path.read_bytes()).hexdigest())
    reseal(copied, manifest)
    before, keys = snapshot(target), foreign_keys(target)

    with pytest.raises(ops.RestoreFailed, match="外键不一致，已全部回滚"):
        ops.restore(copied, using=target)
    assert snapshot(target) == before
    assert foreign_keys(target) == keys > 50


@pytest.mark.django_db(transaction=True)  # the command reads outside any transaction; this empties the database after
def test_the_commands_back_up_and_refuse_to_restore_into_a_database_holding_rows(
    site: Site, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "again"
    assert main(["backup", str(out)]) == 0
    captured = capsys.readouterr()
    assert str(out) in captured.out and "备份 accounts_user：16 行" in captured.err
    assert ops.read_manifest(out)["tables"].keys() == ops.read_manifest(site.backup)["tables"].keys()
    before = snapshot(DEFAULT_DB_ALIAS)

    assert main(["restore", str(out)]) == 2  # into the database it came from
    err = capsys.readouterr().err
    assert "拒绝恢复（未写入任何数据）" in err and "目标数据库不是空库" in err and "accounts_user" in err
    assert snapshot(DEFAULT_DB_ALIAS) == before
    assert main(["backup", str(out)]) == 2 and "已存在" in capsys.readouterr().err


def test_backup_refuses_a_directory_that_exists_and_leaves_nothing_behind(tmp_path: Path) -> None:
    out = tmp_path / "backup"
    out.mkdir()
    with pytest.raises(ops.BackupError, match="已存在"):
        ops.backup(out)
    assert [p.name for p in tmp_path.iterdir()] == ["backup"] and not any(out.iterdir())


def test_a_sqlite_row_keeps_its_stored_values_exactly() -> None:
    row = [1, -(2**62), 0.1, 1e-300, ODD_TEXT, "", None, b"\x00\xff\n", '{"$base64": 1}']
    line = ops.encode_row(row)
    assert line.endswith("\n") and line.count("\n") == 1
    assert ops.decode_row(line.encode("utf-8")) == row
