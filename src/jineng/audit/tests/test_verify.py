"""`jineng audit verify` recomputes the chain and names the first row changed, removed or moved;
the head it prints catches the last rows removed."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

import pytest
from django.core.management import CommandError, call_command

from jineng.audit.chain import GENESIS, row_hash
from jineng.audit.models import AuditEvent
from jineng.audit.services import audit_record
from jineng.audit.verify import COLUMNS, Report, parse_head, verify_chain
from jineng.cli import main

from .tampering import tamper


def write(n: int) -> list[AuditEvent]:
    return [
        audit_record(actor=None, event="export", object_type="request", object_id=f"v{i}", note=f"GET /x/{i}/")
        for i in range(1, n + 1)
    ]


def verify(capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, dict]:
    code = main(["audit", "verify", "--format", "json", *extra])
    return code, json.loads(capsys.readouterr().out)


def test_audit_verify_passes_an_intact_chain_and_prints_its_head(db: None, capsys: pytest.CaptureFixture[str]) -> None:
    rows = write(5)
    code = main(["audit", "verify"])
    out = capsys.readouterr().out
    assert code == 0 and "逐条校验通过" in out
    assert f"链头：{rows[-1].seq}:{rows[-1].hash}" in out


def test_audit_verify_catches_a_changed_row(db: None, capsys: pytest.CaptureFixture[str]) -> None:
    rows = write(5)
    tamper("UPDATE audit_auditevent SET note = %s WHERE seq = %s", ["GET /y/", rows[2].seq])
    code, report = verify(capsys)
    assert code == 1 and report["breaks_total"] == 1
    assert report["breaks"][0]["seq"] == rows[2].seq and report["breaks"][0]["kind"] == "altered"


def test_audit_verify_catches_a_changed_row_whose_hash_was_recomputed(
    db: None, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = write(5)
    changed = AuditEvent.objects.filter(seq=rows[2].seq).values().get()
    changed["note"] = "GET /y/"
    tamper(
        "UPDATE audit_auditevent SET note = %s, hash = %s WHERE seq = %s",
        ["GET /y/", row_hash(changed["prev_hash"], changed), rows[2].seq],
    )
    code, report = verify(capsys)
    # Its seal no longer matches its new hash, and the next row chained to the old one.
    assert code == 1 and [(b["seq"], b["kind"]) for b in report["breaks"]] == [
        (rows[2].seq, "unsealed"),
        (rows[2].seq, "altered"),
    ]


def test_a_tail_rebuilt_without_the_applications_key_passes_the_hashes_but_not_the_seals(
    db: None, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = write(5)
    stored = list(AuditEvent.objects.order_by("seq").values(*COLUMNS))
    stored[1]["note"] = "GET /y/"
    prev = stored[0]["hash"]
    for row in stored[1:]:  # what someone who can write the table but lacks the key can recompute
        row["prev_hash"], row["hash"] = prev, row_hash(prev, row)
        prev = row["hash"]
    for row in reversed(stored[1:]):  # last first: the hashes are unique
        tamper(
            "UPDATE audit_auditevent SET note = %s, prev_hash = %s, hash = %s WHERE seq = %s",
            [row["note"], row["prev_hash"], row["hash"], row["seq"]],
        )
    assert verify_chain(AuditEvent.objects.order_by("seq").values(*COLUMNS)).ok  # the hashes alone pass
    code, report = verify(capsys)
    assert code == 1 and [(b["seq"], b["kind"]) for b in report["breaks"]] == [(r.seq, "unsealed") for r in rows[1:]]


def test_audit_verify_catches_a_removed_row_as_a_gap(db: None, capsys: pytest.CaptureFixture[str]) -> None:
    rows = write(5)
    tamper("DELETE FROM audit_auditevent WHERE seq = %s", [rows[1].seq])
    code, report = verify(capsys)
    assert code == 1 and [(b["seq"], b["kind"]) for b in report["breaks"]] == [(rows[1].seq, "missing")]


def test_audit_verify_catches_a_gap_closed_by_renumbering(db: None, capsys: pytest.CaptureFixture[str]) -> None:
    rows = write(4)
    tamper("DELETE FROM audit_auditevent WHERE seq = %s", [rows[1].seq])
    tamper("UPDATE audit_auditevent SET seq = seq - 1 WHERE seq > %s", [rows[1].seq])
    code, report = verify(capsys)
    assert code == 1 and report["breaks"][0]["seq"] == rows[1].seq
    assert report["breaks"][0]["kind"] == "reordered" and report["breaks"][0]["found"] == f"序号 {rows[2].seq}"


def test_audit_verify_catches_two_rows_swapped(db: None, capsys: pytest.CaptureFixture[str]) -> None:
    rows = write(5)
    a, b = rows[1].seq, rows[2].seq
    tamper("UPDATE audit_auditevent SET seq = -1 WHERE seq = %s", [a])
    tamper("UPDATE audit_auditevent SET seq = %s WHERE seq = %s", [a, b])
    tamper("UPDATE audit_auditevent SET seq = %s WHERE seq = -1", [b])
    code, report = verify(capsys)
    assert code == 1 and {x["kind"] for x in report["breaks"]} == {"reordered"}
    assert report["breaks"][0]["seq"] == a


def test_a_removed_last_row_shows_only_against_the_recorded_head(db: None, capsys: pytest.CaptureFixture[str]) -> None:
    rows = write(3)
    head = f"{rows[-1].seq}:{rows[-1].hash}"
    assert verify(capsys, "--expect-head", head)[0] == 0
    tamper("DELETE FROM audit_auditevent WHERE seq = %s", [rows[-1].seq])
    assert verify(capsys)[0] == 0  # the rest still chains
    code, report = verify(capsys, "--expect-head", head)
    assert code == 1 and [(b["seq"], b["kind"]) for b in report["breaks"]] == [(rows[-1].seq, "missing")]
    write(1)  # a new row at the same place does not pass for the one removed
    code, report = verify(capsys, "--expect-head", head)
    assert code == 1 and report["breaks"][0]["kind"] == "altered"


def test_a_malformed_head_is_refused_with_exit_2(db: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "verify", "--expect-head", "12"]) == 2
    assert "链头" in capsys.readouterr().err
    with pytest.raises(ValueError, match="64 位"):
        parse_head("3:abc")
    assert parse_head(f" 3:{'A' * 64} ") == (3, "a" * 64)


def test_the_management_command_runs_the_same_check(db: None, capsys: pytest.CaptureFixture[str]) -> None:
    rows = write(2)
    call_command("verify_audit", "--quiet")
    assert f"{rows[-1].seq}:{rows[-1].hash}" in capsys.readouterr().out
    tamper("UPDATE audit_auditevent SET event = %s WHERE seq = %s", ["export.x", rows[0].seq])
    with pytest.raises(CommandError) as broken:
        call_command("verify_audit", "--quiet")
    assert broken.value.returncode == 1 and "被改写" in capsys.readouterr().out


def test_an_empty_log_is_intact(db: None, capsys: pytest.CaptureFixture[str]) -> None:
    code, report = verify(capsys)
    assert code == 0 and report == {"ok": True, "rows": 0, "head": None, "breaks_total": 0, "breaks": []}


def synthetic(n: int) -> Iterator[dict]:
    prev = GENESIS
    start = dt.datetime(2023, 5, 1, tzinfo=dt.UTC)
    for seq in range(1, n + 1):
        row = {
            "seq": seq,
            "at": start + dt.timedelta(seconds=seq),
            "actor_id": None,
            "actor_name": "系统",
            "actor_role": "",
            "event": "x",
            "object_type": "y",
            "object_id": str(seq),
            "object_repr": "",
            "changes": {},
            "note": "",
            "prev_hash": prev,
        }
        row["hash"] = prev = row_hash(prev, row)
        yield row


def test_the_check_streams_rows_and_reports_progress() -> None:
    seen: list[int] = []
    report = verify_chain(synthetic(25_000), progress=seen.append, progress_every=10_000)
    assert isinstance(report, Report) and report.ok and report.rows == 25_000 and report.head_seq == 25_000
    assert seen == [10_000, 20_000]


def test_rows_given_out_of_order_are_reported_as_reordered() -> None:
    rows = list(synthetic(4))
    report = verify_chain([rows[0], rows[1], rows[3], rows[2]])
    assert not report.ok and report.breaks[0].kind == "missing" and report.breaks[1].kind == "reordered"
