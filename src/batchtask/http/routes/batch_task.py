"""``/api/v1/BatchTask`` (and its ``/{ContextIdentifier}/api/v1/…`` twin)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from batchtask.domain.errors import InvalidInput
from batchtask.domain.task import INT32_MAX, INT32_MIN
from batchtask.http.authentication import authenticate
from batchtask.http.errors import RouteNotFound
from batchtask.http.request_options import media_type, render_options, translator
from batchtask.http.respond import client_address, context_of, headers_of, wire_response
from batchtask.serialisation.carrier import batch_task_info

_INT32_DIGITS = 10


def parse_task_id(text: str) -> int | None:
    """An id from a path segment: ASCII digits with an optional sign.

    ``None`` when the segment is not a number at all (``1e3``, ``0x10``, full-width or Arabic-Indic
    digits, ``5.0``); ``InvalidInput`` (400) when it is a number outside int32.
    """
    digits = text[1:] if text[:1] in {"+", "-"} else text
    if not digits or not digits.isascii() or not digits.isdigit():
        return None
    stripped = digits.lstrip("0") or "0"
    if len(stripped) > _INT32_DIGITS:
        raise InvalidInput(f"id {text[:20]!r} is outside the int32 range", field="id")
    value = int(text)
    if not INT32_MIN <= value <= INT32_MAX:
        raise InvalidInput(f"id {text!r} is outside the int32 range", field="id")
    return value


def check_context(request: Request) -> None:
    """Only the configured ContextIdentifier prefixes the API (any case); others are 404."""
    tenant = request.path_params.get("context")
    if (
        tenant is not None
        and tenant.lower() != context_of(request).settings.context_identifier.lower()
    ):
        raise RouteNotFound(path=request.url.path)


async def get_batch_task(request: Request) -> Response:
    """``GET BatchTask/{id}`` → 200 ``BatchTaskInfo``; 404 error body when missing."""
    check_context(request)
    ctx = context_of(request)
    headers = headers_of(request)
    principal = await authenticate(headers, client_address(request), ctx.auth)
    task_id = parse_task_id(request.path_params["id"])
    if task_id is None:
        raise RouteNotFound(path=request.url.path)
    query = dict(request.query_params)
    media = media_type(headers, query)
    options = render_options(headers, query, translator(headers), ctx.base_zone)
    task, rights = await ctx.tasks.get(principal, task_id)
    return wire_response(batch_task_info(task, rights, options), media, root="BatchTaskInfo")
