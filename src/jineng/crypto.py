"""Personal data at rest: field encryption (AES-256-GCM) and keyed-hash search (HMAC-SHA256).

Resident IDs, phone numbers and bank accounts are stored as ciphertext; a database dump, a backup
or a stolen disk shows nothing readable without JINENG_DATA_KEY (settings, from the environment).
Equality search (a resident ID typed in, a roster joined to the registry) goes through a separate
keyed hash — a "blind index" — so the database can still find and join rows without ever holding
the clear value, and without the key nobody can test a guessed ID against the index.

Two keys are derived from the one configured secret (HKDF-SHA256 with distinct labels), so the
index key never doubles as the encryption key. Each ciphertext is bound to its purpose (the AEAD
associated data), so a value copied from the bank-account column into the ID column fails to
decrypt instead of passing as an ID.

Ciphertext format: ``v1.`` + urlsafe base64 of (12-byte random nonce ‖ ciphertext ‖ 16-byte tag).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import os
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django import forms
from django.conf import settings
from django.core.exceptions import FieldError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

if TYPE_CHECKING:
    import polars as pl

PREFIX = "v1."
_NONCE = 12


class DecryptionFailed(Exception):
    """The stored value was not written with this key and purpose (wrong key, tampered or misplaced)."""


def _derive(master: bytes, label: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label).derive(master)


@functools.lru_cache(maxsize=4)
def _keys(master: bytes) -> tuple[AESGCM, bytes]:
    return AESGCM(_derive(master, b"jineng field encryption v1")), _derive(master, b"jineng blind index v1")


@functools.lru_cache(maxsize=4)
def _seal_key(master: bytes) -> bytes:
    return _derive(master, b"jineng audit seal v1")


def audit_seal_key() -> bytes:
    """The key that seals each audit row's hash (jineng.audit.chain.row_seal): derived from
    JINENG_DATA_KEY, so whoever can rewrite the table but does not hold the application's key
    cannot make a rewritten chain pass `jineng audit verify`."""
    return _seal_key(bytes(settings.JINENG_DATA_KEY))


def _current() -> tuple[AESGCM, bytes]:
    return _keys(bytes(settings.JINENG_DATA_KEY))


def encrypt(plaintext: str, *, purpose: str) -> str:
    aead, _ = _current()
    nonce = os.urandom(_NONCE)
    sealed = aead.encrypt(nonce, plaintext.encode("utf-8"), purpose.encode("ascii"))
    return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")


def encrypt_many(values: Iterable[str], *, purpose: str) -> list[str]:
    """encrypt() of many values (a bulk load): one key lookup and one call for all the nonces."""
    aead, _ = _current()
    given = [v.encode("utf-8") for v in values]
    nonces = os.urandom(_NONCE * len(given))
    data = purpose.encode("ascii")
    out = []
    for i, plain in enumerate(given):
        nonce = nonces[i * _NONCE : (i + 1) * _NONCE]
        out.append(PREFIX + base64.urlsafe_b64encode(nonce + aead.encrypt(nonce, plain, data)).decode("ascii"))
    return out


def decrypt(token: str, *, purpose: str) -> str:
    if not token.startswith(PREFIX):
        raise DecryptionFailed(f"不是本系统的加密格式（{purpose}）")
    aead, _ = _current()
    try:
        raw = base64.urlsafe_b64decode(token[len(PREFIX) :])
        return aead.decrypt(raw[:_NONCE], raw[_NONCE:], purpose.encode("ascii")).decode("utf-8")
    except (InvalidTag, ValueError) as exc:
        raise DecryptionFailed(f"无法解密（{purpose}）：密钥不符或数据被改动") from exc


def is_ciphertext(value: str) -> bool:
    return value.startswith(PREFIX)


def blind_index(value: str, *, purpose: str) -> str:
    """The keyed hash that equality search and joins use (64 hex characters)."""
    _, key = _current()
    return hmac.new(key, f"{purpose}\x00{value}".encode(), hashlib.sha256).hexdigest()


def blind_indexes(values: Iterable[str], *, purpose: str) -> list[str]:
    """Many at once (a roster, a check-in batch's distinct IDs), equal to blind_index one by one.

    HMAC written out (RFC 2104) on hashlib's SHA-256: the inner and outer states after the padded
    key (and the purpose) are computed once and copied per value, a third of the cost of hmac.new
    each time — it matters for the 100,000 distinct IDs of a million-row check-in file.
    """
    _, key = _current()
    padded = key.ljust(hashlib.sha256().block_size, b"\0")  # the derived key is 32 bytes: no pre-hash
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in padded))
    inner.update(f"{purpose}\x00".encode())
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in padded))
    out = []
    for value in values:
        i = inner.copy()
        i.update(value.encode())
        o = outer.copy()
        o.update(i.digest())
        out.append(o.hexdigest())
    return out


def _ric(value: str) -> str:
    from jineng.ids import normalise_ric  # stdnum; imported when first needed

    return normalise_ric(value.strip())


NORMALISERS: dict[str, Callable[[str], str]] = {
    "upper": lambda v: v.strip().upper(),
    "strip": lambda v: v.strip(),
    "digits": lambda v: "".join(ch for ch in v if ch.isdigit()),
    # A resident ID as rosters store it: separators and spaces dropped, a final x read as X.
    "ric": _ric,
}


def search_key(value: str, *, purpose: str, normalise: str = "strip") -> str:
    """The blind index of a value typed by a user, normalised as the stored values were."""
    return blind_index(NORMALISERS[normalise](value), purpose=purpose)


def search_keys(values: Iterable[str], *, purpose: str, normalise: str = "strip") -> dict[str, str]:
    """{blind index: the value as given} for many typed values (a list, a roster's IDs)."""
    given = list(values)
    normal = NORMALISERS[normalise]
    return dict(zip(blind_indexes([normal(v) for v in given], purpose=purpose), given, strict=True))


def frame_blind_index(frame: pl.DataFrame, source: str, target: str, *, purpose: str) -> pl.DataFrame:
    """`frame` with `target`, the blind index of column `source` (null where it is null).

    Hashed over the distinct values only and joined back, never row by row: a million check-ins
    carry about a hundred thousand IDs. The values are hashed as they are (normalise first).
    """
    import polars as pl

    distinct = frame.get_column(source).drop_nulls().unique()
    keys = pl.DataFrame(
        {source: distinct, target: blind_indexes(distinct.to_list(), purpose=purpose)},
        schema={source: frame.schema[source], target: pl.String},
    )
    return frame.join(keys, on=source, how="left", maintain_order="left")


class EncryptedTextField(models.TextField):
    """A text value stored encrypted; Python code reads and writes it in clear.

    Lookups on it are refused (a random-nonce ciphertext never equals another): search through the
    model's BlindIndexField instead. The refusal is loud so that no query silently finds nothing.
    """

    def __init__(self, *args: Any, purpose: str, **kwargs: Any) -> None:
        self.purpose = purpose
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["purpose"] = self.purpose
        return name, path, args, kwargs

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return decrypt(value, purpose=self.purpose)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        if is_ciphertext(value):
            # Already sealed (a bulk copy of stored rows): never wrap twice.
            return value
        return encrypt(str(value), purpose=self.purpose)

    def formfield(self, **kwargs: Any) -> Any:
        # An ID, a phone or an account is one line, though stored as text.
        kwargs.setdefault("widget", forms.TextInput)
        return super().formfield(**kwargs)

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name != "isnull":
            raise FieldError(
                f"加密字段 {self.name} 不能按内容查询（{lookup_name}）：请使用对应的密文索引字段（keyed hash）"
            )
        return super().get_lookup(lookup_name)


class EncryptedJSONField(EncryptedTextField):
    """A JSON value (lists and dicts, as a JSONField holds them) stored encrypted as one text.

    For records nobody queries inside, such as the rule findings kept with a review step, which name
    trainees by resident ID: Python reads and writes the value as before.
    """

    # For django-stubs' mypy plugin: the attribute is a JSON value, not the text it is stored as.
    _pyi_private_set_type: Any
    _pyi_private_get_type: Any

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return value
        return json.loads(decrypt(value, purpose=self.purpose))

    def to_python(self, value: Any) -> Any:
        return value

    def get_prep_value(self, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, str) and is_ciphertext(value):
            return value
        return encrypt(json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False), purpose=self.purpose)

    def value_to_string(self, obj: models.Model) -> str:
        return json.dumps(self.value_from_object(obj), cls=DjangoJSONEncoder, ensure_ascii=False)


class BlindIndexField(models.CharField):
    """The keyed hash of another field of the same row, kept in step on every save and bulk_create."""

    def __init__(self, *args: Any, source: str, purpose: str, normalise: str = "strip", **kwargs: Any) -> None:
        self.source = source
        self.purpose = purpose
        self.normalise = normalise
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs.update(source=self.source, purpose=self.purpose, normalise=self.normalise)
        kwargs.pop("editable", None)
        if kwargs.get("max_length") == 64:
            kwargs.pop("max_length")
        return name, path, args, kwargs

    def pre_save(self, model_instance: models.Model, add: bool) -> str:
        clear = getattr(model_instance, self.source)
        value = "" if not clear else search_key(str(clear), purpose=self.purpose, normalise=self.normalise)
        setattr(model_instance, self.attname, value)
        return value
