"""The one place that picks an engine from a database URL."""

from __future__ import annotations

from batchtask.domain.clock import Clock, SystemClock
from batchtask.domain.errors import StorageUnavailable
from batchtask.domain.ports import Store
from batchtask.storage import migration
from batchtask.storage.database import Database
from batchtask.storage.memory import open_memory
from batchtask.storage.sqlite import SqliteDatabase, path_from_url
from batchtask.storage.store import SqlStore


async def open_database(url: str, *, synchronous: str = "FULL", pool_size: int = 10) -> Database:
    """Connect to ``sqlite:///…`` or ``postgresql://…``."""
    if url.startswith("sqlite:///"):
        return SqliteDatabase(path_from_url(url), synchronous=synchronous.upper())
    if url.startswith(("postgresql://", "postgres://")):
        from batchtask.storage.postgres import PostgresDatabase  # noqa: PLC0415 - optional engine

        return await PostgresDatabase.connect(url, pool_size=pool_size)
    raise ValueError(f"unsupported database URL: {url!r}")


async def open_store(
    url: str,
    *,
    synchronous: str = "FULL",
    pool_size: int = 10,
    auto_migrate: bool = False,
    clock: Clock | None = None,
) -> Store:
    """A ready store; refuses a database whose schema is behind unless ``auto_migrate``.

    ``memory://name`` opens the in-memory store (tests, throw-away runs).
    """
    if url.startswith("memory://"):
        return open_memory(url)
    db = await open_database(url, synchronous=synchronous, pool_size=pool_size)
    try:
        state = await migration.status(db)
        if state.pending:
            if not auto_migrate:
                raise StorageUnavailable(
                    f"the database schema is at version {state.current} and"
                    f" {len(state.pending)} migration(s) are pending: run 'batchtask db upgrade'"
                )
            await migration.upgrade(db, (clock or SystemClock()).now())
    except BaseException:
        await db.close()
        raise
    return SqlStore(db)
