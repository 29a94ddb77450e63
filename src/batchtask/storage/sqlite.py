"""SQLite engine: one file, WAL, ``busy_timeout``, every write in ``BEGIN IMMEDIATE``.

Why calls run on the event loop thread: a primary-key read costs ~17 µs with the stdlib driver and
a thread hop costs more than that, so reads are synchronous calls on a dedicated read connection.
WAL readers never wait for writers. Writes go through a second connection, one transaction at a
time per process (an ``asyncio.Lock``); transaction bodies never suspend, so the lock is held only
for the statements themselves. Another *process* holding the write lock makes a writer wait up to
``busy_timeout`` — acceptable for workers and rare for the API, and recorded in docs/decisions.md.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from pathlib import Path

from batchtask.domain.errors import Conflict, StorageUnavailable
from batchtask.domain.ports import Subscription
from batchtask.storage.database import Database, Row

BUSY_TIMEOUT_MS = 5000

#: SQLite's side of the macros of the SQL files. Rows need no locks (``BEGIN IMMEDIATE`` holds the
#: whole database); lists arrive as one JSON text; text compares by code point already.
FRAGMENTS = {
    "for_update": "",
    "for_update_of_t": "",
    "skip_locked": "",
    "skip_locked_of_t": "",
    "text_rows": "SELECT value AS v FROM json_each(:{0})",
    "db_now": "strftime('%Y-%m-%d %H:%M:%f000', 'now')",
    "lease_until": "strftime('%Y-%m-%d %H:%M:%f000', 'now', :{0} || ' seconds')",
    "pair_rows": (
        "SELECT json_extract(value, '$[0]') AS a, json_extract(value, '$[1]') AS b"
        " FROM json_each(:{0})"
    ),
    "member": "IN (SELECT value FROM json_each(:{0}))",
    "pair_member": (
        "IN (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(:{0}))"
    ),
    "code_point": "",
    "nulls_first": "",
    "nulls_last": "",
}


def path_from_url(url: str) -> Path:
    """The file of a ``sqlite:///path`` URL (``sqlite:////abs`` and ``sqlite:///rel`` both work)."""
    if not url.startswith("sqlite:///"):
        raise ValueError(f"not a sqlite URL: {url!r}")
    return Path(url[len("sqlite:///") :])


def _connect(path: Path, synchronous: str) -> sqlite3.Connection:
    conn = sqlite3.connect(
        path, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000
    )
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute(f"PRAGMA synchronous = {synchronous}")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


class SqliteDialect:
    """How SQLite spells what the engines do differently (usable without a connection)."""

    dialect = "sqlite"
    fragments: Mapping[str, str] = FRAGMENTS
    single_writer = True

    def ts(self, value: datetime | None) -> object:
        """Instants are fixed-width UTC text, so string order is time order."""
        if value is None:
            return None
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")

    def instant(self, value: object) -> datetime | None:
        """Parse the fixed-width UTC text back (``fromisoformat`` is C and fast)."""
        if value is None:
            return None
        return datetime.fromisoformat(str(value)).replace(tzinfo=UTC)

    def flag(self, value: bool) -> object:
        """Booleans are 0/1."""
        return 1 if value else 0

    def array(self, values: Sequence[int] | Sequence[str]) -> object:
        """A JSON array (read with ``json_each``): one statement text whatever the length."""
        return json.dumps(list(values))

    def pairs(self, values: Sequence[tuple[int, int]]) -> object:
        """A JSON array of two-element arrays."""
        return json.dumps([list(pair) for pair in values])

    def member(self, column: str) -> str:
        """``column IN (SELECT value FROM json_each(?))``."""
        return f"{column} IN (SELECT value FROM json_each(?))"


class SqliteDatabase(SqliteDialect):
    """The ``Database`` port over the stdlib ``sqlite3`` driver."""

    def __init__(self, path: Path, *, synchronous: str = "FULL") -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._reader = _connect(path, synchronous)
            self._writer = _connect(path, synchronous)
        except sqlite3.Error as exc:
            raise StorageUnavailable(f"cannot open {path}: {exc}") from exc
        self.path = path
        self._lock = asyncio.Lock()
        # Per asyncio task: is this task inside a write transaction? Other tasks keep reading on
        # the read connection even while one task holds the writer.
        self._in_tx: ContextVar[bool] = ContextVar(f"sqlite_tx_{id(self)}", default=False)

    def _conn(self) -> sqlite3.Connection:
        return self._writer if self._in_tx.get() else self._reader

    async def fetchrow(self, sql: str, *args: object) -> Row | None:
        """The first row of a query, or ``None``."""
        try:
            row: Row | None = self._conn().execute(sql, args).fetchone()
        except sqlite3.Error as exc:
            raise _wrap(exc) from exc
        return row

    async def fetch(self, sql: str, *args: object) -> list[Row]:
        """Every row of a query."""
        try:
            return self._conn().execute(sql, args).fetchall()
        except sqlite3.Error as exc:
            raise _wrap(exc) from exc

    async def execute(self, sql: str, *args: object) -> int:
        """Run a statement (in its own ``BEGIN IMMEDIATE`` unless inside a transaction)."""
        if self._in_tx.get():
            try:
                return self._writer.execute(sql, args).rowcount
            except sqlite3.Error as exc:
                raise _wrap(exc) from exc
        async with self.transaction() as tx:
            return await tx.execute(sql, *args)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Database]:
        """``BEGIN IMMEDIATE`` … ``COMMIT`` on the write connection; rolled back on error."""
        if self._in_tx.get():
            yield self
            return
        async with self._lock:
            try:
                self._writer.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise _wrap(exc) from exc
            token = self._in_tx.set(True)
            try:
                yield self
            except BaseException:
                self._in_tx.reset(token)
                self._writer.execute("ROLLBACK")
                raise
            self._in_tx.reset(token)
            try:
                self._writer.execute("COMMIT")
            except sqlite3.Error as exc:
                self._writer.execute("ROLLBACK")
                raise _wrap(exc) from exc

    async def lock(self, key: str) -> None:
        """Nothing to do: inside ``BEGIN IMMEDIATE`` no other writer runs at all."""

    async def listen(self, channels: Mapping[str, Callable[[str], None]]) -> Subscription | None:
        """SQLite cannot push: workers poll."""
        return None

    async def ping(self) -> None:
        """A trivial read on the file."""
        await self.fetchrow("SELECT 1")

    async def close(self) -> None:
        """Close both connections."""
        self._reader.close()
        self._writer.close()


def _wrap(exc: sqlite3.Error) -> Exception:
    if isinstance(exc, sqlite3.IntegrityError):
        return Conflict(str(exc))
    if isinstance(exc, sqlite3.OperationalError):
        return StorageUnavailable(str(exc))
    return exc
