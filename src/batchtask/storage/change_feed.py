"""``ChangeFeed`` in SQL (``sql/changes.sql``): the ``batchtask_change`` log that triggers append to
(migration 0004).

Reading joins each change with the task's current row, so a page carries what the stream sends:
a deleted task has no row and comes back with ``state`` ``None`` (its name from the definition
the change row remembers). On PostgreSQL a page that skips a number also carries the snapshot's
transaction horizon (see ``domain.change.ChangePage``); ``listen`` LISTENs on the channel the
trigger NOTIFYs at commit. SQLite has no push: readers poll :meth:`latest`, one index probe.
"""

from __future__ import annotations

from collections.abc import Callable

from batchtask.domain.change import ChangePage, TaskChange
from batchtask.domain.ports import Subscription
from batchtask.storage.database import Database
from batchtask.storage.queries import load
from batchtask.storage.task_rows import state

#: The channel the change trigger NOTIFYs (constant payload: one notification per transaction).
CHANNEL_CHANGE = "batchtask_change"
#: The most changes one :meth:`SqlChangeFeed.prune` call deletes.
PRUNE_BATCH = 50_000


class SqlChangeFeed:
    """The change log over one ``Database``."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._sql = load("changes", db)

    async def read(self, after: int, limit: int) -> ChangePage:
        """Up to ``limit`` changes above ``after`` with the tasks' current state."""
        rows = await self._sql.read.fetch(self._db, after=after, limit=limit)
        changes = tuple(
            TaskChange(
                change_id=int(row[0]),
                task_id=int(row[1]),
                associate_id=int(row[2]),
                name=str(row[3]),
                state=None if row[4] is None else state(row[4]),
                progress_percent=int(row[5] or 0),
                progress_description=str(row[6] or ""),
                start_count=int(row[7] or 0),
            )
            for row in rows
        )
        contiguous = all(
            change.change_id == after + offset for offset, change in enumerate(changes, start=1)
        )
        if contiguous:
            return ChangePage(changes)
        horizon = await self._sql.horizon.fetchrow(self._db)
        assert horizon is not None  # noqa: S101 - a SELECT without FROM conditions
        return ChangePage(changes, in_flight_below=int(horizon[1]), finished_below=int(horizon[0]))

    async def latest(self) -> int:
        """The highest change number, 0 when the log is empty."""
        row = await self._sql.latest.fetchrow(self._db)
        return 0 if row is None or row[0] is None else int(row[0])

    async def oldest(self) -> int:
        """The lowest change number kept, 0 when the log is empty."""
        row = await self._sql.oldest.fetchrow(self._db)
        return 0 if row is None or row[0] is None else int(row[0])

    async def prune(self, *, keep: int) -> int:
        """Delete all but the newest ``keep`` changes (at most :data:`PRUNE_BATCH` per call)."""
        latest, oldest = await self.latest(), await self.oldest()
        through = min(latest - keep, oldest + PRUNE_BATCH)
        if through < oldest or latest == 0:
            return 0
        return await self._sql.prune.execute(self._db, through=through)

    async def listen(self, on_change: Callable[[], None]) -> Subscription | None:
        """Be told at commit that changes were written (PostgreSQL); ``None`` on SQLite."""
        return await self._db.listen({CHANNEL_CHANGE: lambda _: on_change()})
