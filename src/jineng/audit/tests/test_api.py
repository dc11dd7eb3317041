"""The audit log over the API carries each row's place and hash in the chain."""

from __future__ import annotations

from django.test import Client

from jineng.audit.services import audit_record
from jineng.testing import Cast


def test_audit_events_carry_their_seq_and_hash(client: Client, people: Cast) -> None:
    written = audit_record(actor=people.sam, event="account.update", obj=people.dan1, changes={"x": (1, 2)})
    client.force_login(people.audrey)
    items = client.get("/api/v1/audit-events?event=account.").json()["items"]
    assert [(i["seq"], i["hash"]) for i in items] == [(written.seq, written.hash)]
