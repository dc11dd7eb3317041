"""Writing the audit log. Called inside the caller's transaction, so the row commits with the change."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db import models

from jineng.ids import mask_phone, mask_ric

from .models import AuditEvent

_SENSITIVE_ID_KEYS = frozenset({"id_number", "身份证号"})
_SENSITIVE_PHONE_KEYS = frozenset({"phone", "手机号"})
_RIC = re.compile(r"(?<![0-9])[1-9][0-9]{16}[0-9Xx](?![0-9])")


def mask_text(text: str) -> str:
    """Mask every 18-character resident ID inside free text (opinions, reprs, notes)."""
    return _RIC.sub(lambda m: mask_ric(m.group(0)), text)


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, Mapping):
        return {str(k): _masked(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    if isinstance(value, str):
        return mask_text(value)
    return value


def _masked(key: str, value: Any) -> Any:
    if key in _SENSITIVE_ID_KEYS and isinstance(value, str):
        return mask_ric(value)
    if key in _SENSITIVE_PHONE_KEYS and isinstance(value, str):
        return mask_phone(value)
    return _plain(value)


def diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    """The fields whose values differ, as {field: (old, new)}."""
    return {key: (old.get(key), new.get(key)) for key in sorted(set(old) | set(new)) if old.get(key) != new.get(key)}


def audit_record(
    *,
    actor: Any,
    event: str,
    obj: models.Model | None = None,
    changes: Mapping[str, tuple[Any, Any]] | None = None,
    note: str = "",
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
) -> AuditEvent:
    """Write one audit row: who, when, which event, which object, old → new (IDs and phones masked).

    The object is a model row (`obj`), or for an event about something else — a refused request,
    an export — named by `object_type`, `object_id` and `object_repr`. The row joins the hash
    chain as it is saved (`AuditEvent.save`).
    """
    if obj is not None:
        object_type, object_id, object_repr = obj._meta.label_lower, str(obj.pk), str(obj)
    elif not object_type:
        raise ValueError("audit_record needs obj or object_type")
    anonymous = getattr(actor, "is_anonymous", False)
    entry = AuditEvent(
        actor=actor if getattr(actor, "pk", None) else None,
        actor_name=(
            getattr(actor, "display_name", "") or getattr(actor, "username", "") or ("匿名" if anonymous else "系统")
        )[:150],
        actor_role=getattr(actor, "role", "") or "",
        event=event,
        object_type=object_type[:64],
        object_id=mask_text(object_id)[:64],
        object_repr=mask_text(object_repr)[:200],
        changes={key: [_masked(key, old), _masked(key, new)] for key, (old, new) in (changes or {}).items()},
        note=mask_text(note),
    )
    entry.save()
    return entry
