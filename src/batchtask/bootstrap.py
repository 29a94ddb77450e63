"""The composition root: the only module that knows every piece and wires them together."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from batchtask.config import Settings
from batchtask.domain.clock import Clock, SystemClock
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
from batchtask.services.tasks import TaskService
from batchtask.services.throttle import LoginThrottle, ThrottlePolicy
from batchtask.services.users import UserService
from batchtask.storage.connect import open_store
from batchtask.worker.builtins import Environment, builtin_definitions, builtin_periodic
from batchtask.worker.registry import Definition, Registry, import_handlers
from batchtask.worker.runner import Worker, WorkerConfig
from batchtask.worker.scripted import follow_scripts

log = logging.getLogger("batchtask")


async def open_services(
    settings: Settings,
    *,
    clock: Clock | None = None,
    auto_migrate: bool | None = None,
    credential_clock: Clock | None = None,
) -> Services:
    """Connect to the database and build every service.

    SQLite databases are migrated automatically (the embedded default must just work); PostgreSQL
    ones must be upgraded with ``batchtask db upgrade`` first. ``credential_clock`` (default:
    ``clock``) is what tickets, tokens and the login throttle expire by: the emulator gives them
    real time while a test moves the tenant's ``clock``.
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
    )
    admin = AdminService(store, clock, tasks)
    live = LiveHub(
        store,
        clock,
        lambda: admin.stats(window=STATS_EVERY, step=STATS_EVERY),
        LiveSettings(queue_size=settings.stream_queue, poll_interval=settings.stream_poll_interval),
    )
    return Services(
        settings=settings,
        store=store,
        clock=clock,
        auth=Authenticator(store, credential_clock, hasher, throttle, policy, jwt=jwt),
        tasks=tasks,
        users=UserService(store, clock, hasher),
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
    services: Services, *, scripts: ScriptBook | None = None
) -> tuple[Worker, asyncio.Task[None]]:
    """Run a worker in the background of the current event loop (``serve`` embeds one).

    With ``scripts`` (``serve --emulator``) it also runs the tenant's scripted definitions.
    """
    config = WorkerConfig.from_settings(services.settings, kind="embedded")
    worker = build_worker(services, config=config)
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


def create_app(settings: Settings, *, clock: Clock | None = None) -> GuardedApp:
    """The HTTP application for ``settings``, with a worker unless ``settings.worker`` is off.

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

    async def build() -> Services:
        ctx = settings.context_identifier
        if emulator is None:
            services = await open_services(settings, clock=clock)
        else:
            services = await open_services(
                settings, clock=emulator.clock_for(ctx), credential_clock=emulator.real
            )
        if settings.worker:
            try:
                scripts = None if emulator is None else emulator.controls(ctx).scripts
                workers[id(services)] = start_worker(services, scripts=scripts)
            except BaseException:
                await close_services(services)
                raise
        return services

    async def close(services: Services) -> None:
        running = workers.pop(id(services), None)
        if running is not None:
            await stop_worker(*running)
        await close_services(services)

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
