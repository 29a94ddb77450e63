"""``batchtask``: serve, run workers, migrate, manage users, credentials and tasks.

Every command takes ``--database URL`` (else ``BATCHTASK_DATABASE_URL``, else a SQLite file in the
user's data directory). Settings come from ``BATCHTASK_*`` variables, validated before anything
runs; a bad setting is one clear line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from batchtask import __version__
from batchtask.cli import credentials, db, seed, serve, task, tenants, users, worker
from batchtask.config import Settings, SettingsError
from batchtask.domain.errors import DomainError


def parser() -> argparse.ArgumentParser:
    """The whole command line."""
    top = argparse.ArgumentParser(
        prog="batchtask", description="SuperOffice BatchTask Web API server and task runtime."
    )
    top.add_argument("--version", action="version", version=f"batchtask {__version__}")
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve.register(commands)
    db.register(commands)
    users.register(commands)
    credentials.register(commands)
    worker.register(commands)
    task.register(commands)
    tenants.register(commands)
    seed.register(commands)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; the exit code is 0 on success."""
    args = parser().parse_args(argv)
    try:
        settings = Settings.from_env(database_url=getattr(args, "database", None))
    except SettingsError as exc:
        print(f"batchtask: invalid settings: {exc}", file=sys.stderr)
        return 2
    try:
        if args.command == "serve":
            return serve.run(args, settings)
        result: int = asyncio.run(args.handler(args, settings))
    except DomainError as exc:
        print(f"batchtask: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return result
