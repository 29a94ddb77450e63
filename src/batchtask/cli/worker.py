"""``batchtask worker``: run tasks without the HTTP API (scale out by starting more of them).

It serves every tenant (a worker each; tenants added while it runs are picked up within
``TENANT_SCAN`` seconds), or only ``--tenant CTX``. SIGTERM or Ctrl-C stops claiming, gives running tasks ``--grace`` seconds to finish and hands the
rest back to the queue at once; a second signal hands everything back immediately.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from typing import Any

from batchtask.bootstrap import build_worker, close_services, configure_logging, open_directory
from batchtask.cli.options import add_database, add_tenant
from batchtask.config import Settings, SettingsError
from batchtask.services.container import Services
from batchtask.worker.metrics_server import MetricsServer
from batchtask.worker.runner import Worker

#: Seconds between looks for tenants added while the worker runs.
TENANT_SCAN = 5.0


def register(commands: Any) -> None:
    """Add ``worker``."""
    worker = commands.add_parser("worker", help="run tasks (without the HTTP API)")
    add_database(worker)
    add_tenant(worker)
    worker.add_argument("--concurrency", type=int, metavar="N", help="tasks at once (default 4)")
    worker.add_argument("--lease", type=float, metavar="SECONDS", help="lease length (default 30)")
    worker.add_argument(
        "--heartbeat", type=float, metavar="SECONDS", help="lease renewal interval (default 10)"
    )
    worker.add_argument(
        "--grace",
        type=float,
        metavar="SECONDS",
        help="time running tasks get after SIGTERM before they are handed back (default 10)",
    )
    worker.add_argument(
        "--metrics-port", type=int, metavar="N",
        help="serve this worker's Prometheus /metrics on port N (default: none)",
    )  # fmt: skip
    worker.add_argument(
        "--metrics-host", default=None, metavar="HOST",
        help="address for --metrics-port (default: BATCHTASK_HOST, 127.0.0.1)",
    )  # fmt: skip
    worker.set_defaults(handler=run)


async def run(args: argparse.Namespace, settings: Settings) -> int:
    """Work until SIGTERM/SIGINT."""
    try:
        settings = Settings.from_env(
            database_url=settings.database_url,
            concurrency=args.concurrency,
            lease=args.lease,
            heartbeat=args.heartbeat,
            shutdown_grace=args.grace,
            metrics_port=args.metrics_port,
        )
    except SettingsError as exc:
        print(f"batchtask: invalid settings: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings)
    directory = await open_directory(settings)
    services = directory.default
    loop = asyncio.get_running_loop()
    metrics: MetricsServer | None = None
    signals = (signal.SIGTERM, signal.SIGINT)
    crew = _Crew(settings.concurrency)
    try:
        if settings.metrics_port:
            metrics = MetricsServer(services.runtime, services.queue)
            port = await metrics.start(args.metrics_host or settings.host, settings.metrics_port)
            print(
                f"worker metrics on http://{args.metrics_host or settings.host}:{port}/metrics",
                flush=True,
            )
        for signum in signals:
            loop.add_signal_handler(signum, crew.shutdown)
        if args.tenant:
            chosen = await directory.get(args.tenant)
            await crew.start(chosen.settings.context_identifier, chosen)
        while not crew.stopping.is_set():
            if not args.tenant:  # every tenant, including those added while we run
                await directory.open_all()
                for ctx, tenant in directory.opened().items():
                    if ctx not in crew.workers:
                        await crew.start(ctx, tenant)
            if crew.finished():
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(crew.stopping.wait(), TENANT_SCAN)
        await crew.wait()
    finally:
        for signum in signals:
            loop.remove_signal_handler(signum)
        if metrics is not None:
            await metrics.close()
        await directory.close()
        await close_services(services)
    return 0


class _Crew:
    """One worker per tenant served, stopped together."""

    def __init__(self, slots: int) -> None:
        self.slots = slots
        self.workers: dict[str, tuple[Worker, asyncio.Task[None]]] = {}
        self.stopping = asyncio.Event()

    def shutdown(self) -> None:
        """SIGTERM: every worker stops claiming and hands its tasks back after its grace."""
        self.stopping.set()
        for worker, _ in self.workers.values():
            worker.shutdown()

    async def start(self, ctx: str, tenant: Services) -> None:
        """Start tenant ``ctx``'s worker and say so once it is ready."""
        worker = build_worker(tenant)
        running = asyncio.create_task(worker.run())
        self.workers[ctx] = (worker, running)
        ready = asyncio.create_task(worker.ready.wait())
        await asyncio.wait({running, ready}, return_when=asyncio.FIRST_COMPLETED)
        ready.cancel()
        if worker.ready.is_set():
            names = ", ".join(spec.name for spec in worker.registry)
            print(f"worker {worker.owner} of {ctx} ready ({self.slots} slots): {names}", flush=True)

    def finished(self) -> bool:
        """Every worker has ended (or none was started)."""
        return all(task.done() for _, task in self.workers.values())

    async def wait(self) -> None:
        """Until every worker has ended; a worker's failure is raised."""
        for _, task in self.workers.values():
            await task
