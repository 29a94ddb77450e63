"""``/healthz`` (the process is up), ``/readyz`` (the database answers), ``/metrics``."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from batchtask.http.metrics import HttpMetrics
from batchtask.http.respond import context_of


async def healthz(request: Request) -> Response:
    """Liveness: answering at all is the signal."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    """Readiness: 200 when the database answers, else the 503 error body."""
    await context_of(request).store.ping()
    return JSONResponse({"status": "ready"})


async def metrics(request: Request) -> Response:
    """Prometheus text exposition of this process's metrics."""
    registry: HttpMetrics = request.app.state.metrics
    return Response(generate_latest(registry.registry), media_type=CONTENT_TYPE_LATEST)
