"""Versioned schema migrations: ``migrations/<dialect>/NNNN_name.sql``, applied in order, once.

Each file runs in its own transaction together with its row in ``batchtask_migration``, so a
failed migration leaves the schema as it was. A database lock (advisory on PostgreSQL) serialises
concurrent ``db upgrade`` runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from importlib import resources

from batchtask.storage.database import Database
from batchtask.storage.queries import load

_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True, slots=True)
class Migration:
    """One schema step."""

    version: int
    name: str
    sql: str


@dataclass(frozen=True, slots=True)
class MigrationStatus:
    """Where a database stands."""

    applied: tuple[int, ...]
    pending: tuple[Migration, ...]

    @property
    def current(self) -> int:
        """The highest applied version (0 for an empty database)."""
        return max(self.applied, default=0)


def available(dialect: str) -> list[Migration]:
    """The migrations shipped for an engine, in version order."""
    folder = resources.files("batchtask.storage").joinpath("migrations", dialect)
    found = []
    for entry in folder.iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), match.group(2), entry.read_text("utf-8")))
    return sorted(found, key=lambda migration: migration.version)


async def status(db: Database) -> MigrationStatus:
    """Applied and pending migrations."""
    sql = load("migration", db)
    await sql.create_version_table.execute(db)
    rows = await sql.applied.fetch(db)
    applied = tuple(int(row[0]) for row in rows)
    pending = tuple(m for m in available(db.dialect) if m.version not in set(applied))
    return MigrationStatus(applied, pending)


async def upgrade(db: Database, now: datetime) -> list[Migration]:
    """Apply every pending migration; return what was applied."""
    done: list[Migration] = []
    sql = load("migration", db)
    await sql.create_version_table.execute(db)
    async with db.transaction() as tx:
        await tx.lock("batchtask.migration")
        rows = await sql.applied.fetch(tx)
        applied = {int(row[0]) for row in rows}
        for migration in available(tx.dialect):
            if migration.version in applied:
                continue
            await run_script(tx, migration.sql)
            await sql.record.execute(
                tx, version=migration.version, name=migration.name, applied=now.isoformat()
            )
            done.append(migration)
    return done


async def run_script(db: Database, sql: str) -> None:
    """Run a multi-statement script inside the current transaction."""
    for statement in split_statements(sql):
        await db.execute(statement)


def split_statements(sql: str) -> list[str]:
    """Split a migration on ``;`` at line ends, dropping ``--`` comments (our files only)."""
    lines = [line.split("--", 1)[0].rstrip() for line in sql.splitlines()]
    text = "\n".join(line for line in lines if line.strip())
    return [part.strip() for part in text.split(";\n") if part.strip().rstrip(";")]
