"""Checking the audit log's hash chain (`jineng audit verify`, `manage verify_audit`).

`verify_chain` reads rows in `seq` order, one at a time, and recomputes each hash:

- `missing`: a `seq` skipped (a row deleted), or the recorded head not in the table (the last rows
  deleted — only a head recorded outside the database shows that);
- `altered`: a row whose content no longer gives its hash, or whose predecessor's hash is not the
  one it chained to (the predecessor was changed and its hash recomputed);
- `reordered`: an intact row in another place than the one it was chained at (seq swapped);
- `unsealed`: a row whose seal is not its hash under the application's key — its hash was
  recomputed (a changed row, or a whole tail rebuilt) by someone without the key, or the row was
  not written by jineng (`chain.row_seal`).

After a break the check carries on from the row found, so one report lists every place touched.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .chain import CONTENT_FIELDS, GENESIS, row_hash, row_seal

# Hashes remembered to tell a moved row from a changed one: a row is rarely moved far.
WINDOW = 1000
# How far from its place a moved row is looked for when its predecessor comes after it.
NEAR = 3
MAX_BREAKS = 100
CHUNK = 2000
KINDS_ZH = {"altered": "被改写", "missing": "缺失", "reordered": "顺序被调换", "unsealed": "封印不符"}


@dataclass(frozen=True)
class Break:
    seq: int
    kind: str  # altered | missing | reordered
    expected: str
    found: str
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "kind": self.kind,
            "expected": self.expected,
            "found": self.found,
            "detail": self.detail,
        }


@dataclass
class Report:
    rows: int = 0
    head_seq: int | None = None
    head_hash: str | None = None
    breaks: list[Break] = field(default_factory=list)
    breaks_total: int = 0

    @property
    def ok(self) -> bool:
        return self.breaks_total == 0

    @property
    def first_break(self) -> Break | None:
        return self.breaks[0] if self.breaks else None

    def add(self, found: Break) -> None:
        self.breaks_total += 1
        if len(self.breaks) < MAX_BREAKS:
            self.breaks.append(found)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "rows": self.rows,
            "head": None if self.head_seq is None else {"seq": self.head_seq, "hash": self.head_hash},
            "breaks_total": self.breaks_total,
            "breaks": [b.as_dict() for b in self.breaks],
        }


def parse_head(text: str) -> tuple[int, str]:
    """`SEQ:HASH` as printed by `jineng audit verify`; ValueError with a Chinese message otherwise."""
    seq_text, sep, digest = text.strip().partition(":")
    digest = digest.strip().lower()
    if not sep or not seq_text.strip().isdigit() or int(seq_text) < 1:
        raise ValueError(f"链头 {text!r} 无效：应为 序号:哈希，如 1024:3f5a…（共 64 位十六进制）")
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise ValueError(f"链头 {text!r} 的哈希无效：应为 64 位十六进制")
    return int(seq_text), digest


def _short(digest: str | None) -> str:
    return (digest or "")[:16] + "…" if digest else "（空）"


def verify_chain(
    rows: Iterable[Mapping[str, Any]],
    *,
    expect_head: tuple[int, str] | None = None,
    progress: Callable[[int], None] | None = None,
    progress_every: int = 100_000,
    seal_key: bytes | None = None,
) -> Report:
    """Check rows given in `seq` order (mappings with the chain's content fields plus `prev_hash`
    and `hash`, and `seal` when `seal_key` is given); `expect_head` is a (seq, hash) recorded
    earlier, which must still be there."""
    report = Report()
    expected_seq, prev = 1, GENESIS
    seen: dict[str, int] = {}  # recent hash -> seq it was found at
    head_found: str | None = None
    for row in rows:
        report.rows += 1
        if progress is not None and report.rows % progress_every == 0:
            progress(report.rows)
        seq, stored, chained_to = int(row["seq"]), row["hash"], row["prev_hash"]
        content_ok = row_hash(chained_to, row) == stored
        if seal_key is not None and not hmac.compare_digest(row.get("seal") or "", row_seal(seal_key, stored)):
            report.add(
                Break(
                    seq,
                    "unsealed",
                    "封印 = HMAC（应用密钥，哈希）",
                    f"封印 {_short(row.get('seal'))}",
                    f"第 {seq} 条的封印与其哈希不符：其哈希被不持有应用密钥者重新计算，或该条并非本系统写入",
                )
            )
        if seq < expected_seq:
            report.add(
                Break(
                    seq,
                    "reordered",
                    f"序号 {expected_seq}",
                    f"序号 {seq}",
                    f"序号 {seq} 出现在 {expected_seq - 1} 之后",
                )
            )
        elif seq > expected_seq:
            missing = f"{expected_seq}" if seq == expected_seq + 1 else f"{expected_seq}–{seq - 1}"
            report.add(
                Break(
                    expected_seq,
                    "missing",
                    f"序号 {expected_seq}",
                    f"序号 {seq}",
                    f"序号 {missing} 的记录缺失（被删除）",
                )
            )
            if not content_ok:
                report.add(_content_break(row, seq, seen))
        elif not content_ok:
            report.add(_content_break(row, seq, seen))
        elif chained_to != prev:
            if chained_to in seen:
                report.add(
                    Break(
                        seq,
                        "reordered",
                        f"前序哈希 {_short(prev)}",
                        f"前序哈希 {_short(chained_to)}",
                        f"第 {seq} 条原接在第 {seen[chained_to]} 条之后：其间的记录被移动",
                    )
                )
            else:
                report.add(
                    Break(
                        seq - 1,
                        "altered",
                        f"哈希 {_short(chained_to)}（第 {seq} 条所链接）",
                        f"哈希 {_short(prev)}",
                        f"第 {seq - 1} 条被改写并重新计算了哈希",
                    )
                )
        if expect_head is not None and seq == expect_head[0]:
            head_found = stored
        seen[stored] = seq
        if len(seen) > WINDOW:
            del seen[next(iter(seen))]
        expected_seq, prev = max(expected_seq, seq + 1), stored
        report.head_seq, report.head_hash = seq, stored
    if expect_head is not None:
        head_seq, head_hash = expect_head
        if head_found is None:
            last = report.head_seq or 0
            report.add(
                Break(
                    head_seq,
                    "missing",
                    f"链头 {head_seq}:{_short(head_hash)}",
                    f"最后一条为序号 {last}" if last else "审计日志为空",
                    f"此前记录的链头（序号 {head_seq}）已不在数据库中：其后的记录被删除",
                )
            )
        elif head_found != head_hash:
            report.add(
                Break(
                    head_seq,
                    "altered",
                    f"哈希 {_short(head_hash)}",
                    f"哈希 {_short(head_found)}",
                    f"第 {head_seq} 条的哈希与此前记录的链头不符：该条或其之前的记录被改写",
                )
            )
    return report


def _content_break(row: Mapping[str, Any], seq: int, seen: Mapping[str, int]) -> Break:
    """A row whose content does not give its hash: moved intact, or changed."""
    chained_to, stored = row["prev_hash"], row["hash"]
    places = [seen[chained_to] + 1] if chained_to in seen else []
    places += [seq + d for d in range(-NEAR, NEAR + 1) if d and seq + d > 0]
    for place in places:
        if place != seq and row_hash(chained_to, {**row, "seq": place}) == stored:
            return Break(seq, "reordered", f"序号 {seq}", f"序号 {place}", f"原为第 {place} 条的记录被移到第 {seq} 条")
    return Break(
        seq,
        "altered",
        f"哈希 {_short(row_hash(chained_to, row))}（按现有内容计算）",
        f"哈希 {_short(stored)}（所存）",
        f"第 {seq} 条的内容与其哈希不符：该条被改写",
    )


COLUMNS = (*CONTENT_FIELDS, "prev_hash", "hash", "seal")


def verify_database(
    *,
    expect_head: tuple[int, str] | None = None,
    progress: Callable[[int], None] | None = None,
    using: str = "default",
) -> Report:
    """The chain as stored, streamed in chunks (a server-side cursor on PostgreSQL)."""
    from .models import AuditEvent

    rows = AuditEvent.objects.using(using).order_by("seq").values(*COLUMNS).iterator(chunk_size=CHUNK)
    from jineng.crypto import audit_seal_key

    return verify_chain(rows, expect_head=expect_head, progress=progress, seal_key=audit_seal_key())


def render(report: Report) -> str:
    """The report in Chinese, for the terminal and the audit page."""
    lines = []
    if report.ok:
        lines.append(f"审计链完整：共 {report.rows} 条记录，逐条校验通过（哈希与封印）。")
    else:
        lines.append(f"审计链已被破坏：共 {report.rows} 条记录，发现 {report.breaks_total} 处异常。")
        for b in report.breaks:
            kind = f"{KINDS_ZH.get(b.kind, b.kind)}（{b.kind}）"
            lines.append(f"  第 {b.seq} 条 {kind}：{b.detail}；应为 {b.expected}，实为 {b.found}")
        if report.breaks_total > len(report.breaks):
            lines.append(f"  ……另有 {report.breaks_total - len(report.breaks)} 处未列出")
    if report.head_seq is None:
        lines.append("链头：（审计日志为空）")
    else:
        lines.append(f"链头：{report.head_seq}:{report.head_hash}")
        lines.append("请将链头记录在数据库之外（如运维日志），下次以 --expect-head 核对，可发现末尾记录被删除。")
    return "\n".join(lines) + "\n"
