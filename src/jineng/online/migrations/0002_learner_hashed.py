"""Learning events and results keep the learner's keyed hash instead of the resident ID (issue 7).

The learner becomes the blind index Person.id_hash holds (jineng.crypto, purpose "ric"), so
results still join the registry. Two values derived from the clear ID change with it:

- an event's key, the MD5 of its parsed values, is recomputed over the values with the hashed
  learner (read back from the stored row as the push service reads events, in chunks);
- a batch's digest, the SHA-256 of its events as pushed, cannot be recomputed (duplicates within
  the batch were not stored); it is sealed instead — the push service now stores the keyed hash
  of that same SHA-256, so a platform's retry of an old batch is still recognised.

One-way: the resident IDs cannot be recovered from their hashes, so there is no way back.
"""

import hashlib
from typing import Any

import polars as pl
from django.db import migrations, models

import jineng.crypto

CHUNK = 20_000
RIC = "ric"
BATCH_PURPOSE = "online_batch"
HASH_LENGTH = 64
# As jineng.online.services.KEY_FIELDS and jineng.online.events.EVENT_SCHEMA at the time of this
# migration (a test checks that the key computed here is the one the push service computes).
KEY_FIELDS = ("ts", "platform", "learner", "course", "lesson", "lesson_seq", "session", "event", "position", "rate")
SCHEMA: dict[str, Any] = {
    "id": pl.Int64,
    "ts": pl.Int64,
    "platform": pl.String,
    "learner": pl.String,
    "course": pl.String,
    "lesson": pl.String,
    "lesson_seq": pl.Int32,
    "session": pl.String,
    "event": pl.String,
    "position": pl.Float64,
    "rate": pl.Float64,
}


def event_keys(frame: pl.DataFrame) -> pl.DataFrame:
    """(id, learner hash, key) for stored events with clear learners (columns as SCHEMA)."""
    sealed = jineng.crypto.frame_blind_index(frame, "learner", "hashed", purpose=RIC)
    sealed = sealed.with_columns(learner=pl.col("hashed")).drop("hashed")
    canon = sealed.select(pl.struct(list(KEY_FIELDS)).struct.json_encode()).to_series().to_list()
    keys = [hashlib.md5(text.encode("utf-8"), usedforsecurity=False).hexdigest() for text in canon]
    return sealed.select("id", "learner").with_columns(key=pl.Series(keys, dtype=pl.String))


def _epoch_ms(vendor: str) -> str:
    if vendor == "postgresql":
        return "(extract(epoch FROM e.ts) * 1000)::bigint"
    return "CAST(ROUND((julianday(e.ts) - 2440587.5) * 86400000.0) AS INTEGER)"


def hash_learners(apps: Any, schema_editor: Any) -> None:
    connection = schema_editor.connection
    events = apps.get_model("online", "LearningEvent")._meta.db_table
    results = apps.get_model("online", "OnlineResult")._meta.db_table
    batches = apps.get_model("online", "EventBatch")._meta.db_table
    platforms = apps.get_model("registry", "OnlinePlatform")._meta.db_table
    columns = ", ".join(f'e."{name}"' for name in KEY_FIELDS if name not in ("ts", "platform"))
    select = (
        f"SELECT e.id, {_epoch_ms(connection.vendor)}, p.code, {columns} "
        f"FROM {events} e JOIN {platforms} p ON p.id = e.platform_id "
        f"WHERE e.id > %s AND length(e.learner) <> {HASH_LENGTH} ORDER BY e.id LIMIT %s"
    )
    with connection.cursor() as cursor:
        after = 0
        while True:
            cursor.execute(select, [after, CHUNK])
            rows = cursor.fetchall()
            if not rows:
                break
            after = rows[-1][0]
            frame = pl.DataFrame(rows, schema=SCHEMA, orient="row")
            cursor.executemany(
                f'UPDATE {events} SET learner = %s, "key" = %s WHERE id = %s',
                [(learner, key, pk) for pk, learner, key in event_keys(frame).iter_rows()],
            )
        cursor.execute(f"SELECT id, learner FROM {results} WHERE length(learner) <> {HASH_LENGTH}")
        found = cursor.fetchall()
        hashed = jineng.crypto.blind_indexes([learner for _, learner in found], purpose=RIC)
        cursor.executemany(
            f"UPDATE {results} SET learner = %s WHERE id = %s",
            [(key, pk) for (pk, _), key in zip(found, hashed, strict=True)],
        )
        cursor.execute(f"SELECT id, digest FROM {batches}")
        found = cursor.fetchall()
        sealed = jineng.crypto.blind_indexes([digest for _, digest in found], purpose=BATCH_PURPOSE)
        cursor.executemany(
            f"UPDATE {batches} SET digest = %s WHERE id = %s",
            [(digest, pk) for (pk, _), digest in zip(found, sealed, strict=True)],
        )


class Migration(migrations.Migration):
    dependencies = [("online", "0001_initial"), ("registry", "0003_person_id_once")]

    operations = [
        migrations.AlterField(
            model_name="learningevent",
            name="learner",
            field=models.CharField(max_length=64, verbose_name="学员身份证号索引"),
        ),
        migrations.AlterField(
            model_name="onlineresult",
            name="learner",
            field=models.CharField(max_length=64, verbose_name="学员身份证号索引"),
        ),
        migrations.RunPython(hash_learners, elidable=False),
    ]
