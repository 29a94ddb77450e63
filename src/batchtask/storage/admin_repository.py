"""``AdminRepository`` in SQL (``sql/admin.sql``): the console's task page, bulk selections, retry
and bulk stop.

**The page** is one ``SELECT`` of the task columns for ``top`` rows and one ``COUNT(*)`` over the
same ``WHERE``; the count skips the definition join unless the selection needs it, so a page of
the newest tasks or of one state costs two index walks however many tasks there are (migration
0004 adds the indexes: ``bench/console_bench.py`` measures it over 100,000 tasks).

**Free text** matches Name, Description and Result case-insensitively, as ``contains`` does in a
``$filter`` (``LIKE`` with ``%``, ``_`` and ``\\`` escaped, the value always bound).

**Bulk writes** run in transactions of at most :data:`CHUNK` tasks, so a 10,000-task action
never holds the write lock for long; each task's change is logged with the actor and source.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from batchtask.domain.clock import SystemClock
from batchtask.domain.ports import TaskEvent
from batchtask.domain.state import BatchTaskState, CancellationBehaviour
from batchtask.domain.task_list import TaskBrief, TaskListQuery, TaskPage, TaskSelection
from batchtask.storage import event_log
from batchtask.storage.database import Database, Row
from batchtask.storage.filter_sql import bind, compile_filter, compile_order_by
from batchtask.storage.queries import load
from batchtask.storage.runs import SqlRunRepository
from batchtask.storage.task_rows import state, task_from_row

#: Tasks per transaction of a bulk write.
CHUNK = 500
_CANCELLATION = {member.value: member for member in CancellationBehaviour}
#: Free text: Name, Description or Result contains it (the WHERE part of a selection).
_TEXT = (
    "(LOWER(COALESCE(d.name, '')) LIKE ? ESCAPE '\\'"
    " OR LOWER(t.description) LIKE ? ESCAPE '\\' OR LOWER(t.result) LIKE ? ESCAPE '\\')"
)


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class SqlAdminRepository:
    """The console's reads and bulk writes over one ``Database``."""

    def __init__(self, db: Database, runs: SqlRunRepository) -> None:
        self._db = db
        self._runs = runs
        self._sql = load("admin", db)

    def _where(self, selection: TaskSelection) -> tuple[str, list[object]]:
        """``WHERE …`` (or ``""``) over ``t`` and ``d``, and its bound arguments."""
        parts: list[str] = []
        args: list[object] = []
        if selection.filter is not None:
            sql, filter_args = compile_filter(
                selection.filter,
                self._db,
                now=selection.now or SystemClock().now(),
                zone=selection.zone or ZoneInfo("UTC"),
                associate_id=selection.associate_id,
            )
            parts.append(sql)
            args += bind(filter_args, self._db)
        text = selection.text.strip()
        if text:
            parts.append(_TEXT)
            args += [_like(text)] * 3
        return (" WHERE " + " AND ".join(parts)) if parts else "", args

    async def page(self, query: TaskListQuery) -> TaskPage:
        """The page's tasks (with their owners' names) and the number matching in all."""
        where, args = self._where(query.selection)
        order = compile_order_by(query.order, self._db) if query.order else "t.batchtask_id DESC"
        rows = await self._db.fetch(
            f"{self._sql.page_head.sql}{where} ORDER BY {order} LIMIT ? OFFSET ?",
            *args,
            query.top,
            query.skip,
        )
        tasks = [task_from_row(self._db, row) for row in rows]
        owners = {task.associate_id: str(row[-1]) for task, row in zip(tasks, rows, strict=True)}
        count = await self._count(where, args)
        return TaskPage(tasks, count, owners)

    async def _count(self, where: str, args: Sequence[object]) -> int:
        head = self._sql.count_head_with_definition if "d." in where else self._sql.count_head
        row = await self._db.fetchrow(f"{head.sql}{where}", *args)
        return 0 if row is None else int(row[0])

    async def count(self, selection: TaskSelection) -> int:
        """How many tasks match a selection."""
        where, args = self._where(selection)
        return await self._count(where, args)

    async def briefs(self, task_ids: Sequence[int]) -> list[TaskBrief]:
        """What bulk actions need to know about these tasks, by id."""
        out: list[TaskBrief] = []
        unique = sorted(set(task_ids))
        for start in range(0, len(unique), CHUNK):
            rows = await self._sql.briefs.fetch(
                self._db, task_ids=self._db.array(unique[start : start + CHUNK])
            )
            out += [self._brief(row) for row in rows]
        return out

    async def matching(self, selection: TaskSelection, limit: int) -> list[TaskBrief]:
        """Up to ``limit`` tasks of a selection, by id."""
        where, args = self._where(selection)
        rows = await self._db.fetch(
            f"{self._sql.brief_head.sql}{where} ORDER BY t.batchtask_id LIMIT ?", *args, limit
        )
        return [self._brief(row) for row in rows]

    def _brief(self, row: Row) -> TaskBrief:
        return TaskBrief(
            id=int(row[0]),
            associate_id=int(row[1]),
            state=state(row[2]),
            cancellation=_CANCELLATION.get(row[3], CancellationBehaviour.CanCancel),
            stop_requested=row[4] is not None,
        )

    async def retry(
        self, task_ids: Sequence[int], *, now: datetime, actor: str, source: str
    ) -> list[int]:
        """Finished tasks back to ``New``: progress cleared, history kept, retry budget renewed
        (``releasecount = startcount``; StartCount, which the claim index keys on, stays)."""
        done: list[int] = []
        unique = sorted(set(task_ids))
        for start in range(0, len(unique), CHUNK):
            async with self._db.transaction() as db:
                rows = await self._sql.finished_of.fetch(
                    db, task_ids=db.array(unique[start : start + CHUNK])
                )
                if not rows:
                    continue
                ids = [int(row[0]) for row in rows]
                await self._sql.retry.execute(db, now=db.ts(now), task_ids=db.array(ids))
                events = [
                    TaskEvent(
                        int(task_id),
                        now,
                        actor,
                        state(before),
                        BatchTaskState.New,
                        int(start_count),
                        "retried",
                        source,
                    )
                    for task_id, before, start_count in rows
                ]
                await event_log.append(db, *events)
                done += ids
        return done

    async def stop(
        self, task_ids: Sequence[int], *, now: datetime, actor: str, source: str
    ) -> list[int]:
        """SPEC §8.4 Stop of each task, :data:`CHUNK` per transaction; the ids that will stop."""
        stopped: list[int] = []
        unique = sorted(set(task_ids))
        for start in range(0, len(unique), CHUNK):
            async with self._db.transaction():
                for task_id in unique[start : start + CHUNK]:
                    if await self._runs.request_stop(task_id, now=now, actor=actor, source=source):
                        stopped.append(task_id)
        return stopped
