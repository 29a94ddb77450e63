"""The task event log (``batchtask_event``): one append-only line per transition, written in the
transaction that makes the transition. The one module that writes, reads and deletes it.

History outlives the task (no foreign key), except when retention purges the task with it; the
history of a task deleted otherwise (the API) goes with retention too, once older than its longest
TTL (``purge_orphan_events``). The
partial unique index on claim lines (one ``to_state = Aquired`` line per task and StartCount)
makes a second claim of one attempt impossible: that insert fails and rolls the claim back.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from batchtask.domain.ports import TaskEvent
from batchtask.domain.state import BatchTaskState
from batchtask.storage.database import Database
from batchtask.storage.queries import load
from batchtask.storage.task_rows import STATES


async def append(db: Database, *events: TaskEvent) -> None:
    """Append lines (inside the caller's transaction); several go in one statement."""
    if not events:
        return
    queries = load("event_log", db)
    if len(events) == 1:
        (event,) = events
        await queries.append.execute(
            db,
            task_id=event.task_id,
            at=db.ts(event.at),
            actor=event.actor,
            from_state=None if event.from_state is None else int(event.from_state),
            to_state=int(event.to_state),
            start_count=event.start_count,
            reason=event.reason,
            source=event.source,
        )
        return
    # Instants travel as the engine's text of them (SQLite stores that text; PostgreSQL casts it).
    payload = json.dumps(
        [
            [
                event.task_id,
                str(db.ts(event.at)),
                event.actor,
                None if event.from_state is None else int(event.from_state),
                int(event.to_state),
                event.start_count,
                event.reason,
                event.source,
            ]
            for event in events
        ]
    )
    await queries.append_many.execute(db, events=payload)


async def of_task(db: Database, task_id: int) -> list[TaskEvent]:
    """The lines of one task, oldest first."""
    rows = await load("event_log", db).events_of.fetch(db, task_id=task_id)
    out = []
    for row in rows:
        at = db.instant(row[1])
        assert at is not None  # noqa: S101 - NOT NULL column
        out.append(
            TaskEvent(
                task_id=row[0],
                at=at,
                actor=row[2],
                from_state=None if row[3] is None else STATES.get(row[3]),
                to_state=STATES.get(row[4], BatchTaskState.Unknown),
                start_count=row[5],
                reason=row[6],
                source=row[7],
            )
        )
    return out


async def delete_of(db: Database, task_ids: Sequence[int]) -> None:
    """Forget the history of purged tasks."""
    await load("event_log", db).delete_events.execute(db, task_ids=db.array(list(task_ids)))
