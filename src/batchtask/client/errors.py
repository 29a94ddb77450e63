"""The client's errors: every HTTP failure carries its status and SuperOffice's error body.

::

    BatchTaskError(status, error_type, message)   any 4xx/5xx answer
    ├── InvalidInput        400 (also 413, 415, 422: the request itself is wrong)
    ├── Unauthorized        401
    ├── Forbidden           403
    ├── NotFound            404
    ├── Conflict            409 (the admin API's retry of an unfinished task)
    └── ServerError         5xx
    WaitTimeout             wait() gave up; ``.last`` is the last snapshot seen

Network failures (connection refused, timeouts) are httpx's own ``httpx.TransportError``: they
have no status and no body, and httpx already names them well.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from batchtask.client.info import BatchTaskInfo

__all__ = [
    "BatchTaskError",
    "Conflict",
    "Forbidden",
    "InvalidInput",
    "NotFound",
    "ServerError",
    "Unauthorized",
    "WaitTimeout",
    "error_for",
]


class BatchTaskError(Exception):
    """The server answered with an error status."""

    def __init__(self, status: int, error_type: str, message: str, body: Any = None) -> None:
        super().__init__(
            f"{status} {error_type}: {message}" if error_type else f"{status} {message}"
        )
        #: The HTTP status.
        self.status = status
        #: SuperOffice's ``ErrorType`` (``SoNotFoundException``…); ``""`` when the body had none.
        self.error_type = error_type
        #: ``ErrorMessage`` of the body, else the body's text.
        self.message = message
        #: The parsed error body (``{"Error", "ErrorType", "ErrorMessage", "ErrorSource"}``), or
        #: the raw text when it was not JSON.
        self.body = body


class InvalidInput(BatchTaskError):
    """The request was malformed or broke a rule (400, 413, 415, 422)."""


class Unauthorized(BatchTaskError):
    """Missing, wrong or expired credentials (401)."""


class Forbidden(BatchTaskError):
    """The caller may not do this to this task (403)."""


class NotFound(BatchTaskError):
    """No such task, tenant or resource (404)."""


class Conflict(BatchTaskError):
    """The task is not in a state that allows the action (409)."""


class ServerError(BatchTaskError):
    """The server failed (5xx)."""


class WaitTimeout(TimeoutError):
    """``wait()`` reached its timeout before the task finished."""

    def __init__(self, task_id: int, timeout: float, last: BatchTaskInfo) -> None:
        super().__init__(f"task {task_id} still {last.state.name} after {timeout:g} s")
        #: The last snapshot of the task seen before giving up.
        self.last = last


_BY_STATUS: dict[int, type[BatchTaskError]] = {
    400: InvalidInput,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    413: InvalidInput,
    415: InvalidInput,
    422: InvalidInput,
}


def error_for(response: httpx.Response) -> BatchTaskError:
    """The exception for an error response, with what its body says."""
    status = response.status_code
    kind = _BY_STATUS.get(status, ServerError if status >= 500 else BatchTaskError)
    body: Any
    try:
        body = response.json()
    except ValueError:
        body = response.text
    if isinstance(body, dict):
        error_type = body.get("ErrorType")
        message = body.get("ErrorMessage", body.get("Message"))
        return kind(
            status,
            error_type if isinstance(error_type, str) else "",
            message if isinstance(message, str) else response.reason_phrase,
            body,
        )
    text = body.strip() if isinstance(body, str) else ""
    return kind(status, "", text[:500] or response.reason_phrase, body)
