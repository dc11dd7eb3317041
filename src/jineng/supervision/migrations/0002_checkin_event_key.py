# Check-ins keyed by the event itself, (device, device event id), with one index, for attendance.
#
# Django cannot turn an id primary key into a composite one, so the table is dropped and made
# anew: check-ins stored before this migration are not kept (the devices' files can be imported
# again; their batches, CheckInBatch, stay).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('classes', '0002_special_action_names_from_plan'),
        ('registry', '0001_initial'),
        ('supervision', '0001_initial'),
    ]

    operations = [
        migrations.DeleteModel(
            name='CheckIn',
        ),
        migrations.CreateModel(
            name='CheckIn',
            fields=[
                ('pk', models.CompositePrimaryKey('device', 'device_event_id', blank=True, editable=False, primary_key=True, serialize=False)),
                ('device', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='registry.checkindevice')),
                ('device_event_id', models.CharField(max_length=64, verbose_name='设备事件号')),
                ('training_class', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='classes.trainingclass')),
                ('person', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='registry.person')),
                ('at', models.DateTimeField(verbose_name='签到时间')),
                ('match_score', models.FloatField(verbose_name='比对分值')),
                ('liveness', models.BooleanField(verbose_name='活体检测通过')),
                ('batch', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='supervision.checkinbatch')),
            ],
            options={
                'verbose_name': '人脸签到',
                'verbose_name_plural': '人脸签到',
                'indexes': [models.Index(fields=['training_class', 'person', 'at'], name='checkin_class_person_at')],
                'constraints': [models.CheckConstraint(condition=models.Q(('match_score__gte', 0), ('match_score__lte', 1)), name='checkin_score_0_1')],
            },
        ),
    ]
