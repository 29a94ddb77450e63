"""Emptying one database as a fresh tenant's (``sql/schema.sql``): the emulator's per-tenant reset.

The tables come from the engine's catalogue rather than a list in code, so a table a later
migration adds (faults, journals, …) is emptied too unless it is named in :data:`KEPT`. Children are
emptied before their parents (the foreign keys are read from the catalogue as well), all in one
transaction. Ids restart at 1 — a reset tenant looks like a new one — except change numbers: the
live stream's subscribers hold a cursor into the change log, so it is emptied first and its
numbers keep growing (the deletions of the reset are its first new entries, so open streams see
the tasks go).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from batchtask.storage.database import Database
from batchtask.storage.queries import load

#: Never emptied: the schema's version, the tenant registry, the definitions (metadata the
#: workers registered) and the worker registry (live processes).
KEPT = frozenset(
    {"batchtask_migration", "batchtask_tenant", "batchtaskdefinition", "batchtask_worker"}
)
#: Kept unless users are reset too.
USER_TABLES = frozenset({"associate", "credential"})
CHANGE_LOG = "batchtask_change"
_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*")


def deletion_order(tables: Iterable[str], references: Iterable[tuple[str, str]]) -> list[str]:
    """``tables`` with every child before the parents it references (cycles: any order)."""
    remaining = sorted(set(tables))
    parents: dict[str, set[str]] = {name: set() for name in remaining}
    for child, parent in references:
        if child in parents and parent in parents and child != parent:
            parents[child].add(parent)
    ordered: list[str] = []
    while remaining:
        referenced = {p for name in remaining for p in parents[name]}
        leaves = [name for name in remaining if name not in referenced] or remaining[:1]
        ordered.extend(leaves)
        remaining = [name for name in remaining if name not in leaves]
    return ordered


async def reset_database(db: Database, *, users: bool) -> None:
    """Empty every table but :data:`KEPT` (and the users' unless ``users``), in one transaction."""
    sql = load("schema", db)
    async with db.transaction() as tx:
        names = [str(row[0]) for row in await sql.tables.fetch(tx)]
        kept = KEPT if users else KEPT | USER_TABLES
        tables = [name for name in names if name not in kept and name != CHANGE_LOG]
        for name in [CHANGE_LOG, *tables]:
            if _IDENTIFIER.fullmatch(name) is None:  # identifiers only ever from the catalogue
                raise ValueError(f"unexpected table name {name!r}")
        pairs = [(str(row[0]), str(row[1])) for row in await sql.references.fetch(tx)]
        if CHANGE_LOG in names:
            await tx.execute(f"DELETE FROM {CHANGE_LOG}")
        for name in deletion_order(tables, pairs):
            await tx.execute(f"DELETE FROM {name}")
        await sql.restart_ids.execute(tx, tables=tx.array(tables))
