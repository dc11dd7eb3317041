"""The audit log's hash chain: each row carries its place (`seq`, 1..n without gaps), the hash of
the row before it and its own hash, so `jineng audit verify` finds a row changed or removed.

    hash = sha256(prev_hash + canonical JSON of the row's content), genesis prev_hash = 64 zeros

The canonical JSON has its keys sorted, no ASCII escaping, compact separators and `at` in UTC
with microseconds. It is a format contract: the migration that chained
the rows written before the chain existed, the writer and the verifier all use this module, and
changing it would break every chain already stored.

Each row's hash is also sealed: `seal = HMAC-SHA256(key, hash)`, the key derived from
JINENG_DATA_KEY (jineng.crypto.audit_seal_key). The hash alone is not keyed, so someone who can
rewrite the table could recompute the whole tail after a change; without the application's key
they cannot recompute the seals, and `jineng audit verify` reports every row whose seal does not
match. Before that, the database stops them (the application's role may not UPDATE or DELETE, a
trigger refuses even the owner), and a head recorded outside the database (`--expect-head`) shows
the last rows removed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

GENESIS = "0" * 64
# The key of the PostgreSQL advisory lock that lets one audit writer at a time read the chain's
# head and append to it ("jineng" in ASCII).
LOCK_KEY = 0x6A696E656E67
CONTENT_FIELDS = (
    "seq",
    "at",
    "actor_id",
    "actor_name",
    "actor_role",
    "event",
    "object_type",
    "object_id",
    "object_repr",
    "changes",
    "note",
)


def json_value(value: Any) -> Any:
    """`value` as the database gives it back, so the hash written is the hash re-read.

    PostgreSQL's jsonb keeps numbers as `numeric`: 1e16 comes back as the integer 10000000000000000
    and NaN is refused, so integral floats become ints and non-finite ones strings. Key order is
    not kept either, which the sorted canonical form does not mind.
    """
    if value is None or isinstance(value, bool | str | int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        if value.is_integer():
            # Through repr, as the database parses the JSON text: 1e+300 is exactly 10**300 there.
            return int(Decimal(repr(value)))
        return value
    if isinstance(value, Mapping):
        return {str(key): json_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_value(item) for item in value]
    if isinstance(value, Decimal):
        return str(value)
    return str(value)


def utc_iso(moment: dt.datetime) -> str:
    if moment.tzinfo is None:  # stored values are aware; a naive one can only be UTC (USE_TZ)
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


def canonical(row: Mapping[str, Any]) -> str:
    """The row's content as one canonical JSON text (the fields of CONTENT_FIELDS)."""
    content = {
        "seq": int(row["seq"]),
        "at": utc_iso(row["at"]),
        "actor_id": None if row["actor_id"] is None else int(row["actor_id"]),
        "actor_name": row["actor_name"],
        "actor_role": row["actor_role"],
        "event": row["event"],
        "object_type": row["object_type"],
        "object_id": row["object_id"],
        "object_repr": row["object_repr"],
        "changes": json_value(row["changes"]),
        "note": row["note"],
    }
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def row_hash(prev_hash: str, row: Mapping[str, Any]) -> str:
    return hashlib.sha256((prev_hash + canonical(row)).encode("utf-8")).hexdigest()


def row_seal(key: bytes, digest: str) -> str:
    """The row's seal: its hash under the application's key (hex, 64 characters)."""
    return hmac.new(key, digest.encode("ascii"), hashlib.sha256).hexdigest()
