"""``ChangeFeed`` in SQL: the ``batchtask_change`` log that triggers append to (migration 0004).

Reading joins each change with the task's current row, so a page carries what the stream sends:
a deleted task has no row and comes back with ``state`` ``None`` (its name from the definition
the change row remembers). On PostgreSQL a page that skips a number also carries the snapshot's
transaction horizon (see ``domain.change.ChangePage``); ``listen`` LISTENs on the channel the
trigger NOTIFYs at commit. SQLite has no push: readers poll :meth:`latest`, one index probe.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from batchtask.domain.change import ChangePage, TaskChange
from batchtask.domain.errors import StorageUnavailable
from batchtask.domain.ports import Subscription
from batchtask.domain.state import BatchTaskState
from batchtask.storage.database import Database
from batchtask.storage.run_repository import _PgSubscription, _release

#: The channel the change trigger NOTIFYs (constant payload: one notification per transaction).
CHANNEL_CHANGE = "batchtask_change"
#: The most changes one :meth:`SqlChangeFeed.prune` call deletes.
PRUNE_BATCH = 50_000
_STATES = {member.value: member for member in BatchTaskState}


class SqlChangeFeed:
    """The change log over one ``Database``."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def read(self, after: int, limit: int) -> ChangePage:
        """Up to ``limit`` changes above ``after`` with the tasks' current state."""
        rows = await self._db.fetch(
            "SELECT c.change_id, c.batchtask_id, c.associate_id, COALESCE(d.name, ''), t.state,"
            " t.progresspercent, t.progressdescription, t.startcount FROM batchtask_change c"
            " LEFT JOIN batchtask t ON t.batchtask_id = c.batchtask_id"
            " LEFT JOIN batchtaskdefinition d ON d.batchtaskdefinition_id"
            " = COALESCE(t.batchtaskdefinition_id, c.batchtaskdefinition_id)"
            " WHERE c.change_id > ? ORDER BY c.change_id LIMIT ?",
            after,
            limit,
        )
        changes = tuple(
            TaskChange(
                change_id=int(row[0]),
                task_id=int(row[1]),
                associate_id=int(row[2]),
                name=str(row[3]),
                state=None if row[4] is None else _STATES.get(row[4], BatchTaskState.Unknown),
                progress_percent=int(row[5] or 0),
                progress_description=str(row[6] or ""),
                start_count=int(row[7] or 0),
            )
            for row in rows
        )
        contiguous = all(
            change.change_id == after + offset for offset, change in enumerate(changes, start=1)
        )
        if contiguous or self._db.dialect != "postgres":
            return ChangePage(changes)
        horizon = await self._db.fetchrow(
            "SELECT pg_snapshot_xmin(s)::text, pg_snapshot_xmax(s)::text"
            " FROM pg_current_snapshot() AS s"
        )
        assert horizon is not None  # noqa: S101 - a SELECT without FROM conditions
        return ChangePage(changes, in_flight_below=int(horizon[1]), finished_below=int(horizon[0]))

    async def latest(self) -> int:
        """The highest change number, 0 when the log is empty."""
        row = await self._db.fetchrow("SELECT MAX(change_id) FROM batchtask_change")
        return 0 if row is None or row[0] is None else int(row[0])

    async def oldest(self) -> int:
        """The lowest change number kept, 0 when the log is empty."""
        row = await self._db.fetchrow("SELECT MIN(change_id) FROM batchtask_change")
        return 0 if row is None or row[0] is None else int(row[0])

    async def prune(self, *, keep: int) -> int:
        """Delete all but the newest ``keep`` changes (at most :data:`PRUNE_BATCH` per call)."""
        latest, oldest = await self.latest(), await self.oldest()
        through = min(latest - keep, oldest + PRUNE_BATCH)
        if through < oldest or latest == 0:
            return 0
        return await self._db.execute("DELETE FROM batchtask_change WHERE change_id <= ?", through)

    async def listen(self, on_change: Callable[[], None]) -> Subscription | None:
        """LISTEN on a dedicated pooled connection (PostgreSQL); ``None`` on SQLite."""
        if self._db.dialect != "postgres":
            return None
        pool: Any = getattr(self._db, "pool")  # noqa: B009 - PostgreSQL engine only

        def changed(_conn: object, _pid: int, _channel: str, _payload: str) -> None:
            on_change()

        try:
            conn = await pool.acquire()
        except Exception as exc:  # any driver failure means "no push right now"
            raise StorageUnavailable(f"cannot LISTEN: {exc}") from exc
        try:
            await conn.add_listener(CHANNEL_CHANGE, changed)
        except Exception as exc:
            await _release(pool, conn)
            raise StorageUnavailable(f"cannot LISTEN: {exc}") from exc
        return _PgSubscription(pool, conn)
