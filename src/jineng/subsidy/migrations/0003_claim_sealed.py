"""A claim's contact phone and bank account encrypted at rest (issue 7).

The columns become text (the ciphertext is longer), then each row is sealed by raw SQL — raw,
because the historical model's EncryptedTextField would try to decrypt the clear values it reads.
Reversible: the backward step decrypts them again.
"""

from typing import Any

from django.db import migrations

import jineng.crypto

CHUNK = 2_000
PURPOSES = (("phone", "phone"), ("bank_account", "bank_account"))


def _convert(apps: Any, schema_editor: Any, change: Any) -> None:
    table = apps.get_model("subsidy", "SubsidyClaim")._meta.db_table
    after = 0
    with schema_editor.connection.cursor() as cursor:
        while True:
            cursor.execute(
                f"SELECT id, phone, bank_account FROM {table} WHERE id > %s ORDER BY id LIMIT %s", [after, CHUNK]
            )
            rows = cursor.fetchall()
            if not rows:
                return
            after = rows[-1][0]
            cursor.executemany(
                f"UPDATE {table} SET phone = %s, bank_account = %s WHERE id = %s",
                [
                    (*(change(value or "", purpose) for value, (_, purpose) in zip(values, PURPOSES, strict=True)), pk)
                    for pk, *values in rows
                ],
            )


def _seal(value: str, purpose: str) -> str:
    if not value or jineng.crypto.is_ciphertext(value):
        return value
    return jineng.crypto.encrypt(value, purpose=purpose)


def _unseal(value: str, purpose: str) -> str:
    return jineng.crypto.decrypt(value, purpose=purpose) if jineng.crypto.is_ciphertext(value) else value


def seal_claims(apps: Any, schema_editor: Any) -> None:
    _convert(apps, schema_editor, _seal)


def unseal_claims(apps: Any, schema_editor: Any) -> None:
    _convert(apps, schema_editor, _unseal)


class Migration(migrations.Migration):
    dependencies = [("subsidy", "0002_initial")]

    operations = [
        migrations.AlterField(
            model_name="subsidyclaim",
            name="phone",
            field=jineng.crypto.EncryptedTextField(purpose="phone", verbose_name="联系电话"),
        ),
        migrations.AlterField(
            model_name="subsidyclaim",
            name="bank_account",
            field=jineng.crypto.EncryptedTextField(purpose="bank_account", verbose_name="银行账号"),
        ),
        migrations.RunPython(seal_claims, unseal_claims, elidable=False),
    ]
