"""The console's repositories in memory: worker registry, change log, queue figures, task page.

Same contracts as ``worker_repository.py``, ``change_feed.py``, ``stats_repository.py`` and
``admin_repository.py``; the change log is appended to wherever the SQL triggers of migration 0004
would fire (``Tables.changed``).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from batchtask.domain.change import ChangePage, TaskChange
from batchtask.domain.clock import SystemClock
from batchtask.domain.ports import Subscription, TaskEvent
from batchtask.domain.state import BatchTaskState
from batchtask.domain.stats import DefinitionFigures, SeriesPoint
from batchtask.domain.task_list import TaskBrief, TaskListQuery, TaskPage, TaskSelection
from batchtask.domain.worker_info import WorkerInfo
from batchtask.storage.memory.archive import Evaluator, ordered
from batchtask.storage.memory.runs import MemoryRunRepository
from batchtask.storage.memory.tables import Tables, TaskRow
from batchtask.storage.memory.tasks import MemoryTaskRepository

S = BatchTaskState
#: Successful runs per definition the run-time percentiles look at (as ``stats_repository``).
RECENT_RUNS = 1000
_FINISHED = (S.Succeeded, S.Failed, S.SucceededManualCleanup)
_SUCCESS = (S.Succeeded, S.SucceededManualCleanup)


def percentile(sorted_values: list[float], share: float) -> float | None:
    """Nearest-rank percentile of an ascending list; ``None`` when empty."""
    if not sorted_values:
        return None
    return sorted_values[max(1, math.ceil(share * len(sorted_values))) - 1]


class MemoryWorkerRegistry:
    """Worker rows by id."""

    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def register(self, worker: WorkerInfo) -> None:
        """Insert or overwrite the worker's row."""
        self._t.workers[worker.id] = worker

    async def beat(
        self, worker_id: str, *, now: datetime, busy: int, running: Sequence[int]
    ) -> None:
        """Renew the heartbeat and what the worker runs."""
        row = self._t.workers.get(worker_id)
        if row is not None:
            self._t.workers[worker_id] = replace(
                row, last_heartbeat=now, busy=busy, running=tuple(sorted(running))
            )

    async def deregister(self, worker_id: str, *, now: datetime) -> None:
        """Mark the worker stopped."""
        row = self._t.workers.get(worker_id)
        if row is not None:
            self._t.workers[worker_id] = replace(
                row, stopped=now, last_heartbeat=now, busy=0, running=()
            )

    async def all(self) -> list[WorkerInfo]:
        """Every worker, oldest start first."""
        return sorted(self._t.workers.values(), key=lambda w: (w.started, w.id))

    async def forget(self, *, before: datetime) -> int:
        """Drop workers not heard from since ``before``."""
        gone = [key for key, w in self._t.workers.items() if w.last_heartbeat < before]
        for key in gone:
            del self._t.workers[key]
        return len(gone)


class MemoryChangeFeed:
    """The change log (numbers never reused, written in order: no gaps to wait for)."""

    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def read(self, after: int, limit: int) -> ChangePage:
        """Up to ``limit`` changes above ``after`` with the tasks' current state."""
        out = []
        for change_id, task_id, owner, definition_id in self._t.changes:
            if change_id <= after:
                continue
            row = self._t.tasks.get(task_id)
            definition = self._t.definitions.get(
                row.definition_id if row is not None else definition_id
            )
            out.append(
                TaskChange(
                    change_id=change_id,
                    task_id=task_id,
                    associate_id=owner,
                    name="" if definition is None else definition.name,
                    state=None if row is None else row.state,
                    progress_percent=0 if row is None else row.progress_percent,
                    progress_description="" if row is None else row.progress_description,
                    start_count=0 if row is None else row.start_count,
                )
            )
            if len(out) >= limit:
                break
        return ChangePage(tuple(out))

    async def latest(self) -> int:
        """The highest change number, 0 when empty."""
        return self._t.changes[-1][0] if self._t.changes else 0

    async def oldest(self) -> int:
        """The lowest change number kept, 0 when empty."""
        return self._t.changes[0][0] if self._t.changes else 0

    async def prune(self, *, keep: int) -> int:
        """Forget all but the newest ``keep`` changes."""
        gone = max(0, len(self._t.changes) - keep)
        del self._t.changes[:gone]
        return gone

    async def listen(self, on_change: Callable[[], None]) -> Subscription | None:
        """No push in memory: readers poll :meth:`latest`."""
        return None


