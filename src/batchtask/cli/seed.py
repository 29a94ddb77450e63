"""``batchtask seed FILE [--tenant CTX]``: the emulator's seed from a JSON file, without a server.

The file is the body of ``POST /_batchtask/tenants/{ctx}/seed`` (``{"Users": […], "Tasks":
[…]}``), checked the same way: every bad item is reported with its index and nothing is written.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from batchtask.bootstrap import tenant_services
from batchtask.cli.options import add_database, add_tenant
from batchtask.config import Settings
from batchtask.domain.errors import InvalidInput
from batchtask.serialisation.emulator import read_seed
from batchtask.serialisation.json_body import BodyError, parse_json
from batchtask.services.emulator.seed import plant


def register(commands: Any) -> None:
    """Add ``seed``."""
    seed = commands.add_parser("seed", help="create users and tasks from a JSON seed file")
    seed.add_argument("file", type=Path, help='{"Users": [...], "Tasks": [...]} ("-" = stdin)')
    add_tenant(seed)
    add_database(seed)
    seed.set_defaults(handler=run)


async def run(args: argparse.Namespace, settings: Settings) -> int:
    """Seed the tenant; print the tasks' ids."""
    raw = sys.stdin.buffer.read() if str(args.file) == "-" else args.file.read_bytes()
    try:
        body = parse_json(raw)
    except BodyError as exc:
        raise InvalidInput(f"{args.file}: {exc}") from None
    async with tenant_services(settings, args.tenant) as services:
        ids = await plant(services, read_seed(body, services.base_zone))
    print(" ".join(str(task_id) for task_id in ids))
    return 0
