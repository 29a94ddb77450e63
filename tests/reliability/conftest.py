"""Fixtures of the reliability suite: one fresh database per scenario, on each engine.

A scenario (a kill -9 loop, zombie rounds, …) is expensive, so it runs once per engine in a
module-scoped fixture and returns a report; each test then checks one figure of that report.
Scenario fixtures are synchronous and run their own event loop, because the async test plumbing
is function-scoped.
"""

from __future__ import annotations

import os

import pytest

from batchtask.storage.store import SqlStore
from tests.conftest import _truncate, open_sql_store

#: ``scripts/test --deep`` sets it; the long variants run only then.
DEEP = bool(os.environ.get("BATCHTASK_DEEP"))
deep_only = pytest.mark.skipif(not DEEP, reason="deep suite: scripts/test --deep")
#: A deep scenario runs for minutes inside the first test's setup.
DEEP_TIMEOUT = pytest.mark.timeout(900)

ENGINES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def fresh_database(
    engine: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> str:
    """An empty database of ``engine``: a new SQLite file, or the truncated test database."""
    if engine == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('reliability') / 'batchtask.db'}"
    url: str = request.getfixturevalue("pg_server_url")
    _truncate(url)
    return url


async def open_migrated(url: str) -> SqlStore:
    """A store on ``url``, migrated (PostgreSQL workers do not migrate by themselves)."""
    return await open_sql_store(url, auto_migrate=True, synchronous="NORMAL")