class MemoryStatsRepository:
    """Queue figures computed from the records."""

    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def counts(self) -> dict[BatchTaskState, int]:
        """Tasks per state."""
        return dict(Counter(row.state for row in self._t.tasks.values()))

    async def oldest_waiting(self, now: datetime) -> datetime | None:
        """When the due ``New`` task with the lowest id became due."""
        for _, row in sorted(self._t.tasks.items()):
            if row.state is S.New and (row.run_after is None or row.run_after <= now):
                return row.run_after or row.registered
        return None

    async def series(
        self, *, start: datetime, step: int, points: int, waiting_now: int
    ) -> list[SeriesPoint]:
        """``points`` steps from ``start``, each stamped with the end of its step."""
        per: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
        for event in self._t.events:
            if event.at < start:
                continue
            index = min(int((event.at - start).total_seconds()) // step, points)
            counts = per[index]
            before, after = event.from_state, event.to_state
            counts[0] += after is S.Started and before is not S.Started
            counts[1] += after in _SUCCESS and before not in _SUCCESS
            counts[2] += after is S.Failed and before is not S.Failed
            counts[3] += (after is S.New and before is not S.New) - (
                before is S.New and after is not S.New
            )
        waiting = waiting_now - per[points][3] if points in per else waiting_now
        out: list[SeriesPoint] = []
        for index in range(points - 1, -1, -1):
            started, succeeded, failed, net = per.get(index, [0, 0, 0, 0])
            at = start + timedelta(seconds=step * (index + 1))
            out.append(SeriesPoint(at, started, succeeded, failed, max(0, waiting)))
            waiting -= net
        out.reverse()
        return out

    async def definitions(self, *, since: datetime) -> list[DefinitionFigures]:
        """Every definition by name, with counts, outcomes since ``since`` and percentiles."""
        out = []
        for definition in sorted(self._t.definitions.values(), key=lambda d: d.key):
            rows = [r for r in self._t.tasks.values() if r.definition_id == definition.id]
            recent = [r for r in rows if r.state in _FINISHED and r.updated >= since]
            runs = sorted(
                (r for r in recent if r.state in _SUCCESS and r.last_started is not None),
                key=lambda r: r.updated,
                reverse=True,
            )[:RECENT_RUNS]
            durations = sorted(
                max(0.0, (r.updated - r.last_started).total_seconds() * 1000)  # type: ignore[operator]
                for r in runs
            )
            out.append(
                DefinitionFigures(
                    name=definition.name,
                    description=definition.description,
                    cancellation=definition.cancellation,
                    timeout=definition.timeout or None,
                    max_starts=definition.restarts + 1,
                    isolation=definition.isolation,
                    counts=dict(Counter(r.state for r in rows)),
                    succeeded_24h=sum(r.state in _SUCCESS for r in recent),
                    failed_24h=sum(r.state is S.Failed for r in recent),
                    p50_ms=percentile(durations, 0.5),
                    p95_ms=percentile(durations, 0.95),
                )
            )
        return out


class MemoryAdminRepository:
    """The console's task page and bulk writes."""

    def __init__(
        self, tables: Tables, tasks: MemoryTaskRepository, runs: MemoryRunRepository
    ) -> None:
        self._t = tables
        self._tasks = tasks
        self._runs = runs

    def _selected(self, selection: TaskSelection) -> list[TaskRow]:
        rows = list(self._t.tasks.values())
        if selection.filter is not None:
            evaluator = Evaluator(
                self._tasks.readers,
                now=selection.now or SystemClock().now(),
                zone=selection.zone or ZoneInfo("UTC"),
                associate_id=selection.associate_id,
            )
            rows = [row for row in rows if evaluator.matches(selection.filter, row)]
        text = selection.text.strip().lower()
        if text:
            rows = [
                row
                for row in rows
                if text in self._tasks.definition(row).name.lower()
                or text in row.description.lower()
                or text in row.result.lower()
            ]
        return rows

    async def page(self, query: TaskListQuery) -> TaskPage:
        """The page's tasks (with their owners' names) and the number matching in all."""
        rows = self._selected(query.selection)
        if query.order:
            rows = ordered(rows, query.order, self._tasks.readers, lambda row: row.id)
        else:
            rows = sorted(rows, key=lambda row: row.id, reverse=True)
        page = rows[query.skip : query.skip + query.top]
        owners = {}
        for row in page:
            user = self._t.users.get(row.registered_associate_id)
            owners[row.registered_associate_id] = (
                "" if user is None else user.display_name or user.username
            )
        return TaskPage([self._tasks.task(row) for row in page], len(rows), owners)

    async def count(self, selection: TaskSelection) -> int:
        """How many tasks match a selection."""
        return len(self._selected(selection))

    async def briefs(self, task_ids: Sequence[int]) -> list[TaskBrief]:
        """What bulk actions need to know about these tasks, by id."""
        return [
            self._brief(self._t.tasks[task_id])
            for task_id in sorted(set(task_ids))
            if task_id in self._t.tasks
        ]

    async def matching(self, selection: TaskSelection, limit: int) -> list[TaskBrief]:
        """Up to ``limit`` tasks of a selection, by id."""
        rows = sorted(self._selected(selection), key=lambda row: row.id)[:limit]
        return [self._brief(row) for row in rows]

    def _brief(self, row: TaskRow) -> TaskBrief:
        return TaskBrief(
            id=row.id,
            associate_id=row.registered_associate_id,
            state=row.state,
            cancellation=self._tasks.definition(row).cancellation,
            stop_requested=row.cancel_requested is not None,
        )

    async def retry(
        self, task_ids: Sequence[int], *, now: datetime, actor: str, source: str
    ) -> list[int]:
        """Finished tasks back to ``New`` with a fresh retry budget."""
        done = []
        for task_id in sorted(set(task_ids)):
            row = self._t.tasks.get(task_id)
            if row is None or row.state not in _FINISHED:
                continue
            before = row.state
            row.state, row.progress_percent, row.progress_description = S.New, 0, ""
            row.release_count, row.run_after, row.cancel_requested = row.start_count, None, None
            row.lease_owner, row.lease_expires = None, None
            row.updated, row.updated_count = now, row.updated_count + 1
            self._t.log(
                TaskEvent(task_id, now, actor, before, S.New, row.start_count, "retried", source)
            )
            self._t.changed(row)
            done.append(task_id)
        return done

    async def stop(
        self, task_ids: Sequence[int], *, now: datetime, actor: str, source: str
    ) -> list[int]:
        """SPEC §8.4 Stop of each task; the ids that will stop."""
        return [
            task_id
            for task_id in sorted(set(task_ids))
            if await self._runs.request_stop(task_id, now=now, actor=actor, source=source)
        ]
