"""``create_app``: the Starlette application with every route, error handler and middleware.

The services arrive through an async factory called at startup (the composition root in
``bootstrap`` builds them), so this package never imports storage.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from batchtask.domain.errors import DomainError
from batchtask.http.errors import MethodNotAllowed, RouteNotFound
from batchtask.http.fast_lane import FastLane
from batchtask.http.metrics import HttpMetrics, MetricsMiddleware
from batchtask.http.respond import error_response
from batchtask.http.routes import (
    admin_queue,
    admin_tasks,
    agents,
    archive,
    batch_task,
    docs,
    operations,
    session,
    task_files,
)
from batchtask.services.container import Services

log = logging.getLogger("batchtask.http")

ContextFactory = Callable[[], Awaitable[Services]]
Closer = Callable[[Services], Awaitable[None]]


async def _domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)  # noqa: S101 - registered for DomainError only
    return error_response(request, exc)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)  # noqa: S101 - registered for HTTPException only
    if exc.status_code == 405:
        response = error_response(request, MethodNotAllowed(method=request.method))
        if exc.headers and "Allow" in exc.headers:
            response.headers["allow"] = exc.headers["Allow"]
        return response
    return error_response(request, RouteNotFound(path=request.url.path))


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    error = DomainError("The server failed to process the request.")
    return error_response(request, error)


def routes() -> list[Route]:
    """Every route of the service."""
    api: list[Route] = []
    for prefix in ("", "/{context}"):
        base = prefix + "/api/v1/BatchTask"
        api += [
            Route(base, archive.list_batch_tasks, methods=["GET"]),
            Route(base, batch_task.post_batch_task, methods=["POST"]),
            Route(base + "/{id}", batch_task.get_batch_task, methods=["GET"]),
            Route(base + "/{id}", batch_task.put_batch_task, methods=["PUT"]),
            Route(base + "/{id}", batch_task.delete_batch_task, methods=["DELETE"]),
            Route(base + "/{id}/Stop", batch_task.stop_batch_task, methods=["POST"]),
            Route(prefix + "/api/v1/Agents/Batch/{method}", agents.invoke, methods=["POST"]),
        ]
    admin: list[Route] = []
    for prefix in ("", "/{context}"):
        base = prefix + "/admin/api"
        admin += [
            Route(base + "/tasks", admin_tasks.list_tasks, methods=["GET"]),
            Route(base + "/tasks", admin_tasks.create_task, methods=["POST"]),
            Route(base + "/tasks/bulk", admin_tasks.bulk, methods=["POST"]),
            Route(base + "/tasks/{id}", admin_tasks.get_task, methods=["GET"]),
            Route(base + "/tasks/{id}", admin_tasks.edit_task, methods=["PUT"]),
            Route(base + "/tasks/{id}", admin_tasks.delete_task, methods=["DELETE"]),
            Route(base + "/tasks/{id}/stop", admin_tasks.stop_task, methods=["POST"]),
            Route(base + "/tasks/{id}/retry", admin_tasks.retry_task, methods=["POST"]),
            Route(base + "/tasks/{id}/file", task_files.task_file, methods=["GET"]),
            Route(base + "/definitions", admin_queue.definitions, methods=["GET"]),
            Route(base + "/workers", admin_queue.workers, methods=["GET"]),
            Route(base + "/stats", admin_queue.stats, methods=["GET"]),
        ]
    return [
        *api,
        *admin,
        Route("/login", session.login, methods=["POST"]),
        Route("/logout", session.logout, methods=["POST"]),
        Route("/healthz", operations.healthz, methods=["GET"]),
        Route("/readyz", operations.readyz, methods=["GET"]),
        Route("/metrics", operations.metrics, methods=["GET"]),
        Route("/api/openapi.json", docs.openapi, methods=["GET"]),
        Route("/api/docs", docs.page, methods=["GET"]),
        Route("/api/docs/static/{name}", docs.asset, methods=["GET"]),
    ]


def create_app(build: ContextFactory, close: Closer) -> FastLane:
    """The ASGI application; ``build`` runs at startup and ``close`` at shutdown.

    The Starlette app sits behind the fast lane for ``GET /api/v1/BatchTask/{id}``; ``.state``
    of the result is the Starlette app's state (``state.ctx`` holds the services once started).
    """
    metrics = HttpMetrics()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        ctx = await build()
        app.state.ctx = ctx
        try:
            yield
        finally:
            await close(ctx)

    app = Starlette(
        routes=routes(),
        middleware=[Middleware(MetricsMiddleware, metrics=metrics)],
        exception_handlers={
            DomainError: _domain_error,
            HTTPException: _http_error,
            Exception: _unexpected,
        },
        lifespan=lifespan,
    )
    app.router.redirect_slashes = False
    app.state.metrics = metrics
    return FastLane(app, app.state, metrics)
