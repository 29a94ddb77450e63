"""``batchtask tenant add|list|remove``: the ContextIdentifiers this server holds (SPEC §11.1)."""

from __future__ import annotations

import argparse
from typing import Any

from rich.console import Console
from rich.table import Table

from batchtask.bootstrap import close_services, open_directory
from batchtask.cli.options import add_database
from batchtask.config import Settings


def register(commands: Any) -> None:
    """Add the ``tenant`` command group."""
    group = commands.add_parser("tenant", help="manage tenants (ContextIdentifiers)")
    actions = group.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="create a tenant (prints its ContextIdentifier)")
    add.add_argument("name", nargs="?", help="e.g. Cust12345 (default: a generated one)")
    add_database(add)
    add.set_defaults(handler=run_add)
    listing = actions.add_parser("list", help="list tenants, the default one first")
    add_database(listing)
    listing.set_defaults(handler=run_list)
    remove = actions.add_parser("remove", help="delete a tenant: its tasks, users and files")
    remove.add_argument("name")
    add_database(remove)
    remove.set_defaults(handler=run_remove)


async def run_add(args: argparse.Namespace, settings: Settings) -> int:
    """Create a tenant."""
    directory = await open_directory(settings)
    try:
        info = await directory.add(args.name)
    finally:
        await directory.close()
        await close_services(directory.default)
    print(info.context_identifier)
    return 0


async def run_list(args: argparse.Namespace, settings: Settings) -> int:
    """Print every tenant."""
    directory = await open_directory(settings)
    try:
        found = await directory.list()
    finally:
        await directory.close()
        await close_services(directory.default)
    table = Table("ContextIdentifier", "Created")
    for info in found:
        table.add_row(
            info.context_identifier,
            "(default)" if info.created is None else info.created.isoformat(" ", "seconds"),
        )
    Console().print(table)
    return 0


async def run_remove(args: argparse.Namespace, settings: Settings) -> int:
    """Delete a tenant."""
    directory = await open_directory(settings)
    try:
        await directory.remove(args.name)
    finally:
        await directory.close()
        await close_services(directory.default)
    print(f"removed {args.name}")
    return 0
