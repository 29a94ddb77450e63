"""The contract suite runs every store: memory, a SQLite file and the PostgreSQL server."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database of each kind (the memory one named after the test's folder)."""
    if request.param == "memory":
        return f"memory://{tmp_path}"
    return str(request.getfixturevalue(f"{request.param}_url"))


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A new SQLite file."""
    return f"sqlite:///{tmp_path / 'batchtask.db'}"


@pytest.fixture
def postgres_url(pg_server_url: str) -> str:
    """The truncated test database."""
    from tests.conftest import _truncate  # noqa: PLC0415

    _truncate(pg_server_url)
    return pg_server_url
