"""What the online services refuse, in the common shape (jineng.classes.errors.ServiceError)."""

from __future__ import annotations

from jineng.classes.errors import ServiceError


class PlatformKeyInvalid(ServiceError):
    """No such push key, or it was revoked."""

    status = 401
    code = "unauthenticated"


class PlatformRefused(ServiceError):
    """The key is good but its platform may not push: not listed, or not connected (ONL-PLATFORM)."""

    status = 403
    code = "platform_refused"


class EventsInvalid(ServiceError):
    """A batch with bad rows; `fields` name each ("第3行 时间：…") and nothing was stored."""

    status = 422
    code = "invalid_events"


class BatchConflict(ServiceError):
    """The batch id was used before for other content: a retry must resend the same events."""

    status = 409
    code = "batch_conflict"
