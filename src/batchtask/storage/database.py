"""The small internal port every repository is written against, so SQL lives in one place.

Two engines implement it (``sqlite.py``, ``postgres.py``). Statements are written once with ``?``
placeholders; the PostgreSQL engine rewrites them to ``$n``. The engines differ only in how they
bind instants and booleans, which is why repositories call ``db.ts()`` / ``db.flag()`` on values
and ``db.instant()`` on results.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Any, Protocol

Row = Sequence[Any]


class Database(Protocol):
    """One engine's connection(s)."""

    dialect: str

    async def fetchrow(self, sql: str, *args: object) -> Row | None:
        """The first row of a query, or ``None``."""
        ...

    async def fetch(self, sql: str, *args: object) -> list[Row]:
        """Every row of a query."""
        ...

    async def execute(self, sql: str, *args: object) -> int:
        """Run a statement; return the number of rows it changed."""
        ...

    def transaction(self) -> AbstractAsyncContextManager[Database]:
        """A write transaction (SQLite ``BEGIN IMMEDIATE``); yields the database to use inside it."""
        ...

    def ts(self, value: datetime | None) -> object:
        """Bind an aware instant (stored as UTC)."""
        ...

    def instant(self, value: object) -> datetime | None:
        """Read a stored instant back as an aware UTC datetime."""
        ...

    def flag(self, value: bool) -> object:
        """Bind a boolean."""
        ...

    def in_list(self, values: Sequence[object]) -> tuple[str, tuple[object, ...]]:
        """SQL and arguments for ``column <in_list>`` membership (``IN (…)`` or ``= ANY(?)``)."""
        ...

    async def ping(self) -> None:
        """Raise ``StorageUnavailable`` when the database does not answer."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...
