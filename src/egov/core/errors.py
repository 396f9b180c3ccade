"""Domain errors: raised by services, turned into a 4xx by views and the API."""

from __future__ import annotations


class DomainError(Exception):
    """A request a person can fix. ``code`` is stable for the API; ``message`` is for people (Vietnamese)."""

    status = 400
    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.message = str(message)
        if code:
            self.code = code
        self.field = field


class ValidationFailed(DomainError):
    status = 400
    code = "validation_error"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class PermissionDenied(DomainError):
    status = 403
    code = "forbidden"


class TransitionNotAllowed(DomainError):
    """A workflow action that the current status does not allow (409 in the API)."""

    status = 409
    code = "transition_not_allowed"
