"""The rule findings kept with each review step encrypted at rest (issue 7): they name trainees by
resident ID ("trainee:<ID>" and in messages).

The column becomes text (on PostgreSQL jsonb's text form), then every row is sealed by raw SQL in
chunks — raw, because the historical model's field would try to decrypt the clear JSON it reads.
Reversible: the backward step decrypts them again, and the column becomes JSON once more.
"""

from typing import Any

from django.db import migrations

import jineng.crypto

CHUNK = 2_000
PURPOSE = "review_findings"


def _convert(apps: Any, schema_editor: Any, change: Any) -> None:
    table = apps.get_model("classes", "ReviewStep")._meta.db_table
    after = 0
    with schema_editor.connection.cursor() as cursor:
        while True:
            cursor.execute(f"SELECT id, findings FROM {table} WHERE id > %s ORDER BY id LIMIT %s", [after, CHUNK])
            rows = cursor.fetchall()
            if not rows:
                return
            after = rows[-1][0]
            cursor.executemany(
                f"UPDATE {table} SET findings = %s WHERE id = %s", [(change(value), pk) for pk, value in rows]
            )


def _seal(value: str | None) -> str:
    text = value if value else "[]"
    return text if jineng.crypto.is_ciphertext(text) else jineng.crypto.encrypt(text, purpose=PURPOSE)


def _unseal(value: str | None) -> str:
    text = value if value else "[]"
    return jineng.crypto.decrypt(text, purpose=PURPOSE) if jineng.crypto.is_ciphertext(text) else text


def seal_findings(apps: Any, schema_editor: Any) -> None:
    _convert(apps, schema_editor, _seal)


def unseal_findings(apps: Any, schema_editor: Any) -> None:
    _convert(apps, schema_editor, _unseal)


class Migration(migrations.Migration):
    dependencies = [("classes", "0004_list_order")]

    operations = [
        migrations.AlterField(
            model_name="reviewstep",
            name="findings",
            field=jineng.crypto.EncryptedJSONField(default=list, purpose=PURPOSE, verbose_name="当时的规则核查结果"),
        ),
        migrations.RunPython(seal_findings, unseal_findings, elidable=False),
    ]
