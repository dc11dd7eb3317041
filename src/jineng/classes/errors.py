"""What a class service can refuse, each with a code, a Chinese message and the fields at fault."""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    status = 400
    code = "refused"

    def __init__(self, message: str, fields: list[dict[str, str]] | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or []
        self.extra = extra


class InvalidInput(ServiceError):
    status = 422
    code = "invalid_input"


class NotPermitted(ServiceError):
    status = 403
    code = "not_permitted"


class InvalidTransition(ServiceError):
    status = 409
    code = "invalid_transition"


class StaleVersion(ServiceError):
    status = 409
    code = "stale_version"


class RuleBlocked(ServiceError):
    """Refused because rule findings with outcome `block` stand; `extra["findings"]` lists them."""

    status = 409
    code = "rule_blocked"


class RosterInvalid(ServiceError):
    """A roster file with bad rows; `fields` name each row ("第3行 身份证号") and nothing was imported."""

    status = 422
    code = "invalid_roster"
