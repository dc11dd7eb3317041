from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_immutable_on_postgresql")]

    # Nullable first: the rows already written get their place in 0004, then 0005 requires it.
    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="seq",
            field=models.BigIntegerField(editable=False, null=True, verbose_name="序号"),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="prev_hash",
            field=models.CharField(editable=False, max_length=64, null=True, verbose_name="前一条的哈希"),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="hash",
            field=models.CharField(editable=False, max_length=64, null=True, verbose_name="哈希"),
        ),
    ]
