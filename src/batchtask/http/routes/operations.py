"""``/healthz`` (the process is up), ``/readyz`` (the database answers), ``/metrics``."""

from __future__ import annotations

import logging

from prometheus_client import CONTENT_TYPE_LATEST
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from batchtask.http.metrics import HttpMetrics
from batchtask.http.respond import context_of

log = logging.getLogger("batchtask.metrics")


async def healthz(request: Request) -> Response:
    """Liveness: answering at all is the signal."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    """Readiness: 200 when the database answers, else the 503 error body."""
    await context_of(request).store.ping()
    return JSONResponse({"status": "ready"})


async def metrics(request: Request) -> Response:
    """Prometheus text exposition: HTTP, this process's workers, and the queue (SPEC §10.3)."""
    registry: HttpMetrics = request.app.state.metrics
    try:
        await context_of(request).queue.refresh()
    except Exception as exc:  # the database is away or broken: the other series still count
        log.warning("queue figures not read for /metrics (%s: %s)", type(exc).__name__, exc)
    return Response(await registry.exposition(), media_type=CONTENT_TYPE_LATEST)
