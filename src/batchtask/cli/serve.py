"""``batchtask serve``: the HTTP API under granian (with demo data on request).

Settings reach the server process through ``BATCHTASK_*`` variables (flags are written into the
environment first), so the granian worker builds exactly the configuration that was validated here.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from typing import Any

from batchtask.bootstrap import close_services, open_services
from batchtask.cli.options import add_database
from batchtask.config import PREFIX, Settings, SettingsError
from batchtask.services.demo import DEMO_ADMIN, DEMO_USER, seed_demo


def register(commands: Any) -> None:
    """Add ``serve``."""
    serve = commands.add_parser("serve", help="run the HTTP API with an embedded worker")
    serve.add_argument("--host", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default 8000)")
    add_database(serve)
    serve.add_argument("--demo", action="store_true", help="create demo users and tasks when empty")
    serve.add_argument("--no-worker", action="store_true", help="do not run tasks in this process")
    serve.add_argument(
        "--workers", type=int, metavar="N", help="API processes (default 1; each embeds a worker)"
    )
    serve.add_argument(
        "--emulator",
        action="store_true",
        help="serve the emulator controls /_batchtask/... for integration tests (loopback only "
        "unless BATCHTASK_EMULATOR_TOKEN is set)",
    )


async def prepare(settings: Settings, demo: bool) -> None:
    """Migrate (SQLite), seed demo data when asked, and say how to create the first admin."""
    services = await open_services(settings)
    try:
        if demo:
            created = await seed_demo(
                services.store, services.clock, services.users,
                serial=settings.database_serial_number,
            )  # fmt: skip
            if created is not None:
                print(f"demo admin:  {DEMO_ADMIN} / {created.admin_password}")
                print(f"demo user:   {DEMO_USER} / {created.user_password}")
                print("(these passwords are shown once)")
        if not await services.users.all():
            print("No users yet. Create the first admin with:")
            print("  batchtask user add admin --role admin")
    finally:
        await close_services(services)


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Prepare the database, then serve until interrupted."""
    overrides: dict[str, Any] = {
        "host": args.host, "port": args.port, "http_workers": args.workers,
    }  # fmt: skip
    if args.no_worker:
        overrides["worker"] = False
    if args.emulator:
        overrides["emulator"] = True
    try:
        settings = Settings.from_env(database_url=settings.database_url, **overrides)
    except SettingsError as exc:
        print(f"batchtask: invalid settings: {exc}", file=sys.stderr)
        return 2
    asyncio.run(prepare(settings, args.demo))
    os.environ[PREFIX + "DATABASE_URL"] = settings.database_url
    os.environ[PREFIX + "WORKER"] = "true" if settings.worker else "false"
    os.environ[PREFIX + "HTTP_WORKERS"] = str(settings.http_workers)
    os.environ[PREFIX + "EMULATOR"] = "true" if settings.emulator else "false"
    if settings.http_workers > 1 and not settings.metrics_dir:
        # Each process shares its metrics here; /metrics on any of them sums all.
        os.environ[PREFIX + "METRICS_DIR"] = tempfile.mkdtemp(prefix="batchtask-metrics-")

    print(f"serving on http://{settings.host}:{settings.port}/api/v1/BatchTask", flush=True)
    if settings.emulator:
        print(
            f"emulator controls on http://{settings.host}:{settings.port}/_batchtask/", flush=True
        )
    sys.stderr.flush()
    # A fresh process image keeps granian's supervisor small (see cli/http_server.py).
    os.execv(  # noqa: S606 - our own interpreter and module, no shell
        sys.executable,
        [sys.executable, "-m", "batchtask.cli.http_server", settings.host, str(settings.port)],
    )
    return 0  # not reached: execv replaced this process
