"""A voucher list's digest sealed by the data key (issue 7): the keyed hash of the SHA-256 stored
before, as jineng.vouchers.services.list_digest now computes it, so a retried list is still found.
One-way: the keyed hash cannot be undone."""

from typing import Any

from django.db import migrations

import jineng.crypto

LIST_PURPOSE = "voucher_list"


def seal_digests(apps: Any, schema_editor: Any) -> None:
    table = apps.get_model("vouchers", "VoucherBatch")._meta.db_table
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"SELECT id, source_digest FROM {table}")
        found = cursor.fetchall()
        sealed = jineng.crypto.blind_indexes([digest for _, digest in found], purpose=LIST_PURPOSE)
        cursor.executemany(
            f"UPDATE {table} SET source_digest = %s WHERE id = %s",
            [(digest, pk) for (pk, _), digest in zip(found, sealed, strict=True)],
        )


class Migration(migrations.Migration):
    dependencies = [("vouchers", "0001_initial")]

    operations = [migrations.RunPython(seal_digests, elidable=False)]
