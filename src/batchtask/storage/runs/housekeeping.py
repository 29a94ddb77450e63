"""Housekeeping: the reaper, retention, periodic system tasks and push notifications."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from batchtask.domain.ports import Subscription, TaskEvent
from batchtask.domain.state import FINISHED, BatchTaskState, CancellationBehaviour
from batchtask.domain.task import SYSTEM_ASSOCIATE, NewTask
from batchtask.storage import event_log, parameter_blobs
from batchtask.storage.database import Database
from batchtask.storage.definitions import definition_id
from batchtask.storage.queries import load
from batchtask.storage.runs.attempts import Attempts
from batchtask.storage.runs.part import CANCELLED, CHANNEL_CANCEL, CHANNEL_NEW, WORKER_LOST
from batchtask.storage.task_repository import SqlTaskRepository
from batchtask.storage.task_rows import state


class Housekeeping(Attempts):
    """What keeps the queue healthy without a worker asking for it."""

    def __init__(self, db: Database, tasks: SqlTaskRepository) -> None:
        super().__init__(db, tasks)
        self._housekeeping = load("housekeeping", db)

    async def reap(
        self, *, now: datetime, actor: str, limit: int = 100
    ) -> list[tuple[int, BatchTaskState]]:
        """Leases expired on the database's clock → ``New`` if starts remain, else ``Failed``
        ``[SR_BATCH_WORKER_LOST]``; ``now`` stamps the changes and their events."""
        sql = self._housekeeping
        reaped: list[tuple[int, BatchTaskState]] = []
        async with self._db.transaction() as db:
            rows = await sql.expired.fetch(db, limit=limit)
            for task_id, start_count, releases, stored, cancel, restarts, owner in rows:
                before = state(stored)
                why = f"lease of {owner} expired"
                if cancel is not None or start_count - releases > restarts:
                    response = CANCELLED if cancel is not None else WORKER_LOST
                    await self.fail(db, task_id, start_count, before, response, now=now,
                                    actor=actor, reason=why)  # fmt: skip
                    reaped.append((task_id, BatchTaskState.Failed))
                    continue
                await sql.requeue_expired.execute(
                    db, now=db.ts(now), task_id=task_id, start_count=start_count, before=stored
                )
                await event_log.append(
                    db, TaskEvent(task_id, now, actor, before, BatchTaskState.New, start_count, why)
                )
                reaped.append((task_id, BatchTaskState.New))
        return reaped

    async def purge(self, finished: BatchTaskState, *, before: datetime, limit: int = 500) -> int:
        """Delete up to ``limit`` tasks in ``finished`` last changed before ``before``, with
        their parameter blobs and event log. ``SucceededManualCleanup`` is never purged."""
        if finished not in FINISHED or finished is BatchTaskState.SucceededManualCleanup:
            raise ValueError(f"{finished.name} tasks are never purged")
        async with self._db.transaction() as db:
            rows = await self._housekeeping.purgeable.fetch(
                db, state=int(finished), before=db.ts(before), limit=limit
            )
            if not rows:
                return 0
            ids = [int(row[0]) for row in rows]
            await parameter_blobs.delete_of(db, ids)
            await event_log.delete_of(db, ids)
            return await load("tasks", db).delete_tasks.execute(db, task_ids=db.array(ids))

    async def purge_orphan_events(self, *, before: datetime, limit: int = 500) -> int:
        """Delete the history of up to ``limit`` tasks that are gone (deleted through the API or
        by hand: their lines outlive them) and whose newest line is older than ``before``."""
        async with self._db.transaction() as db:
            rows = await self._housekeeping.orphan_histories.fetch(
                db, before=db.ts(before), limit=limit
            )
            ids = [int(row[0]) for row in rows]
            if ids:
                await event_log.delete_of(db, ids)
            return len(ids)

    async def ensure_periodic(
        self, name: str, *, interval: float, now: datetime, description: str, actor: str
    ) -> int | None:
        """Create the next system task of ``name`` unless one is waiting or running."""
        sql = self._housekeeping
        async with self._db.transaction() as db:
            await db.lock(f"periodic:{name.casefold()}")
            definition = await definition_id(db, name, now, CancellationBehaviour.CanCancel)
            latest = now + timedelta(seconds=interval)
            await sql.pull_in_periodic.execute(db, latest=db.ts(latest), definition_id=definition)
            if await sql.pending_of_definition.fetchrow(db, definition_id=definition) is not None:
                return None
            row = await sql.last_system_run.fetchrow(db, definition_id=definition)
            last = None if row is None else db.instant(row[0])
            # a last run more than an interval ahead: the clock was moved back (the emulator)
            due = (
                now
                if last is None or last > latest
                else max(now, last + timedelta(seconds=interval))
            )
            task_id = await self._tasks.create(
                NewTask(name=name, associate_id=SYSTEM_ASSOCIATE, description=description),
                now=now,
                actor=actor,
            )
            await sql.set_run_after.execute(db, run_after=db.ts(due), task_id=task_id)
        return task_id

    async def listen(
        self, on_new: Callable[[], None], on_cancel: Callable[[int], None]
    ) -> Subscription | None:
        """Pushes of new work and stop requests (PostgreSQL); ``None`` when the engine polls."""

        def cancel(payload: str) -> None:
            if payload.isdigit():
                on_cancel(int(payload))

        return await self._db.listen({CHANNEL_NEW: lambda _: on_new(), CHANNEL_CANCEL: cancel})
