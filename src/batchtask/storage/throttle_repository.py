"""``ThrottleRepository`` in SQL: login-attempt counters shared by every API process.

Why a read-modify-write under a lock rather than separate check and count statements: a check
followed later by a count lets every request that arrives at once pass the check before any is
counted (300 parallel guesses were all hashed). ``change`` runs in one write transaction —
``BEGIN IMMEDIATE`` on SQLite, which serialises writers across processes; on PostgreSQL the rows
are created if missing and locked ``FOR UPDATE`` in key order (so two calls never deadlock) —
and the decision is made on the locked rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from batchtask.domain.ports import ThrottleChange, ThrottleCounter
from batchtask.storage.database import Database, Row

_COLUMNS = "throttle_key, window_start, failures, blocked_until, succeeded_at"
#: ``window_start`` of a row created only to be locked: "no window yet" (the column is NOT NULL).
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class SqlThrottleRepository:
    """One row per throttle key (``user:…``, ``addr:…``, ``pair:…``)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def read(self, keys: Sequence[str]) -> dict[str, ThrottleCounter]:
        """The counters of ``keys``; missing keys read as empty counters."""
        return await self._rows(self._db, sorted(set(keys)), lock=False)

    async def change(self, keys: Sequence[str], change: ThrottleChange) -> None:
        """Lock the keys' rows, let ``change`` decide, store what it returns (one transaction)."""
        ordered = sorted(set(keys))
        async with self._db.transaction() as db:
            if db.dialect == "postgres":
                # Rows must exist to be locked; inserted in key order like the lock below.
                await db.execute(
                    "INSERT INTO login_failure (throttle_key, window_start, failures)"
                    " SELECT k, ?, 0 FROM unnest(?::text[]) AS k ORDER BY k"
                    " ON CONFLICT (throttle_key) DO NOTHING",
                    db.ts(_EPOCH),
                    ordered,
                )
            counters = await self._rows(db, ordered, lock=db.dialect == "postgres")
            for counter in change(counters):
                await db.execute(
                    "INSERT INTO login_failure (" + _COLUMNS + ") VALUES (?, ?, ?, ?, ?)"
                    " ON CONFLICT (throttle_key) DO UPDATE SET window_start ="
                    " excluded.window_start, failures = excluded.failures,"
                    " blocked_until = excluded.blocked_until, succeeded_at = excluded.succeeded_at",
                    counter.key,
                    db.ts(counter.window_start or _EPOCH),
                    counter.attempts,
                    db.ts(counter.blocked_until),
                    db.ts(counter.succeeded_at),
                )

    async def _rows(
        self, db: Database, keys: list[str], *, lock: bool
    ) -> dict[str, ThrottleCounter]:
        if not keys:
            return {}
        placeholders = ", ".join("?" * len(keys))
        rows = await db.fetch(
            f"SELECT {_COLUMNS} FROM login_failure WHERE throttle_key IN ({placeholders})"
            + (" ORDER BY throttle_key FOR UPDATE" if lock else ""),
            *keys,
        )
        found = {str(row[0]): self._counter(db, row) for row in rows}
        return {key: found.get(key) or ThrottleCounter(key) for key in keys}

    @staticmethod
    def _counter(db: Database, row: Row) -> ThrottleCounter:
        start = db.instant(row[1])
        return ThrottleCounter(
            key=str(row[0]),
            window_start=None if start is None or start == _EPOCH else start,
            attempts=int(row[2]),
            blocked_until=db.instant(row[3]),
            succeeded_at=db.instant(row[4]),
        )
