from django.db import migrations
from django.db.models import Q

# The chain's format lives in jineng.audit.chain, and this migration uses it rather than a copy:
# the hashes it writes are the ones `jineng audit verify` recomputes, whatever that module says.
from jineng.audit.chain import GENESIS, row_hash

BATCH = 1000
TRIGGER = "audit_auditevent_immutable"


def chain_existing_rows(apps, schema_editor):
    AuditEvent = apps.get_model("audit", "AuditEvent")
    postgres = schema_editor.connection.vendor == "postgresql"
    if postgres:
        # 0002's trigger refuses every UPDATE, this one included; it is back on before the
        # migration's transaction commits, so no other session ever sees the table without it.
        # ALTER TABLE refuses while deferred foreign-key checks wait for the commit: run them now.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        schema_editor.execute(f"ALTER TABLE audit_auditevent DISABLE TRIGGER {TRIGGER}")
    seq, prev = 0, GENESIS
    last = None
    while True:
        # Keyset pages in the order the rows were written, (at, id), never holding the whole table.
        page = AuditEvent.objects.order_by("at", "id")
        if last is not None:
            page = page.filter(Q(at__gt=last[0]) | Q(at=last[0], id__gt=last[1]))
        rows = list(page[:BATCH])
        if not rows:
            break
        for row in rows:
            seq += 1
            row.seq, row.prev_hash = seq, prev
            row.hash = prev = row_hash(prev, {**{f: getattr(row, f) for f in FIELDS}, "seq": seq})
        AuditEvent.objects.bulk_update(rows, ["seq", "prev_hash", "hash"])
        last = (rows[-1].at, rows[-1].id)
    if postgres:
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        schema_editor.execute(f"ALTER TABLE audit_auditevent ENABLE TRIGGER {TRIGGER}")
        schema_editor.execute("SET CONSTRAINTS ALL DEFERRED")


FIELDS = ("at", "actor_id", "actor_name", "actor_role", "event", "object_type", "object_id", "object_repr", "changes", "note")


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_chain_fields")]
    operations = [migrations.RunPython(chain_existing_rows, migrations.RunPython.noop)]
