"""Per-request state the audit middleware reads back: whether resident IDs were shown in clear,
whether a page's 404 was a refusal.

Free of Django model imports, so `accounts.models` can import it while the apps load.
"""

from __future__ import annotations

from contextvars import ContextVar

from django.http import Http404


class RequestNotes:
    """What a request did that its audit row must tell (filled while the view runs)."""

    __slots__ = ("clear_ids", "refused")

    def __init__(self) -> None:
        self.clear_ids = False
        self.refused = False


# Set on the request by the API's error handlers (jineng.api): the refusal's error code.
API_ERROR_CODE = "jineng_api_error_code"

current: ContextVar[RequestNotes | None] = ContextVar("jineng_audit_request", default=None)


def note_clear_ids() -> None:
    """Resident IDs are about to be shown in clear; outside a request (CLI, tests) nothing to note."""
    notes = current.get()
    if notes is not None:
        notes.clear_ids = True


class RefusedNotFound(Http404):
    """A page's 404 for what the reader may not see: an object outside their scope (or one that
    does not exist — the answer does not say which) or a page their role may not open.

    Audited as a refused authorisation (`authz.refused`), as the API's `not_found` is; a plain
    Http404 — an unknown format, a sub-item missing from an object the reader does see — is not.
    """

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        notes = current.get()
        if notes is not None:
            notes.refused = True
