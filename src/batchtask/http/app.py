"""``create_app``: the Starlette application with every route, error handler and middleware.

The services arrive through an async factory called at startup (the composition root in
``bootstrap`` builds them), so this package never imports storage.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from prometheus_client.registry import Collector
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp

from batchtask.domain.errors import DomainError
from batchtask.http.connections import ConnectionGuard, ConnectionLimits, GuardedApp
from batchtask.http.console import assets, pages
from batchtask.http.cors import CorsMiddleware, CorsPolicy
from batchtask.http.emulation import EmulatorLayer
from batchtask.http.errors import MethodNotAllowed, RouteNotFound
from batchtask.http.fast_lane import FastLane
from batchtask.http.metrics import HttpMetrics, MetricsMiddleware
from batchtask.http.metrics_share import MetricsShare, Snapshot
from batchtask.http.request_id import RequestIdMiddleware
from batchtask.http.respond import error_response, headers_of, query_of
from batchtask.http.routes import (
    admin_queue,
    admin_tasks,
    agents,
    archive,
    batch_task,
    discovery,
    docs,
    emulator,
    operations,
    session,
    stream,
    task_files,
)
from batchtask.http.routing import TASK_PATTERN, TASK_TEMPLATE, Endpoint, Resource
from batchtask.http.task_read import unexpected_error
from batchtask.http.tenancy import SERVICES, TenantRouter
from batchtask.serialisation.prometheus import QueueCollector, RuntimeCollector
from batchtask.services.container import Services
from batchtask.services.emulator.state import EmulatorState
from batchtask.services.tenants import TenantDirectory

ContextFactory = Callable[[], Awaitable[TenantDirectory]]
Closer = Callable[[TenantDirectory], Awaitable[None]]


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
    ctx: Services | None = request.scope.get(SERVICES) or getattr(request.app.state, "ctx", None)
    status, raw, body = unexpected_error(
        request.method, request.url.path, exc, headers_of(request), query_of(request),
        basic_enabled=ctx.settings.basic_auth if ctx is not None else True,
    )  # fmt: skip
    response = Response(body, status_code=status)
    response.raw_headers = [h for h in response.raw_headers if h[0] != b"content-type"] + raw
    return response


def _api(path: str, **endpoints: Endpoint) -> Resource:
    """A resource of the SuperOffice API (under ``/{ContextIdentifier}`` too: ``tenancy.py``)."""
    return Resource(path, endpoints, tenant=True)


def _plain(path: str, **endpoints: Endpoint) -> Resource:
    return Resource(path, endpoints)


def routes() -> list[BaseRoute]:
    """Every route of the service, matched as ASP.NET does (``routing.py``)."""
    tasks = "/api/v1/BatchTask"
    admin = "/admin/api/tasks"
    return [
        Resource(
            TASK_TEMPLATE,
            {
                "GET": batch_task.get_batch_task,
                "PUT": batch_task.put_batch_task,
                "DELETE": batch_task.delete_batch_task,
            },
            tenant=True,
            pattern=TASK_PATTERN,
        ),
        _api(tasks, GET=archive.list_batch_tasks, POST=batch_task.post_batch_task),
        _api(tasks + "/{id}/Stop", POST=batch_task.stop_batch_task),
        _api("/api/v1/Agents/Batch/{method}", GET=agents.description, POST=agents.invoke),
        _api("/api/v1/Archive/{archiveProviderName}$metadata", GET=archive.archive_metadata),
        _api("/api/v1/Archive/{archiveProviderName}", GET=archive.archive_provider),
        _api("/api", GET=discovery.api),
        _api("/api/v1", GET=discovery.api_v1),
        _api(admin, GET=admin_tasks.list_tasks, POST=admin_tasks.create_task),
        _api(admin + "/bulk", POST=admin_tasks.bulk),
        _api(
            admin + "/{id}",
            GET=admin_tasks.get_task,
            PUT=admin_tasks.edit_task,
            DELETE=admin_tasks.delete_task,
        ),
        _api(admin + "/{id}/stop", POST=admin_tasks.stop_task),
        _api(admin + "/{id}/retry", POST=admin_tasks.retry_task),
        _api(admin + "/{id}/file", GET=task_files.task_file),
        _api("/admin/api/definitions", GET=admin_queue.definitions),
        _api("/admin/api/workers", GET=admin_queue.workers),
        _api("/admin/api/stats", GET=admin_queue.stats),
        _api("/admin/api/stream", GET=stream.stream),
        _api(admin + "/{id}/stream", GET=stream.task_stream),
        _plain("/", GET=pages.root),
        _plain("/admin/", GET=pages.overview),
        _plain("/admin/login", GET=pages.login),
        _plain("/admin/tasks", GET=pages.tasks),
        _plain("/admin/tasks/{id}", GET=pages.task),
        _plain("/admin/definitions", GET=pages.definitions),
        _plain("/admin/workers", GET=pages.workers),
        _plain("/admin/static/{name}", GET=assets.asset),
        _plain("/login", POST=session.login),
        _plain("/logout", POST=session.logout),
        _plain("/healthz", GET=operations.healthz),
        _plain("/readyz", GET=operations.readyz),
        _plain("/metrics", GET=operations.metrics),
        _plain("/api/openapi.json", GET=docs.openapi),
        _plain("/api/docs", GET=docs.page),
        _plain("/api/docs/static/{name}", GET=docs.asset),
    ]


def emulator_routes() -> list[BaseRoute]:
    """The emulator controls (SPEC §11.2), only with ``serve --emulator``."""
    tenant = "/_batchtask/tenants/{ctx}"
    return [
        _plain("/_batchtask/health", GET=emulator.health),
        _plain("/_batchtask/tenants", POST=emulator.create_tenant),
        _plain(tenant, DELETE=emulator.delete_tenant),
        _plain(tenant + "/reset", POST=emulator.reset_tenant),
        _plain(tenant + "/seed", POST=emulator.seed),
        _plain(
            tenant + "/clock",
            GET=emulator.get_clock,
            PUT=emulator.put_clock,
            DELETE=emulator.delete_clock,
        ),
        _plain(tenant + "/clock/advance", POST=emulator.advance_clock),
        _plain(
            tenant + "/definitions/{name}",
            PUT=emulator.put_definition,
            DELETE=emulator.delete_definition,
        ),
        _plain(
            tenant + "/faults",
            GET=emulator.list_faults,
            POST=emulator.add_fault,
            DELETE=emulator.clear_faults,
        ),
        _plain(tenant + "/faults/{id}", DELETE=emulator.delete_fault),
        _plain(tenant + "/requests", GET=emulator.list_requests, DELETE=emulator.clear_requests),
    ]


def create_app(
    build: ContextFactory,
    close: Closer,
    limits: ConnectionLimits | None = None,
    *,
    metrics_dir: str = "",
    emulator_state: EmulatorState | None = None,
    default_context: str = "Cust00000",
) -> GuardedApp:
    """The ASGI application; ``build`` runs at startup and ``close`` at shutdown.

    ``build`` returns the ``TenantDirectory``. The Starlette app sits behind the CORS middleware,
    that behind the fast lane for ``GET /api/v1/BatchTask/{id}``, that (with ``emulator_state``,
    ``serve --emulator``) behind the emulator's layer (faults, journal), that behind the tenant
    router (``tenancy.py``: strips ``/{ContextIdentifier}``, puts the tenant and its services in
    the scope), and all behind the connection guard (requests in flight, the body deadline;
    ``.guard``). ``.framework`` of the result is the Starlette app, ``.app`` the tenant router;
    ``.state`` of the result is the Starlette app's state (``state.tenants`` holds the directory,
    ``state.ctx`` the default tenant's services and ``state.cors`` the CORS policy once
    started). With ``metrics_dir`` (several API processes), ``/metrics`` sums every process's
    counters. With ``emulator_state`` the controls are routed too.
    """
    metrics = HttpMetrics()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        tenants = await build()
        ctx = tenants.default
        app.state.tenants = tenants
        app.state.cors = CorsPolicy.of(ctx.settings.cors_enable, ctx.settings.cors_origins)
        app.state.ctx = ctx

        def peers() -> list[Snapshot]:
            share = metrics.share
            return [] if share is None else [p["runtime"] for p in share.peers() if "runtime" in p]

        runtime: list[Collector] = [RuntimeCollector(ctx.runtime, peers), QueueCollector(ctx.queue)]
        for collector in runtime:
            metrics.registry.register(collector)
        sharing = None
        if metrics_dir:
            metrics.share = MetricsShare(Path(metrics_dir))
            sharing = asyncio.create_task(
                metrics.share.run(lambda: {**metrics.snapshot(), "runtime": ctx.runtime.snapshot()})
            )
        try:
            yield
        finally:
            if sharing is not None:
                sharing.cancel()
                await asyncio.gather(sharing, return_exceptions=True)
            for collector in runtime:
                metrics.registry.unregister(collector)
            await close(tenants)

    app = Starlette(
        routes=routes() + (emulator_routes() if emulator_state is not None else []),
        middleware=[
            Middleware(RequestIdMiddleware),
            Middleware(MetricsMiddleware, metrics=metrics),
        ],
        exception_handlers={
            DomainError: _domain_error,
            HTTPException: _http_error,
            Exception: _unexpected,
        },
        lifespan=lifespan,
    )
    app.router.redirect_slashes = False
    app.state.metrics = metrics
    app.state.emulator = emulator_state
    guard = ConnectionGuard(limits or ConnectionLimits())
    lanes: ASGIApp = FastLane(CorsMiddleware(app, app.state), app.state, metrics)
    if emulator_state is not None:
        lanes = EmulatorLayer(lanes, emulator_state, default_context)
    return guard.wrap(TenantRouter(lanes, app.state), app)
