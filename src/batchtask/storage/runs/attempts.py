"""Attempts: the fenced writes of the worker holding tasks, many attempts per statement, and Stop
(SPEC §8.2–§8.4)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from itertools import groupby

from batchtask.domain.ports import Attempt, Completion, End, Requeue, TaskEvent
from batchtask.domain.state import FINISHED, BatchTaskState, CancellationBehaviour
from batchtask.storage import event_log
from batchtask.storage.database import Database
from batchtask.storage.definitions import clip
from batchtask.storage.queries import load
from batchtask.storage.runs.part import CANCELLED, SUCCESS, Part
from batchtask.storage.task_repository import SqlTaskRepository
from batchtask.storage.task_rows import state

_STOPPABLE_AT_ONCE = frozenset({BatchTaskState.New, BatchTaskState.Aquired})


def _clipped(text: str | None, field: str) -> str | None:
    return None if text is None else clip(text, field)


def end_fields(db: Database, attempt: Attempt, end: End) -> dict[str, object]:
    """One element of ``:ends`` (``sql/attempts.sql``)."""
    fields: dict[str, object] = {"id": attempt.task_id, "sc": attempt.start_count}
    if isinstance(end, Requeue):
        return fields | {
            "state": int(BatchTaskState.New),
            "response": _clipped(end.response, "Response"),
            "run_after": None if end.run_after is None else str(db.ts(end.run_after)),
            "released": 1 if end.released else 0,
            "reason": end.reason,
        }
    if end.state not in FINISHED:
        raise ValueError(f"not a finished state: {end.state!r}")
    percent = end.progress_percent
    return fields | {
        "state": int(end.state),
        "response": clip(end.response, "Response"),
        "result": end.result,
        "file_name": _clipped(end.file_name, "FileName"),
        "percent": None if percent is None else max(0, min(100, percent)),
        "description": _clipped(end.progress_description, "ProgressDescription"),
        "released": 0,
        "reason": end.reason,
    }


class Attempts(Part):
    """Start, end (finish, retry, release) and Stop."""

    def __init__(self, db: Database, tasks: SqlTaskRepository) -> None:
        super().__init__(db, tasks)
        self._attempts = load("attempts", db)

    async def start_many(
        self, attempts: Sequence[Attempt], *, now: datetime, lease: float
    ) -> set[int]:
        """``Aquired`` → ``Started`` for every attempt still held (one statement per worker);
        LastStarted = now, progress, Response and Result reset. The ids that started."""
        started: set[int] = set()
        db = self._db
        for owner, group in groupby(sorted(attempts, key=_by_owner), key=_by_owner):
            batch = list(group)
            rows = await self._attempts.start.fetch(
                db, now=db.ts(now), actor=f"worker:{owner}", lease=float(lease),
                fences=db.pairs([(a.task_id, a.start_count) for a in batch]),
            )  # fmt: skip
            started.update(int(row[0]) for row in rows)
        return started

    async def start(self, attempt: Attempt, *, now: datetime, lease: float) -> bool:
        """``Aquired`` → ``Started`` for one attempt."""
        return attempt.task_id in await self.start_many([attempt], now=now, lease=lease)

    async def conclude(
        self, ends: Sequence[tuple[Attempt, End]], *, now: datetime
    ) -> list[BatchTaskState | None]:
        """End many attempts (one statement per worker); the state written for each, ``None``
        where the attempt was fenced out. A requested Stop turns success, retry and release into
        ``Failed``/[SR_BATCH_CANCELLED]; internal tasks that succeeded are deleted."""
        db = self._db
        written: dict[int, BatchTaskState] = {}
        for owner, group in groupby(
            sorted(ends, key=lambda e: _by_owner(e[0])), key=lambda e: _by_owner(e[0])
        ):
            batch = list(group)
            payload = json.dumps([end_fields(db, attempt, end) for attempt, end in batch])
            rows = await self._attempts.conclude.fetch(
                db, ends=payload, now=db.ts(now), actor=f"worker:{owner}"
            )
            finished_internal = []
            for row in rows:
                final = state(row[1])
                written[int(row[0])] = final
                if bool(row[2]) and final in SUCCESS:
                    finished_internal.append(int(row[0]))
            if finished_internal:
                await self._tasks.delete(finished_internal, now=now, actor=f"worker:{owner}")
        return [written.get(attempt.task_id) for attempt, _ in ends]

    async def finish(
        self, attempt: Attempt, completion: Completion, *, now: datetime
    ) -> BatchTaskState | None:
        """End one attempt as ``completion`` says (a requested Stop wins over success)."""
        (written,) = await self.conclude([(attempt, completion)], now=now)
        return written

    async def retry(
        self, attempt: Attempt, *, now: datetime, run_after: datetime, response: str
    ) -> BatchTaskState | None:
        """Back to ``New`` not before ``run_after``; ``Failed``/cancelled when a Stop was asked."""
        seconds = max(0.0, (run_after - now).total_seconds())
        again = Requeue(run_after, response, released=False, reason=f"retry in {seconds:.1f} s")
        (written,) = await self.conclude([(attempt, again)], now=now)
        return written

    async def release(self, attempt: Attempt, *, now: datetime) -> BatchTaskState | None:
        """Back to ``New`` at once (worker shutting down); not counted against the retries."""
        (written,) = await self.conclude(
            [(attempt, Requeue(None, None, released=True, reason="released"))], now=now
        )
        return written

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


def _by_owner(attempt: Attempt) -> str:
    return attempt.owner
