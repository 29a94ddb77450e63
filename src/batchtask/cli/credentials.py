"""``batchtask ticket NAME`` and ``batchtask token NAME``: print only the credential on stdout."""

from __future__ import annotations

import argparse
from typing import Any

from batchtask.bootstrap import tenant_services
from batchtask.cli.options import add_database, add_tenant
from batchtask.config import Settings


def register(commands: Any) -> None:
    """Add ``ticket`` and ``token``."""
    ticket = commands.add_parser("ticket", help="issue an SOTicket for a user")
    ticket.add_argument("name")
    add_database(ticket)
    add_tenant(ticket)
    ticket.set_defaults(handler=run_ticket)
    token = commands.add_parser("token", help="issue a Bearer access token for a user")
    token.add_argument("name")
    token.add_argument("--expires", type=int, metavar="SECONDS", help="lifetime (default 3600)")
    add_database(token)
    add_tenant(token)
    token.set_defaults(handler=run_token)


async def run_ticket(args: argparse.Namespace, settings: Settings) -> int:
    """Print a new ticket (valid 6 hours, renewed on use)."""
    async with tenant_services(settings, args.tenant) as services:
        user = await services.users.get(args.name)
        ticket, _ = await services.auth.issue_ticket(user)
    print(ticket)
    return 0


async def run_token(args: argparse.Namespace, settings: Settings) -> int:
    """Print a new access token."""
    if args.expires is not None and args.expires <= 0:
        raise SystemExit("batchtask: --expires must be positive")
    async with tenant_services(settings, args.tenant) as services:
        user = await services.users.get(args.name)
        token, _ = await services.auth.issue_token(user, args.expires)
    print(token)
    return 0
