"""Answering ``GET BatchTask/{id}`` without the framework: the one code path for the hot read.

Both the Starlette route and the fast lane (``fast_lane.py``) call ``read_task``; it returns the
status, headers and body, so the two can never answer differently -- failures included: a
``DomainError`` becomes its error object, and any other exception (a closed SQLite connection, a
PostgreSQL table gone) is logged with its traceback and answered with the 500 error object, as
the framework's handler does for its other routes (``app.unexpected_error``).
"""

from __future__ import annotations

import logging

from batchtask.domain.errors import DomainError
from batchtask.http.authentication import authenticate
from batchtask.http.errors import RouteNotFound, error_response_parts
from batchtask.http.headers import RequestHeaders
from batchtask.http.negotiation import CACHE_CONTROL, VARY
from batchtask.http.query_string import Query
from batchtask.http.request_options import media_type, render_options, translator
from batchtask.http.task_id import parse_task_id
from batchtask.serialisation.carrier import render_carrier
from batchtask.services.container import Services

log = logging.getLogger("batchtask.http")
_VARY = VARY.encode()
_CACHE_CONTROL = CACHE_CONTROL.encode()

Answer = tuple[int, list[tuple[bytes, bytes]], bytes]

#: The message of every 500: nothing of the failure itself reaches the client.
UNEXPECTED = "The server failed to process the request."


def unexpected_error(
    method: str, path: str, exc: BaseException, headers: RequestHeaders, query: Query, *,
    basic_enabled: bool,
) -> Answer:  # fmt: skip
    """Log an exception no handler explains and answer the 500 error object."""
    log.error("unhandled error on %s %s", method, path, exc_info=exc)
    return error_response_parts(
        DomainError(UNEXPECTED), translator(headers), media_type(headers, query),
        basic_enabled=basic_enabled,
    )  # fmt: skip


async def read_task(
    ctx: Services,
    headers: RequestHeaders,
    *,
    segment: str,
    query: Query,
    address: str,
    path: str,
) -> Answer:
    """Status, headers and body of ``GET BatchTask/{segment}`` for a numeric segment."""
    try:
        principal = await authenticate(headers, address, ctx.auth)
        task_id = parse_task_id(segment)
        if task_id is None:
            raise RouteNotFound(path=path)
        media = media_type(headers, query)
        options = render_options(headers, query, translator(headers), ctx.base_zone)
        task, rights = await ctx.tasks.get(principal, task_id)
        body = render_carrier(task, rights, options, xml=media.is_xml)
    except DomainError as error:
        return error_response_parts(
            error, translator(headers), media_type(headers, query),
            basic_enabled=ctx.settings.basic_auth,
        )  # fmt: skip
    except Exception as exc:  # every failure leaves as the error object
        return unexpected_error(
            "GET", path, exc, headers, query, basic_enabled=ctx.settings.basic_auth
        )
    return (
        200,
        [
            (b"content-type", media.content_type),
            (b"vary", _VARY),
            (b"cache-control", _CACHE_CONTROL),
        ],
        body,
    )
