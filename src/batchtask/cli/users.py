"""``batchtask user add|list|passwd|remove``."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from rich.console import Console
from rich.table import Table

from batchtask.bootstrap import tenant_services
from batchtask.cli.options import add_database, add_tenant
from batchtask.config import Settings
from batchtask.domain.user import Role


def register(commands: Any) -> None:
    """Add the ``user`` command group."""
    group = commands.add_parser("user", help="manage users")
    actions = group.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="create a user")
    add.add_argument("name")
    add.add_argument("--password", help="the password (prompted for when omitted)")
    add.add_argument("--role", choices=[role.value for role in Role], default=Role.user.value)
    add.add_argument("--display-name", default="")
    add_database(add)
    add_tenant(add)
    add.set_defaults(handler=run_add)
    listing = actions.add_parser("list", help="list users")
    add_database(listing)
    add_tenant(listing)
    listing.set_defaults(handler=run_list)
    passwd = actions.add_parser("passwd", help="change a password (revokes the user's tickets)")
    passwd.add_argument("name")
    passwd.add_argument("--password", help="the new password (prompted for when omitted)")
    add_database(passwd)
    add_tenant(passwd)
    passwd.set_defaults(handler=run_passwd)
    remove = actions.add_parser("remove", help="delete a user and their credentials")
    remove.add_argument("name")
    add_database(remove)
    add_tenant(remove)
    remove.set_defaults(handler=run_remove)


def _password(given: str | None) -> str:
    if given is not None:
        return given
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Repeat: ") != first:
        raise SystemExit("batchtask: the passwords differ")
    return first


async def run_add(args: argparse.Namespace, settings: Settings) -> int:
    """Create a user."""
    async with tenant_services(settings, args.tenant) as services:
        user = await services.users.add(
            args.name, _password(args.password), Role(args.role), args.display_name
        )
    print(f"created {user.role.value} {user.username} (AssociateId {user.associate_id})")
    return 0


async def run_list(args: argparse.Namespace, settings: Settings) -> int:
    """Print every user."""
    async with tenant_services(settings, args.tenant) as services:
        found = await services.users.all()
    table = Table("AssociateId", "Name", "Display name", "Role", "Active")
    for user in found:
        table.add_row(
            str(user.associate_id), user.username, user.display_name, user.role.value,
            "yes" if user.active else "no",
        )  # fmt: skip
    Console().print(table)
    return 0


async def run_passwd(args: argparse.Namespace, settings: Settings) -> int:
    """Change a password."""
    async with tenant_services(settings, args.tenant) as services:
        user = await services.users.set_password(args.name, _password(args.password))
    print(f"password changed for {user.username}; their tickets and sessions are revoked")
    return 0


async def run_remove(args: argparse.Namespace, settings: Settings) -> int:
    """Delete a user."""
    async with tenant_services(settings, args.tenant) as services:
        user = await services.users.remove(args.name)
    print(f"removed {user.username}")
    return 0
