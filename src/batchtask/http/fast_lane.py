"""The fast lane: ``GET /api/v1/BatchTask/{digits}`` answered before the framework sees it.

Why: it is the hottest call of every SuperOffice client, and Starlette's routing, middleware and
request/response objects cost as much as the work itself (bench/http_bench.py). Everything else
— other methods, other paths, state names, HEAD — goes to the framework untouched. The answer
comes from ``task_read.read_task``, the same function the framework's route calls, and a contract
test checks both give identical bytes.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from batchtask.http.headers import RequestHeaders
from batchtask.http.metrics import HttpMetrics
from batchtask.http.task_read import query_of, read_task

log = logging.getLogger("batchtask.http")
_PATH = re.compile(r"^/(?:([^/]+)/)?api/v1/BatchTask/([+-]?[0-9]+)$")
ROUTE = "get_batch_task"


class FastLane:
    """ASGI wrapper around the Starlette app."""

    def __init__(self, app: ASGIApp, state: Any, metrics: HttpMetrics) -> None:
        self.app = app
        self.state = state
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        match = _PATH.match(scope["path"])
        ctx = getattr(self.state, "ctx", None)
        if match is None or ctx is None:
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        headers = RequestHeaders.from_scope(scope["headers"])
        client = scope.get("client")
        status, raw, body = await read_task(
            ctx, headers, tenant=match.group(1), segment=match.group(2),
            query=query_of(scope.get("query_string", b"")),
            address=str(client[0]) if client else "unknown",
        )  # fmt: skip
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-length", str(len(body)).encode()), *raw],
            }
        )
        await send({"type": "http.response.body", "body": body})
        self.metrics.record("GET", ROUTE, status, time.perf_counter() - start)
