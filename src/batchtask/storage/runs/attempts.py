"""Attempts: the fenced writes of the worker holding a task, and Stop (SPEC §8.2–§8.4)."""

from __future__ import annotations

from datetime import datetime

from batchtask.domain.ports import Attempt, Completion, TaskEvent
from batchtask.domain.state import FINISHED, BatchTaskState, CancellationBehaviour
from batchtask.storage import event_log
from batchtask.storage.database import Database
from batchtask.storage.definitions import clip
from batchtask.storage.queries import load
from batchtask.storage.runs.part import CANCELLED, SUCCESS, Part, actor
from batchtask.storage.task_repository import SqlTaskRepository
from batchtask.storage.task_rows import state

_STOPPABLE_AT_ONCE = frozenset({BatchTaskState.New, BatchTaskState.Aquired})


class Attempts(Part):
    """Start, finish, retry, release and Stop."""

    def __init__(self, db: Database, tasks: SqlTaskRepository) -> None:
        super().__init__(db, tasks)
        self._attempts = load("attempts", db)

    async def start(self, attempt: Attempt, *, now: datetime, lease_expires: datetime) -> bool:
        """``Aquired`` → ``Started``; LastStarted = now; progress, Response and Result reset."""
        db = self._db
        row = await self._attempts.start.fetchrow(
            db, now=db.ts(now), lease_expires=db.ts(lease_expires), task_id=attempt.task_id,
            start_count=attempt.start_count, actor=actor(attempt),
        )  # fmt: skip
        return row is not None

    async def finish(
        self, attempt: Attempt, completion: Completion, *, now: datetime
    ) -> BatchTaskState | None:
        """End the attempt; a requested Stop turns success into ``Failed``/cancelled."""
        if completion.state not in FINISHED:
            raise ValueError(f"not a finished state: {completion.state!r}")
        async with self._db.transaction() as db:
            held = await self._held(db, attempt)
            if held is None:
                return None
            before, cancel_requested, internal = held
            final, response, reason = completion.state, completion.response, completion.reason
            if final in SUCCESS and cancel_requested:
                final, response, reason = BatchTaskState.Failed, CANCELLED, "stopped"
            await self._attempts.finish.execute(
                db,
                state=int(final),
                response=clip(response, "Response"),
                result=completion.result,
                file_name=None
                if completion.file_name is None
                else clip(completion.file_name, "FileName"),
                progress_percent=None
                if completion.progress_percent is None
                else max(0, min(100, completion.progress_percent)),
                progress_description=None
                if completion.progress_description is None
                else clip(completion.progress_description, "ProgressDescription"),
                now=db.ts(now),
                task_id=attempt.task_id,
                start_count=attempt.start_count,
            )
            await event_log.append(
                db,
                TaskEvent(
                    attempt.task_id, now, actor(attempt), before, final, attempt.start_count,
                    reason,
                ),
            )  # fmt: skip
            if internal and final in SUCCESS:
                await self._tasks.delete([attempt.task_id], now=now, actor=actor(attempt))
        return final

    async def retry(
        self, attempt: Attempt, *, now: datetime, run_after: datetime, response: str
    ) -> BatchTaskState | None:
        """Back to ``New`` not before ``run_after``; ``Failed``/cancelled when a Stop was asked."""
        seconds = max(0.0, (run_after - now).total_seconds())
        return await self._requeue(
            attempt, now=now, run_after=run_after, response=response, released=False,
            reason=f"retry in {seconds:.1f} s",
        )  # fmt: skip

    async def release(self, attempt: Attempt, *, now: datetime) -> BatchTaskState | None:
        """Back to ``New`` at once (worker shutting down); not counted against the retries."""
        return await self._requeue(
            attempt, now=now, run_after=None, response=None, released=True, reason="released"
        )

    async def _requeue(
        self,
        attempt: Attempt,
        *,
        now: datetime,
        run_after: datetime | None,
        response: str | None,
        released: bool,
        reason: str,
    ) -> BatchTaskState | None:
        async with self._db.transaction() as db:
            held = await self._held(db, attempt)
            if held is None:
                return None
            before, cancel_requested, _ = held
            if cancel_requested:
                await self.fail(db, attempt.task_id, attempt.start_count, before, CANCELLED,
                                now=now, actor=actor(attempt), reason="stopped")  # fmt: skip
                return BatchTaskState.Failed
            await self._attempts.requeue.execute(
                db,
                run_after=db.ts(run_after),
                response=None if response is None else clip(response, "Response"),
                released=1 if released else 0,
                now=db.ts(now),
                task_id=attempt.task_id,
                start_count=attempt.start_count,
            )
            await event_log.append(
                db,
                TaskEvent(
                    attempt.task_id, now, actor(attempt), before, BatchTaskState.New,
                    attempt.start_count, reason,
                ),
            )  # fmt: skip
        return BatchTaskState.New

    async def _held(
        self, db: Database, attempt: Attempt
    ) -> tuple[BatchTaskState, bool, bool] | None:
        """(state, stop requested, internal) of a still-held attempt, locked; else ``None``."""
        row = await self._attempts.held.fetchrow(
            db, task_id=attempt.task_id, start_count=attempt.start_count
        )
        if row is None:
            return None
        return state(row[0]), row[1] is not None, bool(row[2])

    async def fail(
        self,
        db: Database,
        task_id: int,
        start_count: int,
        before: BatchTaskState,
        response: str,
        *,
        now: datetime,
        actor: str,
        reason: str,
        source: str = "",
    ) -> None:
        """``Failed`` now, fenced on what the caller read (inside its transaction)."""
        await self._attempts.fail.execute(
            db, response=response, now=db.ts(now), task_id=task_id, start_count=start_count,
            before=int(before),
        )  # fmt: skip
        await event_log.append(
            db,
            TaskEvent(
                task_id, now, actor, before, BatchTaskState.Failed, start_count, reason, source
            ),
        )

    async def request_stop(
        self, task_id: int, *, now: datetime, actor: str, source: str = ""
    ) -> bool:
        """SPEC §8.4. ``New``/``Aquired`` (and ``Started`` without a local lease) fail at once;
        ``Started`` gets ``cancel_requested`` (pushed by NOTIFY on PostgreSQL)."""
        sql = self._attempts
        async with self._db.transaction() as db:
            row = await sql.stop_target.fetchrow(db, task_id=task_id)
            if row is None or row[2] == CancellationBehaviour.CannotCancel:
                return False
            current, start_count = state(row[0]), int(row[1])
            if current in _STOPPABLE_AT_ONCE or (
                current is BatchTaskState.Started and row[4] is None
            ):
                await sql.mark_stopped.execute(db, now=db.ts(now), task_id=task_id)
                await self.fail(db, task_id, start_count, current, CANCELLED, now=now,
                                actor=actor, reason="stopped", source=source)  # fmt: skip
                return True
            if current is not BatchTaskState.Started:
                return False
            if row[3] is None:
                await sql.request_stop.execute(db, now=db.ts(now), task_id=task_id)
                await event_log.append(
                    db,
                    TaskEvent(
                        task_id,
                        now,
                        actor,
                        current,
                        current,
                        start_count,
                        "stop requested",
                        source,
                    ),
                )
        return True
