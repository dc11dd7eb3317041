"""The findings kept with a review step name trainees by resident ID: encrypted at rest (issue 7),
read back as the lists they were — and the migration that sealed the steps stored before."""

from __future__ import annotations

import importlib
import json
import types
from typing import Any

import pytest
from django.apps import apps
from django.db import connection
from django.utils import timezone

from jineng import crypto
from jineng.classes.models import ReviewStep
from jineng.classes.services import class_create
from jineng.testing import Cast, class_input, person

pytestmark = pytest.mark.django_db

sealing = importlib.import_module("jineng.classes.migrations.0005_step_findings_sealed")


def a_step(people: Cast, findings: list[dict[str, Any]]) -> ReviewStep:
    cls = class_create(actor=people.alice, data=class_input())
    return ReviewStep.objects.create(
        training_class=cls,
        action=ReviewStep.Action.SUBMIT,
        from_state=cls.state,
        to_state=cls.state,
        actor=people.alice,
        actor_role=people.alice.role,
        at=timezone.now(),
        class_version=cls.version,
        decision="approve",
        findings=findings,
        policy="xuchang-2023",
    )


def stored(pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT findings FROM {ReviewStep._meta.db_table} WHERE id = %s", [pk])
        return str(cursor.fetchone()[0])


def test_a_steps_findings_hold_no_clear_id_in_the_database_and_read_back_as_stored(people: Cast) -> None:
    number = person(1).id_number
    findings = [{"rule": "TRN-INTENT", "subject": f"trainee:{number}", "message": f"{number} 无培训意愿"}]
    step = a_step(people, findings)
    assert number not in stored(step.pk) and crypto.is_ciphertext(stored(step.pk))
    assert ReviewStep.objects.get(pk=step.pk).findings == findings


def test_the_migration_seals_plain_findings_and_backwards_opens_them(people: Cast) -> None:
    number = person(1).id_number
    findings = [{"rule": "TRN-INTENT", "subject": f"trainee:{number}"}]
    step = a_step(people, [])
    editor = types.SimpleNamespace(connection=connection)
    with connection.cursor() as cursor:  # as stored before 0005: clear JSON
        cursor.execute(
            f"UPDATE {ReviewStep._meta.db_table} SET findings = %s WHERE id = %s", [json.dumps(findings), step.pk]
        )
    sealing.seal_findings(apps, editor)
    sealed = stored(step.pk)
    assert number not in sealed
    sealing.seal_findings(apps, editor)  # a rerun does not seal twice
    assert stored(step.pk) == sealed and ReviewStep.objects.get(pk=step.pk).findings == findings
    sealing.unseal_findings(apps, editor)
    assert json.loads(stored(step.pk)) == findings
