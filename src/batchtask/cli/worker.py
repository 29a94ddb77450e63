"""``batchtask worker``: run tasks without the HTTP API (scale out by starting more of them).

SIGTERM or Ctrl-C stops claiming, gives running tasks ``--grace`` seconds to finish and hands the
rest back to the queue at once; a second signal hands everything back immediately.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from typing import Any

from batchtask.bootstrap import build_worker, close_services, configure_logging, open_services
from batchtask.cli.options import add_database
from batchtask.config import Settings, SettingsError
from batchtask.worker.metrics_server import MetricsServer


def register(commands: Any) -> None:
    """Add ``worker``."""
    worker = commands.add_parser("worker", help="run tasks (without the HTTP API)")
    add_database(worker)
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
    services = await open_services(settings)
    loop = asyncio.get_running_loop()
    metrics: MetricsServer | None = None
    signals = (signal.SIGTERM, signal.SIGINT)
    try:
        worker = build_worker(services)
        if settings.metrics_port:
            metrics = MetricsServer(services.runtime, services.queue)
            port = await metrics.start(args.metrics_host or settings.host, settings.metrics_port)
            print(
                f"worker metrics on http://{args.metrics_host or settings.host}:{port}/metrics",
                flush=True,
            )
        for signum in signals:
            loop.add_signal_handler(signum, worker.shutdown)
        running = asyncio.create_task(worker.run())
        ready = asyncio.create_task(worker.ready.wait())
        await asyncio.wait({running, ready}, return_when=asyncio.FIRST_COMPLETED)
        if worker.ready.is_set():
            names = ", ".join(spec.name for spec in worker.registry)
            print(
                f"worker {worker.owner} ready ({settings.concurrency} slots): {names}", flush=True
            )
        ready.cancel()
        await running
    finally:
        for signum in signals:
            loop.remove_signal_handler(signum)
        if metrics is not None:
            await metrics.close()
        await close_services(services)
    return 0
