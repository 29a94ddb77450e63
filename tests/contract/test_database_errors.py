"""Driver failures reach the services as domain errors, never as driver classes: an unreachable
server or file is ``StorageUnavailable``, a duplicate key ``Conflict``, a value the column cannot
hold ``InvalidInput`` (both engines)."""

from __future__ import annotations

from pathlib import Path

import pytest

from batchtask.domain.errors import Conflict, InvalidInput, StorageUnavailable
from batchtask.storage.connect import open_database
from batchtask.storage.postgres import PostgresDatabase
from tests.reliability.processes import free_port

pytestmark = pytest.mark.anyio


async def test_an_unreachable_postgresql_server_is_storage_unavailable() -> None:
    with pytest.raises(StorageUnavailable, match="cannot connect to PostgreSQL"):
        await PostgresDatabase.connect(
            f"postgresql://postgres@127.0.0.1:{free_port()}/postgres", pool_size=1
        )


async def test_a_sqlite_file_that_cannot_be_opened_is_storage_unavailable(tmp_path: Path) -> None:
    folder = tmp_path / "a-folder.db"
    folder.mkdir()
    with pytest.raises(StorageUnavailable, match="cannot open"):
        await open_database(f"sqlite:///{folder}")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A SQLite file, or the PostgreSQL test server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'errors.db'}"
    url: str = request.getfixturevalue("pg_server_url")
    return url


async def test_driver_errors_become_domain_errors(engine_url: str) -> None:
    """A duplicate key is ``Conflict``; a number the column cannot hold is ``InvalidInput``."""
    url = engine_url
    db = await open_database(url)
    try:
        await db.execute("DROP TABLE IF EXISTS gate_probe")
        await db.execute("CREATE TABLE gate_probe (k INTEGER PRIMARY KEY, v SMALLINT)")
        await db.execute("INSERT INTO gate_probe (k, v) VALUES (?, ?)", 1, 1)
        with pytest.raises(Conflict):
            await db.execute("INSERT INTO gate_probe (k, v) VALUES (?, ?)", 1, 2)
        async with db.transaction() as tx:
            assert await tx.fetchrow("SELECT v FROM gate_probe WHERE k = ?", 1) is not None
        if url.startswith("postgresql"):
            with pytest.raises(InvalidInput):
                await db.execute("INSERT INTO gate_probe (k, v) VALUES (?, ?)", 2, 10**6)
        await db.execute("DROP TABLE gate_probe")
    finally:
        await db.close()
