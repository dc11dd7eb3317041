from django.db import migrations, models

# The seal's format lives in jineng.audit.chain and its key in jineng.crypto; this migration uses
# them rather than a copy, so the seals it writes are the ones `jineng audit verify` checks.
from jineng.audit.chain import row_seal
from jineng.crypto import audit_seal_key

BATCH = 1000
TRIGGER = "audit_auditevent_immutable"


def seal_existing_rows(apps, schema_editor):
    """Seal the rows written before seals existed, with the key of the database's own deployment."""
    AuditEvent = apps.get_model("audit", "AuditEvent")
    postgres = schema_editor.connection.vendor == "postgresql"
    if not AuditEvent.objects.filter(seal="").exists():
        return
    if postgres:
        # As 0004: the trigger refuses every UPDATE; it is back on before this transaction commits.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        schema_editor.execute(f"ALTER TABLE audit_auditevent DISABLE TRIGGER {TRIGGER}")
    key = audit_seal_key()
    last = 0
    while True:
        rows = list(AuditEvent.objects.filter(seq__gt=last, seal="").order_by("seq").only("id", "seq", "hash")[:BATCH])
        if not rows:
            break
        for row in rows:
            row.seal = row_seal(key, row.hash)
        AuditEvent.objects.bulk_update(rows, ["seal"])
        last = rows[-1].seq
    if postgres:
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        schema_editor.execute(f"ALTER TABLE audit_auditevent ENABLE TRIGGER {TRIGGER}")
        schema_editor.execute("SET CONSTRAINTS ALL DEFERRED")


class Migration(migrations.Migration):
    dependencies = [("audit", "0005_chain_required")]
    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="seal",
            field=models.CharField(default="", editable=False, max_length=64, verbose_name="封印"),
        ),
        migrations.RunPython(seal_existing_rows, migrations.RunPython.noop),
    ]
