"""The composition root: the only module that knows every piece and wires them together."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import replace
from pathlib import Path

from batchtask.config import Settings
from batchtask.domain.clock import Clock, SystemClock
from batchtask.domain.tenant import tenant_key
from batchtask.http.app import create_app as create_http_app
from batchtask.http.connections import ConnectionLimits, GuardedApp
from batchtask.i18n.timezone import resolve_zone
from batchtask.serialisation.log_format import JsonFormatter
from batchtask.services.admin import AdminService
from batchtask.services.auth import Authenticator, AuthPolicy, app_token_hashes
from batchtask.services.container import Services
from batchtask.services.emulator.scripts import ScriptBook
from batchtask.services.emulator.state import EmulatorState
from batchtask.services.jwt_verifier import PyJwtVerifier
from batchtask.services.live import STATS_EVERY, LiveHub, LiveSettings
from batchtask.services.password import PasswordHasher
from batchtask.services.runtime_metrics import QueueSnapshot, RuntimeMetrics
from batchtask.services.task_files import TaskFiles
from batchtask.services.tasks import TaskService
from batchtask.services.tenants import TenantDirectory
from batchtask.services.throttle import LoginThrottle, ThrottlePolicy
from batchtask.services.users import UserService
from batchtask.storage.connect import open_store
from batchtask.storage.tenant_databases import (
    create_tenant_database,
    drop_tenant_database,
    tenant_url,
)
from batchtask.worker.builtins import Environment, builtin_definitions, builtin_periodic
from batchtask.worker.registry import Definition, Registry, import_handlers
from batchtask.worker.runner import Worker, WorkerConfig
from batchtask.worker.scripted import follow_scripts

log = logging.getLogger("batchtask")

#: Longest wait between claims of an idle tenant's embedded worker (the default tenant's always
#: polls every ``POLL_INTERVAL``): many open idle tenants cost little, and a task created through
#: the server wakes its tenant's worker at once; one written by another process waits at most this.
TENANT_IDLE_POLL = 2.0

#: Makes each tenant's own Clock (called once per tenant opened, with its ContextIdentifier).
ClockFactory = Callable[[str], Clock]


async def open_services(
    settings: Settings,
    *,
    clock: Clock | None = None,
    auto_migrate: bool | None = None,
    credential_clock: Clock | None = None,
    default_tenant: bool = True,
) -> Services:
    """Connect to the database and build every service.

    SQLite databases are migrated automatically (the embedded default must just work); PostgreSQL
    ones must be upgraded with ``batchtask db upgrade`` first. ``credential_clock`` (default:
    ``clock``) is what tickets, tokens and the login throttle expire by: the emulator gives them
    real time while a test moves the tenant's ``clock``. ``default_tenant`` is false for the
    bundles of the other tenants (a JWT naming no tenant is the default tenant's only).
    """
    clock = clock or SystemClock()
    credential_clock = credential_clock or clock
    base_zone = resolve_zone(settings.base_timezone)
    migrate = settings.database_url.startswith("sqlite") if auto_migrate is None else auto_migrate
    store = await open_store(
        settings.database_url,
        synchronous=settings.sqlite_synchronous,
        pool_size=settings.pg_pool_size,
        auto_migrate=migrate,
        clock=clock,
    )
    hasher = PasswordHasher(
        time_cost=settings.argon2_time_cost,
        memory_cost=settings.argon2_memory_cost,
        parallelism=settings.argon2_parallelism,
    )
    throttle = LoginThrottle(
        store.throttle,
        credential_clock,
        ThrottlePolicy(
            window=settings.throttle_window,
            free_failures=settings.throttle_free_failures,
            max_block=settings.throttle_max_block,
            address_limit=settings.throttle_address_limit,
            username_limit=settings.throttle_username_limit,
            username_interval=settings.throttle_username_interval,
            known_address=settings.throttle_known_address,
        ),
    )
    jwt = None
    if settings.jwt_enabled:
        jwt = PyJwtVerifier(
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            jwks=settings.jwt_jwks,
            algorithms=settings.jwt_algorithms,
            leeway=settings.jwt_leeway,
            username_claim=settings.jwt_username_claim,
            tenant=settings.context_identifier,
            tenant_claim=settings.jwt_tenant_claim,
            default_tenant=default_tenant,
        )
    policy = AuthPolicy(
        context_identifier=settings.context_identifier,
        basic_enabled=settings.basic_auth,
        ticket_lifetime=settings.ticket_lifetime,
        token_lifetime=settings.token_lifetime,
        credential_cache_ttl=settings.credential_cache_ttl,
        basic_cache_ttl=settings.basic_cache_ttl,
        app_token_hashes=app_token_hashes([token.value for token in settings.app_tokens]),
    )
    tasks = TaskService(
        store,
        clock,
        database_serial_number=settings.database_serial_number,
        parameter_limit=settings.parameter_object_limit,
        files=TaskFiles(settings.files_path),
    )
    admin = AdminService(store, clock, tasks)
    live = LiveHub(
        store,
        clock,
        lambda: admin.stats(window=STATS_EVERY, step=STATS_EVERY),
        LiveSettings(queue_size=settings.stream_queue, poll_interval=settings.stream_poll_interval),
    )
    auth = Authenticator(store, credential_clock, hasher, throttle, policy, jwt=jwt)
    return Services(
        settings=settings,
        store=store,
        clock=clock,
        auth=auth,
        tasks=tasks,
        users=UserService(store, clock, hasher, on_change=auth.forget_user),
        base_zone=base_zone,
        admin=admin,
        live=live,
        runtime=RuntimeMetrics(),
        queue=QueueSnapshot(store, clock),
    )


async def close_services(services: Services) -> None:
    """End the live streams and release the database."""
    await services.live.close()
    await services.store.close()


def tenant_settings(settings: Settings, context_identifier: str) -> Settings:
    """The settings of one tenant: its ContextIdentifier, its database and its files folder (the
    default tenant's are ``settings`` themselves)."""
    key = tenant_key(context_identifier)
    if key == tenant_key(settings.context_identifier):
        return settings
    files = settings.files_path
    return replace(
        settings,
        context_identifier=context_identifier,
        database_url=tenant_url(settings.database_url, key),
        files_dir=str(files.with_name(files.name + ".tenants") / key),
    )


class TenantProvisioning:
    """The ``TenantProvisioner`` of the composition root: storage, clock and files of a tenant."""

    def __init__(
        self, settings: Settings, clock_factory: ClockFactory, credential_clock: Clock | None = None
    ) -> None:
        self.settings = settings
        self.clock_factory = clock_factory
        self.credential_clock = credential_clock

    async def create(self, context_identifier: str) -> None:
        """A fresh, migrated database (and no files)."""
        key = tenant_key(context_identifier)
        _remove_files(tenant_settings(self.settings, context_identifier).files_path)
        await create_tenant_database(
            self.settings.database_url, key, now=SystemClock().now(),
            synchronous=self.settings.sqlite_synchronous,
        )  # fmt: skip

    async def open(self, context_identifier: str) -> Services:
        """The tenant's services; its schema is brought up to date (tenants follow the default)."""
        return await open_services(
            tenant_settings(self.settings, context_identifier),
            clock=self.clock_factory(context_identifier),
            auto_migrate=True,
            credential_clock=self.credential_clock,
            default_tenant=tenant_key(context_identifier)
            == tenant_key(self.settings.context_identifier),
        )

    async def close(self, services: Services) -> None:
        """Release the tenant's hub and database."""
        await close_services(services)

    async def drop(self, context_identifier: str) -> None:
        """Delete the tenant's database and files."""
        _remove_files(tenant_settings(self.settings, context_identifier).files_path)
        await drop_tenant_database(self.settings.database_url, tenant_key(context_identifier))

    async def reset(self, services: Services, *, users: bool) -> None:
        """Empty the tenant's database and files; forget cached credentials."""
        await services.store.reset(users=users)
        _remove_files(services.settings.files_path)
        if users:
            services.auth.forget_all()


def _remove_files(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)


async def open_directory(
    settings: Settings,
    *,
    clock: Clock | None = None,
    clock_factory: ClockFactory | None = None,
    credential_clock: Clock | None = None,
    default: Services | None = None,
) -> TenantDirectory:
    """The tenants of ``settings``'s database: the default one opened (or ``default``), the
    others opened on first use, each with ``clock_factory(ctx)`` (default: ``clock`` or the
    system clock) and ``credential_clock`` for its credentials (default: its own clock)."""
    factory = clock_factory or (lambda _ctx: clock or SystemClock())
    if default is None:
        default = await open_services(
            settings,
            clock=factory(settings.context_identifier),
            credential_clock=credential_clock,
        )
    return TenantDirectory(default, TenantProvisioning(settings, factory, credential_clock))


@contextlib.asynccontextmanager
async def tenant_services(
    settings: Settings, context_identifier: str | None
) -> AsyncIterator[Services]:
    """The services of one tenant for a CLI command (``None``: the default tenant);
    ``TenantNotFound`` when it is not registered."""
    default = await open_services(settings)
    try:
        if context_identifier is None or tenant_key(context_identifier) == tenant_key(
            settings.context_identifier
        ):
            yield default
            return
        directory = TenantDirectory(default, TenantProvisioning(settings, lambda _: SystemClock()))
        try:
            yield await directory.get(context_identifier)
        finally:
            await directory.close()
    finally:
        await close_services(default)


def build_worker(
    services: Services,
    *,
    config: WorkerConfig | None = None,
    definitions: Sequence[Definition] = (),
    entry_points: bool = True,
) -> Worker:
    """A worker for the services' database: built-ins, ``definitions`` and installed plug-ins."""
    settings = services.settings
    env = Environment(
        settings=settings,
        runs=services.store.runs,
        clock=services.clock,
        tasks=services.store.tasks,
    )
    registry = Registry([*builtin_definitions(env), *definitions])
    for module in settings.handlers:
        registry.collect(import_handlers(module))
    if entry_points:
        registry.load_entry_points()
    return Worker(
        services.store.runs,
        registry,
        services.clock,
        config or WorkerConfig.from_settings(settings),
        periodic=[p for p in builtin_periodic(env) if registry.get(p.name) is not None],
        workers=services.store.workers,
        changes=services.store.changes,
        metrics=services.runtime,
    )


def start_worker(
    services: Services, *, scripts: ScriptBook | None = None, idle_poll: float = 0.0
) -> tuple[Worker, asyncio.Task[None]]:
    """Run a worker in the background of the current event loop (``serve`` embeds one).

    With ``scripts`` (``serve --emulator``) it also runs the tenant's scripted definitions. With
    ``idle_poll`` it polls ever less often while idle, up to that many seconds (a tenant's worker:
    tasks created through these services wake it at once).
    """
    config = WorkerConfig.from_settings(services.settings, kind="embedded", idle_poll=idle_poll)
    worker = build_worker(services, config=config)
    services.tasks.on_created(worker.poke)
    if scripts is not None:
        follow_scripts(worker, scripts, services.clock)
    task = asyncio.create_task(worker.run(), name="batchtask-worker")

    def ended(done: asyncio.Task[None]) -> None:
        if not done.cancelled() and done.exception() is not None:
            log.error("the embedded worker stopped", exc_info=done.exception())

    task.add_done_callback(ended)
    return worker, task


async def stop_worker(worker: Worker, task: asyncio.Task[None]) -> None:
    """Shut a background worker down (grace, then release) and wait for it."""
    worker.shutdown()
    await asyncio.gather(task, return_exceptions=True)


def create_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    clock_factory: ClockFactory | None = None,
) -> GuardedApp:
    """The HTTP application for ``settings``: every tenant, each with an embedded worker (while it
    is open) unless ``settings.worker`` is off. ``clock_factory(ctx)`` makes each tenant's clock
    (default: ``clock`` or the system clock for all).

    With ``settings.emulator`` the emulator's state is made here: each tenant's services and
    worker read that tenant's controllable clock (credentials keep ``clock``, the real one), and
    the worker runs the tenant's scripted definitions.
    """
    workers: dict[int, tuple[Worker, asyncio.Task[None]]] = {}
    emulator = (
        EmulatorState(clock or SystemClock(), token=settings.emulator_token.value)
        if settings.emulator
        else None
    )
    credential_clock = None if emulator is None else emulator.real
    if emulator is not None:
        clock_factory = emulator.clock_for

    async def started(ctx: str, services: Services) -> None:
        scripts = None if emulator is None else emulator.controls(ctx).scripts
        default = tenant_key(ctx) == tenant_key(settings.context_identifier)
        workers[id(services)] = start_worker(
            services, scripts=scripts, idle_poll=0.0 if default else TENANT_IDLE_POLL
        )

    async def stopping(_ctx: str, services: Services) -> None:
        running = workers.pop(id(services), None)
        if running is not None:
            await stop_worker(*running)

    async def build() -> TenantDirectory:
        directory = await open_directory(
            settings, clock=clock, clock_factory=clock_factory, credential_clock=credential_clock
        )
        try:
            if settings.worker:
                await started(directory.default_context, directory.default)
                directory.on_open(started)
                directory.on_close(stopping)
            await directory.open_all()
        except BaseException:
            await close(directory)
            raise
        return directory

    async def close(directory: TenantDirectory) -> None:
        await directory.close()
        await stopping(directory.default_context, directory.default)
        await close_services(directory.default)

    limits = ConnectionLimits(
        max_connections=settings.http_max_connections,
        idle_timeout=settings.http_idle_timeout,
        body_timeout=settings.http_body_timeout,
    )
    return create_http_app(
        build,
        close,
        limits,
        metrics_dir=settings.metrics_dir,
        emulator_state=emulator,
        default_context=settings.context_identifier,
    )


def configure_logging(settings: Settings) -> None:
    """Log lines as text, or as one JSON object a line (``BATCHTASK_LOG_FORMAT=json``)."""
    handler = logging.StreamHandler()
    if settings.log_format.lower() == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level.upper())


def app_from_env() -> GuardedApp:
    """Factory for the HTTP server process: settings from ``BATCHTASK_*`` variables.

    Only here — in the server process itself — does the connection watchdog run: it acts on the
    process's own sockets (``http/connections.py``).
    """
    settings = Settings.from_env()
    configure_logging(settings)
    app = create_app(settings)
    app.guard.start_watching()
    return app
