"""The fast lane: ``GET /api/v1/BatchTask/{digits}`` answered before the framework sees it.

Why: it is the hottest call of every SuperOffice client, and Starlette's routing, middleware and
request/response objects cost as much as the work itself (bench/http_bench.py). Everything else
— other methods, other paths, state names, HEAD — goes to the framework untouched.

The tenant prefix is already gone (``tenancy.TenantRouter`` runs first and puts the tenant's
services in the scope). Parity with the framework is by construction, not by imitation: the path is matched with the
framework route's own pattern (``routing.TASK_PATTERN``: any case, an optional trailing slash,
the whole path), the query string with the one parser (``query_string``), the segment with the
same numeric test, and the answer comes from ``task_read.read_task``, the function the framework's
route calls -- which also turns any unexpected exception into the logged 500 error object. CORS
headers come from the policy the framework's middleware uses (``cors.py``), looked up only when the
request has an ``Origin``. A contract test checks both lanes give identical bytes.
"""

from __future__ import annotations

import time
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from batchtask.http.headers import RequestHeaders
from batchtask.http.metrics import HttpMetrics
from batchtask.http.query_string import parse_query
from batchtask.http.routing import TASK_PATTERN
from batchtask.http.task_id import is_numeric
from batchtask.http.task_read import read_task
from batchtask.http.tenancy import SERVICES

ROUTE = "get_batch_task"
_FULLMATCH = TASK_PATTERN.fullmatch


class FastLane:
    """ASGI wrapper around the Starlette app."""

    def __init__(self, app: ASGIApp, state: Any, metrics: HttpMetrics) -> None:
        #: The framework lane (CORS in front of Starlette): everything that is not fast.
        self.app = app
        self.state = state
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        match = _FULLMATCH(scope["path"])
        ctx = scope.get(SERVICES)  # the tenant's services (tenancy.TenantRouter)
        if match is None or ctx is None or not is_numeric(segment := match.group("id")):
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        headers = RequestHeaders.from_scope(scope["headers"], scope.get("scheme", "http"))
        client = scope.get("client")
        status, raw, body = await read_task(
            ctx, headers, segment=segment,
            query=parse_query(scope.get("query_string", b"")),
            address=str(client[0]) if client else "unknown", path=scope["path"],
        )  # fmt: skip
        if headers.origin is not None:  # a page on another origin: the framework's CORS policy
            raw = self.state.cors.decorate(raw, headers.origin)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-length", str(len(body)).encode()), *raw],
            }
        )
        await send({"type": "http.response.body", "body": body})
        self.metrics.record("GET", ROUTE, status, time.perf_counter() - start)
