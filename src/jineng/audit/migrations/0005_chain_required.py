from django.db import migrations, models

# TRUNCATE fires no row trigger, so 0002's trigger does not see it: a statement trigger does.
# The application's role has no TRUNCATE privilege at all (`manage db_roles`); this stops the
# owner's slip — a TRUNCATE by hand, a tool's reset — unless the session names the table's
# emptying on purpose (`SET jineng.audit_truncate = 'allow'`), as the test suite does to empty
# its throwaway database between tests. The owner could drop the trigger anyway.
FORWARD = """
CREATE OR REPLACE FUNCTION jineng_audit_no_truncate() RETURNS trigger AS $$
BEGIN
  IF current_setting('jineng.audit_truncate', true) = 'allow' THEN
    RETURN NULL;
  END IF;
  RAISE EXCEPTION '审计日志不可修改或删除 (audit_auditevent is append-only)';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_auditevent_no_truncate
  BEFORE TRUNCATE ON audit_auditevent
  FOR EACH STATEMENT EXECUTE FUNCTION jineng_audit_no_truncate();
"""
BACKWARD = """
DROP TRIGGER IF EXISTS audit_auditevent_no_truncate ON audit_auditevent;
DROP FUNCTION IF EXISTS jineng_audit_no_truncate();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_chain_backfill")]
    operations = [
        migrations.AlterField(
            model_name="auditevent",
            name="seq",
            field=models.BigIntegerField(editable=False, unique=True, verbose_name="序号"),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="prev_hash",
            field=models.CharField(editable=False, max_length=64, verbose_name="前一条的哈希"),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="hash",
            field=models.CharField(editable=False, max_length=64, unique=True, verbose_name="哈希"),
        ),
        migrations.RunPython(forward, backward),
    ]
