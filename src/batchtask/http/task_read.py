"""Answering ``GET BatchTask/{id}`` without the framework: the one code path for the hot read.

Both the Starlette route and the fast lane (``fast_lane.py``) call ``read_task``; it returns the
status, headers and body, so the two can never answer differently.
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl

from batchtask.domain.errors import DomainError
from batchtask.http.authentication import authenticate
from batchtask.http.errors import RouteNotFound, error_response_parts
from batchtask.http.headers import RequestHeaders
from batchtask.http.negotiation import VARY
from batchtask.http.request_options import media_type, render_options, translator
from batchtask.http.task_id import parse_task_id
from batchtask.serialisation.carrier import render_carrier
from batchtask.services.container import Services

log = logging.getLogger("batchtask.http")
_VARY = VARY.encode()

Answer = tuple[int, list[tuple[bytes, bytes]], bytes]


def query_of(raw: bytes) -> dict[str, str]:
    """Query parameters (first value wins), as Starlette's ``query_params`` would give them."""
    if not raw:
        return {}
    out: dict[str, str] = {}
    for key, value in parse_qsl(raw.decode("latin-1"), keep_blank_values=True):
        out.setdefault(key, value)
    return out


async def read_task(
    ctx: Services,
    headers: RequestHeaders,
    *,
    tenant: str | None,
    segment: str,
    query: dict[str, str],
    address: str,
) -> Answer:
    """Status, headers and body of ``GET BatchTask/{segment}`` for a numeric segment."""
    try:
        if tenant is not None and tenant.lower() != ctx.settings.context_identifier.lower():
            raise RouteNotFound(path=f"/{tenant}/api/v1/BatchTask/{segment}")
        principal = await authenticate(headers, address, ctx.auth)
        task_id = parse_task_id(segment)
        if task_id is None:
            raise RouteNotFound(path=f"{'/' + tenant if tenant else ''}/api/v1/BatchTask/{segment}")
        media = media_type(headers, query)
        options = render_options(headers, query, translator(headers), ctx.base_zone)
        task, rights = await ctx.tasks.get(principal, task_id)
        body = render_carrier(task, rights, options, xml=media.is_xml)
    except DomainError as error:
        return error_response_parts(
            error, translator(headers), media_type(headers, query),
            basic_enabled=ctx.settings.basic_auth,
        )  # fmt: skip
    return 200, [(b"content-type", media.content_type), (b"vary", _VARY)], body
