"""Per-request state the audit middleware reads back: whether resident IDs were shown in clear.

Free of Django model imports, so `accounts.models` can import it while the apps load.
"""

from __future__ import annotations

from contextvars import ContextVar


class RequestNotes:
    """What a request did that its audit row must tell (filled while the view runs)."""

    __slots__ = ("clear_ids",)

    def __init__(self) -> None:
        self.clear_ids = False


# Set on the request by the API's error handlers (jineng.api): the refusal's error code.
API_ERROR_CODE = "jineng_api_error_code"

current: ContextVar[RequestNotes | None] = ContextVar("jineng_audit_request", default=None)


def note_clear_ids() -> None:
    """Resident IDs are about to be shown in clear; outside a request (CLI, tests) nothing to note."""
    notes = current.get()
    if notes is not None:
        notes.clear_ids = True
