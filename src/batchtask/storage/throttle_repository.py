"""``ThrottleRepository`` in SQL (``sql/throttle.sql``): login-attempt counters shared by every
API process.

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
from batchtask.storage.queries import load

#: ``window_start`` of a row created only to be locked: "no window yet" (the column is NOT NULL).
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class SqlThrottleRepository:
    """One row per throttle key (``user:…``, ``addr:…``, ``pair:…``)."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._sql = load("throttle", db)

    async def read(self, keys: Sequence[str]) -> dict[str, ThrottleCounter]:
        """The counters of ``keys``; missing keys read as empty counters."""
        ordered = sorted(set(keys))
        if not ordered:
            return {}
        rows = await self._sql.read.fetch(self._db, keys=self._db.array(ordered))
        return self._counters(self._db, ordered, rows)

    async def change(self, keys: Sequence[str], change: ThrottleChange) -> None:
        """Lock the keys' rows, let ``change`` decide, store what it returns (one transaction)."""
        ordered = sorted(set(keys))
        if not ordered:
            return
        async with self._db.transaction() as db:
            await self._sql.ensure.execute(db, keys=db.array(ordered), epoch=db.ts(_EPOCH))
            rows = await self._sql.lock.fetch(db, keys=db.array(ordered))
            for counter in change(self._counters(db, ordered, rows)):
                await self._sql.store.execute(
                    db,
                    key=counter.key,
                    window_start=db.ts(counter.window_start or _EPOCH),
                    attempts=counter.attempts,
                    blocked_until=db.ts(counter.blocked_until),
                    succeeded_at=db.ts(counter.succeeded_at),
                )

    @staticmethod
    def _counters(db: Database, keys: list[str], rows: list[Row]) -> dict[str, ThrottleCounter]:
        found = {}
        for row in rows:
            start = db.instant(row[1])
            found[str(row[0])] = ThrottleCounter(
                key=str(row[0]),
                window_start=None if start is None or start == _EPOCH else start,
                attempts=int(row[2]),
                blocked_until=db.instant(row[3]),
                succeeded_at=db.instant(row[4]),
            )
        return {key: found.get(key) or ThrottleCounter(key) for key in keys}
