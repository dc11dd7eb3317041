"""Personal data at rest (jineng.crypto): AES-256-GCM bound to a purpose, keyed-hash search, and the
loud refusal of a query that would compare ciphertexts."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import polars as pl
import pytest
from django.core.exceptions import FieldError

from jineng import crypto
from jineng.registry.models import Person, ric_key
from jineng.subsidy.models import SubsidyClaim

NUMBER = "41108119900101123X"
OTHER_KEY = bytes(range(32))


def test_a_value_reads_back_and_two_encryptions_of_it_differ() -> None:
    first, second = (crypto.encrypt(NUMBER, purpose="ric") for _ in range(2))
    assert first != second  # a fresh nonce each time: equal IDs are not equal ciphertexts
    assert first.startswith("v1.") and NUMBER not in first
    assert crypto.decrypt(first, purpose="ric") == crypto.decrypt(second, purpose="ric") == NUMBER


def test_many_values_sealed_at_once_read_back_as_one_by_one() -> None:
    values = [NUMBER, "13812345678", "中文也可"]
    sealed = crypto.encrypt_many(values, purpose="phone")
    assert [crypto.decrypt(v, purpose="phone") for v in sealed] == values
    assert len(set(sealed)) == 3


def test_a_ciphertext_moved_to_another_purpose_fails_to_decrypt() -> None:
    account = crypto.encrypt("6228480012345678901", purpose="bank_account")
    with pytest.raises(crypto.DecryptionFailed, match="ric"):
        crypto.decrypt(account, purpose="ric")


def test_a_ciphertext_under_another_key_fails_to_decrypt(settings: Any) -> None:
    sealed = crypto.encrypt(NUMBER, purpose="ric")
    settings.JINENG_DATA_KEY = OTHER_KEY
    with pytest.raises(crypto.DecryptionFailed, match="密钥不符"):
        crypto.decrypt(sealed, purpose="ric")


def test_a_changed_byte_of_a_ciphertext_is_refused() -> None:
    sealed = crypto.encrypt(NUMBER, purpose="ric")
    body = bytearray(crypto.base64.urlsafe_b64decode(sealed[3:]))
    body[-1] ^= 1
    tampered = "v1." + crypto.base64.urlsafe_b64encode(bytes(body)).decode()
    with pytest.raises(crypto.DecryptionFailed):
        crypto.decrypt(tampered, purpose="ric")
    with pytest.raises(crypto.DecryptionFailed, match="加密格式"):
        crypto.decrypt(NUMBER, purpose="ric")  # a clear value where a ciphertext belongs


def test_the_blind_index_differs_under_another_key_and_for_another_purpose(settings: Any) -> None:
    index = crypto.blind_index(NUMBER, purpose="ric")
    assert len(index) == 64 and index == crypto.blind_index(NUMBER, purpose="ric")
    assert index != crypto.blind_index(NUMBER, purpose="phone")
    settings.JINENG_DATA_KEY = OTHER_KEY
    assert crypto.blind_index(NUMBER, purpose="ric") != index


def test_the_blind_index_is_no_plain_hash_and_not_keyed_by_the_master_key_itself(settings: Any) -> None:
    # Without the derived key nobody can test a guessed ID against the index.
    index = crypto.blind_index(NUMBER, purpose="ric")
    message = f"ric\x00{NUMBER}".encode()
    assert index not in {hashlib.sha256(NUMBER.encode()).hexdigest(), hashlib.sha256(message).hexdigest()}
    assert index != hmac.new(bytes(settings.JINENG_DATA_KEY), message, hashlib.sha256).hexdigest()


def test_many_blind_indexes_at_once_equal_them_one_by_one() -> None:
    values = [NUMBER, "411081199001011235", ""]
    assert crypto.blind_indexes(values, purpose="ric") == [crypto.blind_index(v, purpose="ric") for v in values]


def test_a_frame_gets_the_blind_index_of_each_row_and_null_stays_null() -> None:
    frame = pl.DataFrame({"row": [1, 2, 3, 4], "id_number": [NUMBER, None, "411081199001011235", NUMBER]})
    hashed = crypto.frame_blind_index(frame, "id_number", "id_hash", purpose="ric")
    assert hashed.get_column("row").to_list() == [1, 2, 3, 4]  # file order kept
    assert hashed.get_column("id_hash").to_list() == [
        crypto.blind_index(NUMBER, purpose="ric"),
        None,
        crypto.blind_index("411081199001011235", purpose="ric"),
        crypto.blind_index(NUMBER, purpose="ric"),
    ]


def test_a_typed_id_is_normalised_as_stored_before_it_is_hashed() -> None:
    assert ric_key(f"  {NUMBER.lower()} ") == ric_key(NUMBER)
    assert ric_key(NUMBER) == crypto.blind_index(NUMBER, purpose="ric")
    assert crypto.search_keys([NUMBER.lower()], purpose="ric", normalise="ric") == {ric_key(NUMBER): NUMBER.lower()}


@pytest.mark.parametrize(
    ("model", "method", "condition"),
    [
        (Person, "filter", {"id_number": NUMBER}),
        (Person, "filter", {"id_number__in": [NUMBER]}),
        (Person, "filter", {"phone__startswith": "138"}),
        (Person, "get_or_create", {"id_number": NUMBER}),
        (SubsidyClaim, "filter", {"bank_account": "6228480012345678901"}),
        (SubsidyClaim, "exclude", {"phone": "0374-1234567"}),
    ],
)
@pytest.mark.django_db
def test_a_query_comparing_an_encrypted_column_is_refused_loudly(model: Any, method: str, condition: Any) -> None:
    # A random-nonce ciphertext never equals another: such a query would silently find nothing.
    with pytest.raises(FieldError, match="密文索引"):
        getattr(model.objects, method)(**condition)


@pytest.mark.django_db
def test_an_encrypted_column_may_still_be_tested_for_null() -> None:
    assert not Person.objects.filter(id_number__isnull=True).exists()


def test_the_field_never_seals_a_value_twice() -> None:
    field = Person._meta.get_field("id_number")
    sealed = field.get_prep_value(NUMBER)
    assert field.get_prep_value(sealed) == sealed
    assert field.from_db_value(sealed, None, None) == NUMBER
    assert field.get_prep_value("") == "" and field.get_prep_value(None) is None
