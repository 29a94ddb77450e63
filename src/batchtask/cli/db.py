"""``batchtask db upgrade|status``: versioned schema migrations."""

from __future__ import annotations

import argparse
from typing import Any

from batchtask.cli.options import add_database
from batchtask.config import Settings
from batchtask.domain.clock import SystemClock
from batchtask.storage import migration
from batchtask.storage.connect import open_database


def register(commands: Any) -> None:
    """Add the ``db`` command group."""
    group = commands.add_parser("db", help="database schema")
    actions = group.add_subparsers(dest="action", required=True, metavar="ACTION")
    upgrade = actions.add_parser("upgrade", help="apply pending migrations")
    add_database(upgrade)
    upgrade.set_defaults(handler=run_upgrade)
    status = actions.add_parser("status", help="show applied and pending migrations")
    add_database(status)
    status.set_defaults(handler=run_status)


async def run_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    """Apply every pending migration."""
    db = await migration_database(settings)
    try:
        applied = await migration.upgrade(db, SystemClock().now())
        state = await migration.status(db)
    finally:
        await db.close()
    for step in applied:
        print(f"applied {step.version:04d}_{step.name}")
    print(f"schema at version {state.current}")
    return 0


async def run_status(args: argparse.Namespace, settings: Settings) -> int:
    """Print the schema version and what is pending; exit 1 when migrations are pending."""
    db = await migration_database(settings)
    try:
        state = await migration.status(db)
    finally:
        await db.close()
    print(f"schema at version {state.current}")
    for step in state.pending:
        print(f"pending {step.version:04d}_{step.name}")
    return 1 if state.pending else 0


async def migration_database(settings: Settings) -> Any:
    """The raw database for migrations."""
    return await open_database(
        settings.database_url, synchronous=settings.sqlite_synchronous, pool_size=2
    )
