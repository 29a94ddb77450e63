"""What the database says about a run: sampled while the queue drains, and read once at the end.

The suite never asks a worker how it did; it reads ``batchtask``, ``batchtask_event`` and the
handlers' ``effects`` table, the same way on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from batchtask.domain.clock import SystemClock
from batchtask.domain.state import BatchTaskState
from batchtask.domain.task import NewTask
from batchtask.storage.store import SqlStore
from tests.reliability.handlers import EFFECTS_DDL

S = BatchTaskState
_ROW = "batchtask_id, state, startcount, progresspercent, progressdescription, response, result"
WAITING = frozenset({S.New, S.Aquired, S.Started})


@dataclass(frozen=True, slots=True)
class TaskRow:
    """The columns of one task the suite checks."""

    id: int
    state: BatchTaskState
    start_count: int
    progress: int
    progress_text: str
    response: str
    result: str


@dataclass(frozen=True, slots=True)
class Effect:
    """One row of ``effects``."""

    key: str
    task_id: int
    attempt: int
    pid: int
    duplicates: int


async def reset_effects(store: SqlStore) -> None:
    """An empty ``effects`` table (the PostgreSQL test database outlives a test)."""
    await store.db.execute("DROP TABLE IF EXISTS effects")
    await store.db.execute(EFFECTS_DDL)


async def create_tasks(
    store: SqlStore, name: str, count: int, parameters: Callable[[int], Mapping[str, str]]
) -> list[int]:
    """``count`` system tasks in one transaction; ``parameters(i)`` for the i-th."""
    now = SystemClock().now()
    async with store.db.transaction():
        return [
            await store.tasks.create(
                NewTask(name=name, associate_id=0, parameters=dict(parameters(i))),
                now=now,
                actor="reliability",
            )
            for i in range(count)
        ]


async def task_rows(store: SqlStore) -> dict[int, TaskRow]:
    """Every task, by id."""
    rows = await store.db.fetch(f"SELECT {_ROW} FROM batchtask")
    return {row.id: row for row in map(_task_row, rows)}


async def claims(store: SqlStore) -> Counter[tuple[int, int]]:
    """Claim events (``→ Aquired``) per (task, StartCount)."""
    rows = await store.db.fetch(
        "SELECT batchtask_id, startcount, COUNT(*) FROM batchtask_event WHERE to_state = 2"
        " GROUP BY batchtask_id, startcount"
    )
    return Counter({(int(r[0]), int(r[1])): int(r[2]) for r in rows})


async def effects(store: SqlStore) -> dict[str, Effect]:
    """Every effect, by key."""
    rows = await store.db.fetch("SELECT effect_key, task_id, attempt, pid, duplicates FROM effects")
    return {r[0]: Effect(r[0], int(r[1]), int(r[2]), int(r[3]), int(r[4])) for r in rows}


@dataclass
class Watch:
    """Samples the queue while it drains.

    Per sample it records how far past its lease expiry any ``Aquired``/``Started`` task is (a
    dead worker's task must be reaped soon after) and whether any attempt's ``ProgressPercent``
    went down while ``Started``.
    """

    store: SqlStore
    samples: int = 0
    #: Seconds the most overdue held task was past its lease expiry, over all samples.
    max_overdue: float = 0.0
    #: (task, attempt, before, after) for every progress decrease seen.
    decreases: list[tuple[int, int, int, int]] = field(default_factory=list)
    states: Counter[BatchTaskState] = field(default_factory=Counter)
    _progress: dict[tuple[int, int], int] = field(default_factory=dict)

    @property
    def pending(self) -> int:
        """Tasks still New, Aquired or Started at the last sample."""
        return sum(count for state, count in self.states.items() if state in WAITING)

    async def sample(self) -> None:
        """Look once."""
        rows = await self.store.db.fetch(
            "SELECT batchtask_id, state, startcount, progresspercent, lease_expires FROM batchtask"
        )
        now = SystemClock().now()
        states: Counter[BatchTaskState] = Counter()
        for task_id, state, start_count, percent, expires in rows:
            states[S(int(state))] += 1
            if int(state) in (S.Aquired, S.Started) and expires is not None:
                instant = self.store.db.instant(expires)
                assert instant is not None
                self.max_overdue = max(self.max_overdue, (now - instant).total_seconds())
            if int(state) == S.Started:
                key = (int(task_id), int(start_count))
                before = self._progress.get(key, 0)
                if int(percent) < before:
                    self.decreases.append((*key, before, int(percent)))
                self._progress[key] = int(percent)
        self.states = states
        self.samples += 1

    async def drain(self, cap: float, interval: float = 0.2) -> float:
        """Sample until no task is waiting; the seconds it took (fails after ``cap``)."""
        began = time.monotonic()
        while True:
            await self.sample()
            if self.pending == 0:
                return time.monotonic() - began
            if time.monotonic() - began > cap:
                raise AssertionError(f"queue not drained after {cap:g} s: {dict(self.states)}")
            await asyncio.sleep(interval)


async def wait_for_state(
    store: SqlStore, task_id: int, states: frozenset[BatchTaskState], cap: float
) -> TaskRow:
    """The task once it is in one of ``states`` (fails after ``cap`` seconds)."""
    deadline = time.monotonic() + cap
    while True:
        row = (await task_rows_of(store, [task_id]))[task_id]
        if row.state in states:
            return row
        if time.monotonic() > deadline:
            raise AssertionError(f"task {task_id} still {row.state.name} after {cap:g} s")
        await asyncio.sleep(0.01)


async def task_rows_of(store: SqlStore, ids: list[int]) -> dict[int, TaskRow]:
    """The given tasks, by id."""
    rows = await store.db.fetch(
        f"SELECT {_ROW} FROM batchtask WHERE {store.db.member('batchtask_id')}",
        store.db.array(ids),
    )
    return {row.id: row for row in map(_task_row, rows)}


def _task_row(r: Sequence[Any]) -> TaskRow:
    return TaskRow(int(r[0]), S(int(r[1])), int(r[2]), int(r[3]), r[4], r[5], r[6])
