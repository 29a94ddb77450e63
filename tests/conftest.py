"""Shared fixtures: real databases (a SQLite file, the PostgreSQL server), a fake clock.

PostgreSQL tests use the server at ``BATCHTASK_TEST_PG`` (default ``postgresql://postgres@127.0.0.1:5432/postgres``)
and create one fresh database per test run. Without a server they skip on a laptop but **fail**
when ``CI=true``, so CI can never pass by skipping.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from batchtask.domain.ports import Store
from batchtask.storage.connect import open_store
from batchtask.storage.store import SqlStore

PG_ADMIN = os.environ.get("BATCHTASK_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
TABLES = (
    "batchtask_event, binaryobjectlink, binaryobject, batchtask, batchtaskdefinition,"
    " login_failure, credential, associate, batchtask_worker, batchtask_change"
)


def sql_store(store: Store) -> SqlStore:
    """The SQL store behind the ``Store`` port (tests reach past the port to its database)."""
    assert isinstance(store, SqlStore), store
    return store


async def open_sql_store(url: str, **options: Any) -> SqlStore:
    """``open_store`` on a SQLite or PostgreSQL URL, typed as the SQL store it returns."""
    return sql_store(await open_store(url, **options))


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings come from what a test passes, never from the developer's shell."""
    for key in list(os.environ):
        if key.startswith("BATCHTASK_") and key != "BATCHTASK_TEST_PG":
            monkeypatch.delenv(key)


@pytest.fixture
def anyio_backend() -> str:
    """Async tests run on asyncio (the server's loop)."""
    return "asyncio"


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 11, 28, 12, 0, 0, tzinfo=UTC)

    def now(self) -> datetime:
        """The frozen instant."""
        return self.current

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        self.current += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> FakeClock:
    """A fake clock at 2026-11-28 12:00 UTC."""
    return FakeClock()


def _pg_available() -> str | None:
    import asyncpg  # noqa: PLC0415

    async def probe() -> str | None:
        try:
            conn = await asyncpg.connect(PG_ADMIN, timeout=3)
        except (OSError, asyncpg.PostgresError) as exc:
            return str(exc)
        await conn.close()
        return None

    return asyncio.run(probe())


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """A fresh database on the PostgreSQL server for this test run, dropped afterwards."""
    problem = _pg_available()
    if problem is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required in CI but did not answer at {PG_ADMIN}: {problem}")
        pytest.skip(f"no PostgreSQL server at {PG_ADMIN}: {problem}")
    import asyncpg  # noqa: PLC0415

    name = f"batchtask_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    base, _, _ = PG_ADMIN.rpartition("/")

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(PG_ADMIN)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{base}/{name}"
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _truncate(url: str) -> None:
    import asyncpg  # noqa: PLC0415

    async def run() -> None:
        conn = await asyncpg.connect(url)
        try:
            exists = await conn.fetchval("SELECT to_regclass('batchtask') IS NOT NULL")
            if exists:
                await conn.execute(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE")
            if await conn.fetchval("SELECT to_regclass('batchtask_tenant') IS NOT NULL"):
                await conn.execute("TRUNCATE batchtask_tenant")
            schemas = await conn.fetch(
                "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'tenant\\_%'"
            )
            for row in schemas:  # every tenant's schema (storage/tenant_databases.py)
                await conn.execute(f'DROP SCHEMA "{row[0]}" CASCADE')
        finally:
            await conn.close()

    asyncio.run(run())


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database of each engine: a new SQLite file, or the truncated test database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'batchtask.db'}"
    url: str = request.getfixturevalue("pg_server_url")
    _truncate(url)
    return url


@pytest.fixture
async def store(database_url: str, clock: FakeClock) -> AsyncIterator[Store]:
    """A migrated store on each engine (the contract suite's ``memory`` one too)."""
    opened = await open_store(database_url, auto_migrate=True, clock=clock, synchronous="NORMAL")
    try:
        yield opened
    finally:
        await opened.close()
