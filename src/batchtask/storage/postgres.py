"""PostgreSQL engine over asyncpg (the lowest client CPU per query measured here: ~170 µs).

Statements arrive with ``?`` placeholders and are rewritten to ``$n`` once (cached). Instants are
``timestamp without time zone`` holding UTC. A transaction pins one pooled connection; the
connection travels with the asyncio task in a context variable, so repository code is identical
for both engines.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import asyncpg

from batchtask.domain.errors import Conflict, InvalidInput, StorageUnavailable
from batchtask.domain.ports import Subscription
from batchtask.storage.database import Database, Row

log = logging.getLogger("batchtask.storage")

#: PostgreSQL's side of the macros of the SQL files.
FRAGMENTS = {
    "for_update": " FOR UPDATE",
    "for_update_of_t": " FOR UPDATE OF t",
    "skip_locked": " FOR UPDATE SKIP LOCKED",
    "skip_locked_of_t": " FOR UPDATE OF t SKIP LOCKED",
    "text_rows": "SELECT unnest(CAST(:{0} AS text[])) AS v",
    "db_now": "(now() AT TIME ZONE 'UTC')",
    "lease_until": "((now() AT TIME ZONE 'UTC') + make_interval(secs => :{0}))",
    "pair_rows": (
        "SELECT (e ->> 0)::integer AS a, (e ->> 1)::integer AS b"
        " FROM jsonb_array_elements(CAST(:{0} AS jsonb)) AS e"
    ),
    "member": "= ANY(:{0})",
    "pair_member": (
        "IN (SELECT (e ->> 0)::integer, (e ->> 1)::integer"
        " FROM jsonb_array_elements(CAST(:{0} AS jsonb)) AS e)"
    ),
    "code_point": ' COLLATE "C"',
    "nulls_first": " NULLS FIRST",
    "nulls_last": " NULLS LAST",
}

_PLACEHOLDER = re.compile(r"\?")
_UNAVAILABLE = (OSError, asyncpg.exceptions.CannotConnectNowError,
                asyncpg.exceptions.ConnectionDoesNotExistError,
                asyncpg.exceptions.InterfaceError,
                asyncpg.exceptions.PostgresConnectionError)  # fmt: skip


@lru_cache(maxsize=1024)
def dollar(sql: str) -> str:
    """Rewrite ``?`` placeholders to ``$1, $2, …``."""
    counter = iter(range(1, 10_000))
    return _PLACEHOLDER.sub(lambda _: f"${next(counter)}", sql)


class PostgresDialect:
    """How PostgreSQL spells what the engines do differently (usable without a connection)."""

    dialect = "postgres"
    fragments: Mapping[str, str] = FRAGMENTS
    single_writer = False

    def ts(self, value: datetime | None) -> object:
        """Naive UTC for ``timestamp`` columns."""
        if value is None:
            return None
        return value.astimezone(UTC).replace(tzinfo=None)

    def instant(self, value: object) -> datetime | None:
        """Attach UTC to a stored naive timestamp."""
        if value is None:
            return None
        assert isinstance(value, datetime)  # noqa: S101 - driver contract
        return value.replace(tzinfo=UTC)

    def flag(self, value: bool) -> object:
        """Native booleans."""
        return bool(value)

    def array(self, values: Sequence[int] | Sequence[str]) -> object:
        """A native array (its element type comes from the column it is compared with)."""
        return list(values)

    def pairs(self, values: Sequence[tuple[int, int]]) -> object:
        """A JSON array of two-element arrays (``jsonb``)."""
        return json.dumps([list(pair) for pair in values])

    def member(self, column: str) -> str:
        """``column = ANY(?)``: one plan whatever the length."""
        return f"{column} = ANY(?)"


class PostgresDatabase(PostgresDialect):
    """The ``Database`` port over an asyncpg pool."""

    def __init__(self, pool: Any, dsn: str) -> None:
        self._pool = pool
        self.dsn = dsn
        self._tx: ContextVar[Any] = ContextVar(f"pg_tx_{id(self)}", default=None)

    @classmethod
    async def connect(cls, dsn: str, *, pool_size: int = 10) -> PostgresDatabase:
        """Open a pool; ``StorageUnavailable`` when the server does not answer."""
        try:
            pool = await asyncpg.create_pool(
                dsn, min_size=1, max_size=pool_size, command_timeout=30,
                server_settings={"application_name": "batchtask"},
            )  # fmt: skip
        except (*_UNAVAILABLE, asyncpg.PostgresError) as exc:
            raise StorageUnavailable(f"cannot connect to PostgreSQL: {exc}") from exc
        return cls(pool, dsn)

    async def fetchrow(self, sql: str, *args: object) -> Row | None:
        """The first row of a query, or ``None``."""
        conn = self._tx.get()
        try:
            if conn is not None:
                return await conn.fetchrow(dollar(sql), *args)  # type: ignore[no-any-return]
            return await self._pool.fetchrow(dollar(sql), *args)  # type: ignore[no-any-return]
        except Exception as exc:
            raise _wrap(exc) from exc

    async def fetch(self, sql: str, *args: object) -> list[Row]:
        """Every row of a query."""
        conn = self._tx.get()
        try:
            if conn is not None:
                return await conn.fetch(dollar(sql), *args)  # type: ignore[no-any-return]
            return await self._pool.fetch(dollar(sql), *args)  # type: ignore[no-any-return]
        except Exception as exc:
            raise _wrap(exc) from exc

    async def execute(self, sql: str, *args: object) -> int:
        """Run a statement; return the row count from the command tag."""
        conn = self._tx.get()
        try:
            if conn is not None:
                status = await conn.execute(dollar(sql), *args)
            else:
                status = await self._pool.execute(dollar(sql), *args)
        except Exception as exc:
            raise _wrap(exc) from exc
        tail = str(status).rsplit(" ", 1)[-1]
        return int(tail) if tail.isdigit() else 0

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Database]:
        """A READ COMMITTED transaction on one pooled connection."""
        if self._tx.get() is not None:
            yield self
            return
        try:
            conn = await self._pool.acquire()
        except Exception as exc:
            raise _wrap(exc) from exc
        try:
            tx = conn.transaction()
            await tx.start()
            token = self._tx.set(conn)
            try:
                yield self
            except BaseException:
                self._tx.reset(token)
                await tx.rollback()
                raise
            self._tx.reset(token)
            try:
                await tx.commit()
            except Exception as exc:
                raise _wrap(exc) from exc
        finally:
            await self._pool.release(conn)

    async def lock(self, key: str) -> None:
        """A transaction-scoped advisory lock on the hash of ``key``."""
        await self.execute("SELECT pg_advisory_xact_lock(hashtext(?))", key)

    async def listen(self, channels: Mapping[str, Callable[[str], None]]) -> Subscription | None:
        """LISTEN on a dedicated pooled connection, held until the subscription is closed."""
        try:
            conn = await self._pool.acquire()
        except Exception as exc:  # any driver failure means "no push right now"
            raise StorageUnavailable(f"cannot LISTEN: {exc}") from exc
        try:
            for channel, callback in channels.items():
                await conn.add_listener(channel, _listener(callback))
        except Exception as exc:
            await _release(self._pool, conn)
            raise StorageUnavailable(f"cannot LISTEN: {exc}") from exc
        return _PgSubscription(self._pool, conn)

    async def ping(self) -> None:
        """A trivial query."""
        await self.fetchrow("SELECT 1")

    async def close(self) -> None:
        """Close the pool."""
        await self._pool.close()

    @property
    def pool(self) -> Any:
        """The asyncpg pool (LISTEN/NOTIFY needs raw connections)."""
        return self._pool


def _listener(callback: Callable[[str], None]) -> Callable[[object, int, str, str], None]:
    def heard(_conn: object, _pid: int, _channel: str, payload: str) -> None:
        callback(payload)

    return heard


class _PgSubscription:
    """Listeners on one pooled connection, held until :meth:`close`."""

    def __init__(self, pool: Any, conn: Any) -> None:
        self._pool = pool
        self._conn = conn
        self._closed = False

    @property
    def alive(self) -> bool:
        """False once closed or when the server dropped the connection."""
        return not self._closed and not self._conn.is_closed()

    async def close(self) -> None:
        """Return the connection (listeners are removed by the pool's reset)."""
        if self._closed:
            return
        self._closed = True
        await _release(self._pool, self._conn)


async def _release(pool: Any, conn: Any) -> None:
    try:
        await pool.release(conn)
    except Exception:  # a broken connection is simply dropped
        log.debug("releasing the LISTEN connection failed", exc_info=True)
        conn.terminate()


def _wrap(exc: Exception) -> Exception:
    if isinstance(
        exc, asyncpg.exceptions.UniqueViolationError | asyncpg.exceptions.ForeignKeyViolationError
    ):
        return Conflict(str(exc))
    if isinstance(exc, _UNAVAILABLE):
        return StorageUnavailable(str(exc))
    if isinstance(exc, asyncpg.exceptions.DataError | asyncpg.exceptions.ProgramLimitExceededError):
        # A value the database cannot hold (too long to index, out of range, a NUL): the client's
        # input. Inputs are checked where they are read (naming the field); this is the net
        # behind them, and names no driver class.
        return InvalidInput("a value cannot be stored: too long, out of range or not text")
    return exc
