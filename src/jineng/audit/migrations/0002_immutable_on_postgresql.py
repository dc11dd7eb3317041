from django.db import migrations

# On PostgreSQL the table itself refuses UPDATE and DELETE, so not even a raw SQL session of the
# application's database user can rewrite history. (SQLite is the single-user embedded default.)
FORWARD = """
CREATE OR REPLACE FUNCTION jineng_audit_immutable() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION '审计日志不可修改或删除 (audit_auditevent is append-only)';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_auditevent_immutable
  BEFORE UPDATE OR DELETE ON audit_auditevent
  FOR EACH ROW EXECUTE FUNCTION jineng_audit_immutable();
"""
BACKWARD = """
DROP TRIGGER IF EXISTS audit_auditevent_immutable ON audit_auditevent;
DROP FUNCTION IF EXISTS jineng_audit_immutable();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
