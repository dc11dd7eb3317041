"""Resident IDs and phones of persons encrypted at rest, found by the ID's keyed hash (issue 7).

The columns change type in place (the ciphertext is longer than 18 characters), then every row is
sealed by raw SQL in chunks — raw, because the historical model's EncryptedTextField would try to
decrypt the clear values it reads. Uniqueness moves to the hash in 0003, in its own transaction
(PostgreSQL refuses to alter a table with updates pending in the same one). Reversible: the
backward step decrypts the rows again.
"""

from typing import Any

from django.db import migrations

import jineng.crypto

CHUNK = 2_000
RIC = "ric"
PHONE = "phone"


def _rows(cursor: Any, table: str, after: int) -> list[tuple[Any, ...]]:
    cursor.execute(f"SELECT id, id_number, phone FROM {table} WHERE id > %s ORDER BY id LIMIT %s", [after, CHUNK])
    return cursor.fetchall()


def _clear(value: str | None, purpose: str) -> str:
    if not value:
        return ""
    # A row sealed already (a rerun after a partial failure) is read back, not sealed twice.
    return jineng.crypto.decrypt(value, purpose=purpose) if jineng.crypto.is_ciphertext(value) else value


def seal_people(apps: Any, schema_editor: Any) -> None:
    table = apps.get_model("registry", "Person")._meta.db_table
    normalise = jineng.crypto.NORMALISERS["ric"]
    after = 0
    with schema_editor.connection.cursor() as cursor:
        while rows := _rows(cursor, table, after):
            after = rows[-1][0]
            numbers = [_clear(number, RIC) for _, number, _ in rows]
            hashes = jineng.crypto.blind_indexes([normalise(n) for n in numbers], purpose=RIC)
            cursor.executemany(
                f"UPDATE {table} SET id_number = %s, phone = %s, id_hash = %s WHERE id = %s",
                [
                    (
                        jineng.crypto.encrypt(number, purpose=RIC),
                        jineng.crypto.encrypt(phone, purpose=PHONE) if (phone := _clear(raw_phone, PHONE)) else "",
                        key,
                        pk,
                    )
                    for (pk, _, raw_phone), number, key in zip(rows, numbers, hashes, strict=True)
                ],
            )


def unseal_people(apps: Any, schema_editor: Any) -> None:
    table = apps.get_model("registry", "Person")._meta.db_table
    after = 0
    with schema_editor.connection.cursor() as cursor:
        while rows := _rows(cursor, table, after):
            after = rows[-1][0]
            cursor.executemany(
                # The hash is left: its column goes away in the next backward step.
                f"UPDATE {table} SET id_number = %s, phone = %s WHERE id = %s",
                [(_clear(number, RIC), _clear(phone, PHONE), pk) for pk, number, phone in rows],
            )


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]

    operations = [
        migrations.RemoveConstraint(model_name="person", name="person_has_id"),
        migrations.AlterField(
            model_name="person",
            name="id_number",
            field=jineng.crypto.EncryptedTextField(purpose="ric", verbose_name="身份证号"),
        ),
        migrations.AlterField(
            model_name="person",
            name="phone",
            field=jineng.crypto.EncryptedTextField(blank=True, default="", purpose="phone", verbose_name="手机号"),
        ),
        migrations.AddField(
            model_name="person",
            name="id_hash",
            field=jineng.crypto.BlindIndexField(
                default="", normalise="ric", purpose="ric", source="id_number", verbose_name="身份证号索引"
            ),
            preserve_default=False,
        ),
        migrations.RunPython(seal_people, unseal_people, elidable=False),
    ]
