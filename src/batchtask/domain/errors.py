"""Every failure the service can explain, each with a stable ``code``.

Tree::

    DomainError
    ├── NotFound                 task_not_found, user_not_found …
    ├── InvalidInput             invalid_input (names the field)
    │   └── UnknownTimeZone      unknown_timezone
    ├── AuthenticationFailed     unauthenticated
    ├── Throttled                throttled (carries retry_after)
    ├── Forbidden                forbidden
    ├── Conflict                 conflict
    └── StorageUnavailable       storage_unavailable

The docstring of each class is its default message. ``http/errors.py`` is the one table that maps a
``code`` to an HTTP status; nothing below ``http/`` knows about status codes. Messages that reach a
client are string-resource references (``[SR_…]``) so they are translated like every other text.
"""

from __future__ import annotations


class DomainError(Exception):
    """Something went wrong."""

    code = "error"
    #: SuperOffice ``ErrorType`` (the .NET exception name a real server would report).
    error_type = "SoException"
    resource = "SR_ERROR_GENERIC"

    def __init__(self, message: str | None = None, **params: object) -> None:
        self.params = params
        super().__init__(message or (self.__doc__ or self.code).strip())


class NotFound(DomainError):
    """The requested object does not exist."""

    code = "not_found"
    error_type = "SoNotFoundException"
    resource = "SR_ERROR_NOT_FOUND"


class TaskNotFound(NotFound):
    """The batch task does not exist."""

    code = "task_not_found"
    resource = "SR_ERROR_TASK_NOT_FOUND"

    def __init__(self, task_id: int) -> None:
        super().__init__(f"BatchTask id {task_id} not found", id=task_id)
        self.task_id = task_id


class UserNotFound(NotFound):
    """The user does not exist."""

    code = "user_not_found"
    resource = "SR_ERROR_USER_NOT_FOUND"


class InvalidInput(DomainError):
    """The request is not valid."""

    code = "invalid_input"
    error_type = "SoValidationException"
    resource = "SR_ERROR_INVALID_INPUT"

    def __init__(self, message: str, *, field: str | None = None, **params: object) -> None:
        super().__init__(message, field=field, **params)
        self.field = field


class UnknownTimeZone(InvalidInput):
    """The SO-TimeZone header names no known time zone."""

    code = "unknown_timezone"
    resource = "SR_ERROR_UNKNOWN_TIMEZONE"


class AuthenticationFailed(DomainError):
    """Authentication is required, and none of the supplied credentials are valid."""

    code = "unauthenticated"
    error_type = "SoAuthenticationException"
    resource = "SR_ERROR_UNAUTHENTICATED"

    def __init__(self, message: str | None = None, *, invalid_token: bool = False) -> None:
        super().__init__(message)
        #: Bearer failures add ``error="invalid_token"`` to the challenge (RFC 6750).
        self.invalid_token = invalid_token


class Throttled(DomainError):
    """Too many failed attempts; try again later."""

    code = "throttled"
    error_type = "SoThrottledException"
    resource = "SR_ERROR_THROTTLED"

    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after=retry_after)
        self.retry_after = max(1, retry_after)


class Forbidden(DomainError):
    """You do not have the right to do this."""

    code = "forbidden"
    error_type = "SoAccessDeniedException"
    resource = "SR_ERROR_FORBIDDEN"


class Conflict(DomainError):
    """The object changed while the request was being processed."""

    code = "conflict"
    error_type = "SoConcurrencyException"
    resource = "SR_ERROR_CONFLICT"


class StorageUnavailable(DomainError):
    """The database cannot be reached."""

    code = "storage_unavailable"
    error_type = "SoDatabaseException"
    resource = "SR_ERROR_STORAGE_UNAVAILABLE"
