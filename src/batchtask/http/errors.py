"""The one table from error ``code`` to HTTP status, and the error response itself.

Every failure leaves as the SuperOffice error object (JSON or XML, as negotiated), with its message
translated by the request's language. 401s carry the ``WWW-Authenticate`` challenge for every
scheme the server accepts; 429s carry ``Retry-After``.
"""

from __future__ import annotations

from batchtask.domain.errors import AuthenticationFailed, DomainError, InvalidInput, Throttled
from batchtask.http.negotiation import VARY, MediaType
from batchtask.i18n.translator import Translator
from batchtask.serialisation.error_body import ERROR_ROOT, error_body
from batchtask.serialisation.render import render

STATUS: dict[str, int] = {
    "not_found": 404,
    "task_not_found": 404,
    "user_not_found": 404,
    "route_not_found": 404,
    "tenant_not_found": 404,
    "invalid_input": 400,
    "unknown_timezone": 400,
    "unauthenticated": 401,
    "forbidden": 403,
    "method_not_allowed": 405,
    "body_timeout": 408,
    "conflict": 409,
    "body_too_large": 413,
    "client_closed_request": 499,
    "unsupported_media_type": 415,
    "throttled": 429,
    "storage_unavailable": 503,
    "server_busy": 503,
}

CHALLENGE = 'Basic realm="batchtask", SOTicket, Bearer'


def status_of(error: DomainError) -> int:
    """HTTP status for a domain error (500 for codes nobody mapped: a bug)."""
    return STATUS.get(error.code, 500)


def error_message(error: DomainError, translator: Translator) -> str:
    """The error's message in the request's language."""
    default = str(error)
    if isinstance(error, InvalidInput) and error.field and error.resource == InvalidInput.resource:
        return translator.message(
            "SR_ERROR_INVALID_FIELD", default, field=error.field, message=default
        )
    params = {key: value for key, value in error.params.items() if value is not None}
    return translator.message(error.resource, default, **params)


def error_response_parts(
    error: DomainError, translator: Translator, media: MediaType, *, basic_enabled: bool = True
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """Status, headers and body of the error response."""
    status = status_of(error)
    body = render(
        error_body(error.error_type, error_message(error, translator)),
        xml=media.is_xml,
        root=ERROR_ROOT,
    )
    headers = [
        (b"content-type", media.content_type),
        (b"vary", VARY.encode()),
        (b"cache-control", b"no-store"),
    ]
    if isinstance(error, AuthenticationFailed):
        challenge = CHALLENGE if basic_enabled else "SOTicket, Bearer"
        if error.invalid_token:
            challenge = challenge.replace("Bearer", 'Bearer error="invalid_token"')
        headers.append((b"www-authenticate", challenge.encode()))
    if isinstance(error, Throttled):
        headers.append((b"retry-after", str(error.retry_after).encode()))
    if isinstance(error, BodyTimeout):
        headers.append((b"connection", b"close"))  # the rest of the body is never read
    return status, headers, body


class RouteNotFound(DomainError):
    """No resource at this address."""

    code = "route_not_found"
    error_type = "SoNotFoundException"
    resource = "SR_ERROR_ROUTE_NOT_FOUND"


class MethodNotAllowed(DomainError):
    """The method is not allowed on this resource."""

    code = "method_not_allowed"
    error_type = "SoMethodNotAllowedException"
    resource = "SR_ERROR_METHOD_NOT_ALLOWED"


class BodyTooLarge(DomainError):
    """The request body is too large."""

    code = "body_too_large"
    error_type = "SoRequestTooLargeException"
    resource = "SR_ERROR_BODY_TOO_LARGE"


class UnsupportedMediaType(DomainError):
    """The request body's content type is not supported."""

    code = "unsupported_media_type"
    error_type = "SoUnsupportedMediaTypeException"
    resource = "SR_ERROR_UNSUPPORTED_MEDIA_TYPE"


class ClientClosedRequest(InvalidInput):
    """The client closed the connection before its request body was complete.

    Nobody reads the answer; the status (nginx's 499) is for ``/metrics`` and the log, so a
    client going away is neither a 400 nor a 500 (issue 11 #11).
    """

    code = "client_closed_request"


class BodyTimeout(DomainError):
    """The request body did not arrive in time."""

    code = "body_timeout"
    error_type = "SoRequestTimeoutException"
    resource = "SR_ERROR_BODY_TIMEOUT"


class ServerBusy(DomainError):
    """The server has too many connections; try again later."""

    code = "server_busy"
    error_type = "SoServerBusyException"
    resource = "SR_ERROR_SERVER_BUSY"
