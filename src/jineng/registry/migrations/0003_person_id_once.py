"""One person per resident ID, now held by the ID's keyed hash (sealed in 0002)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("registry", "0002_person_sealed")]

    operations = [
        migrations.AddConstraint(
            model_name="person",
            constraint=models.CheckConstraint(condition=models.Q(("id_hash", ""), _negated=True), name="person_has_id"),
        ),
        migrations.AddConstraint(
            model_name="person",
            constraint=models.UniqueConstraint(fields=("id_hash",), name="person_id_once"),
        ),
    ]
