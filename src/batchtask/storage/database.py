"""The small internal port every repository is written against, so SQL lives in one place.

Two engines implement it (``sqlite.py``, ``postgres.py``). Statements come from the named SQL
files (``queries.py``) with ``?`` placeholders; the PostgreSQL engine rewrites them to ``$n``.
Where the engines differ the difference is a method or a SQL fragment of the engine, never an
``if dialect == …`` in a repository:

* binding: ``ts()`` / ``instant()`` (instants), ``flag()`` (booleans), ``array()`` (a list for one
  ``{member:…}`` placeholder), ``pairs()`` (a list of pairs for ``{pair_member:…}``);
* ``fragments``: the SQL the files name in braces (row locks, list membership, collation);
* ``lock()``: serialise a critical section across processes (an advisory lock on PostgreSQL;
  nothing on SQLite, where ``BEGIN IMMEDIATE`` already serialises every writer);
* ``single_writer``: one write transaction at a time holds the whole database, so a writer that
  may find nothing to do should look with a plain read first;
* ``listen()``: push notifications (PostgreSQL LISTEN), or ``None``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Any, Protocol

from batchtask.domain.ports import Subscription

Row = Sequence[Any]


class SqlDialect(Protocol):
    """How one engine spells what the engines do differently; needs no connection."""

    #: ``sqlite`` or ``postgres``: the folder of its dialect SQL files and migrations.
    dialect: str
    #: SQL fragments the named SQL files use as ``{name}`` or ``{name:parameter}`` macros.
    fragments: Mapping[str, str]
    #: One write transaction at a time holds the whole database (SQLite).
    single_writer: bool

    def ts(self, value: datetime | None) -> object:
        """Bind an aware instant (stored as UTC)."""
        ...

    def instant(self, value: object) -> datetime | None:
        """Read a stored instant back as an aware UTC datetime."""
        ...

    def flag(self, value: bool) -> object:
        """Bind a boolean."""
        ...

    def array(self, values: Sequence[int] | Sequence[str]) -> object:
        """Bind a list for one ``{member:…}`` placeholder."""
        ...

    def pairs(self, values: Sequence[tuple[int, int]]) -> object:
        """Bind a list of integer pairs for one ``{pair_member:…}`` placeholder."""
        ...

    def member(self, column: str) -> str:
        """``column`` is one of the integers bound with :meth:`array` to one ``?`` (dynamic SQL)."""
        ...


class Database(SqlDialect, Protocol):
    """One engine's connection(s)."""

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

    async def lock(self, key: str) -> None:
        """Inside a transaction: wait until no other transaction holds ``key``, then hold it."""
        ...

    async def listen(self, channels: Mapping[str, Callable[[str], None]]) -> Subscription | None:
        """Call ``channels[name](payload)`` for every notification; ``None`` without push."""
        ...

    async def ping(self) -> None:
        """Raise ``StorageUnavailable`` when the database does not answer."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...
