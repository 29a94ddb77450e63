"""``ThrottleRepository`` in SQL: failed-login counters shared by every API process."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from batchtask.storage.database import Database


class SqlThrottleRepository:
    """One row per throttle key (``user:…``, ``addr:…``, ``pair:…``)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def blocked_until(self, keys: Sequence[str], now: datetime) -> datetime | None:
        """The latest block still in force among ``keys``."""
        if not keys:
            return None
        placeholders = ", ".join("?" * len(keys))
        row = await self._db.fetchrow(
            "SELECT MAX(blocked_until) FROM login_failure"
            f" WHERE throttle_key IN ({placeholders}) AND blocked_until > ?",
            *keys,
            self._db.ts(now),
        )
        return None if row is None else self._db.instant(row[0])

    async def record_failure(self, key: str, now: datetime, window_seconds: int) -> int:
        """Count one failure; a key whose window has passed starts a new one."""
        stale = self._db.ts(now - timedelta(seconds=window_seconds))
        async with self._db.transaction() as db:
            row = await db.fetchrow(
                "INSERT INTO login_failure (throttle_key, window_start, failures) VALUES (?, ?, 1)"
                " ON CONFLICT (throttle_key) DO UPDATE SET"
                " failures = CASE WHEN login_failure.window_start <= ? THEN 1"
                " ELSE login_failure.failures + 1 END,"
                " window_start = CASE WHEN login_failure.window_start <= ?"
                " THEN excluded.window_start ELSE login_failure.window_start END"
                " RETURNING failures",
                key,
                self._db.ts(now),
                stale,
                stale,
            )
        assert row is not None  # noqa: S101 - RETURNING
        return int(row[0])

    async def block(self, key: str, until: datetime) -> None:
        """Block a key until an instant (a longer block already in force stays)."""
        await self._db.execute(
            "UPDATE login_failure SET blocked_until = ? WHERE throttle_key = ?"
            " AND (blocked_until IS NULL OR blocked_until < ?)",
            self._db.ts(until),
            key,
            self._db.ts(until),
        )

    async def clear(self, key: str) -> None:
        """Forget a key's failures."""
        await self._db.execute("DELETE FROM login_failure WHERE throttle_key = ?", key)
