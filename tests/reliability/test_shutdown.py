"""F3 — graceful shutdown of a busy worker process: SIGTERM either lets running tasks finish
within the grace period, or (no grace) hands them back to the queue itself, never by a lease
expiry. Either way the worker claims nothing more and exits 0. The seconds it took are printed
as figures, not asserted (wall-clock bounds belong in bench/)."""

from __future__ import annotations

import asyncio
import json
import signal
import time

import pytest

from batchtask.domain.clock import SystemClock
from batchtask.domain.state import BatchTaskState
from batchtask.storage.store import SqlStore
from tests.reliability.observation import create_tasks, reset_effects, task_rows_of
from tests.reliability.processes import WorkerProcess

pytestmark = [pytest.mark.reliability, pytest.mark.e2e, pytest.mark.anyio]

S = BatchTaskState
LEASE = 60.0  # far beyond any hand-back, so "released, not expired" cannot be a race


async def started(store: SqlStore, ids: list[int], count: int, cap: float = 15) -> list[int]:
    """The ids of the first ``count`` tasks seen Started."""
    deadline = time.monotonic() + cap
    while True:
        rows = await task_rows_of(store, ids)
        running = [row.id for row in rows.values() if row.state is S.Started]
        if len(running) >= count:
            return running
        assert time.monotonic() < deadline, f"only {len(running)} of {count} started"
        await asyncio.sleep(0.01)


async def test_sigterm_without_grace_releases_running_tasks(
    store: SqlStore, database_url: str
) -> None:
    """With --grace 0, the four running tasks are released to New by the worker (long before
    their lease), the two queued ones were never claimed, and the worker exits 0."""
    await reset_effects(store)
    ids = await create_tasks(store, "reliability.sleep_steps", 6, lambda _: {"n": "50"})
    worker = WorkerProcess(database_url, concurrency=4, lease=LEASE, heartbeat=1.0, grace=0)
    try:
        await worker.ready()
        running = await started(store, ids, 4)
        signalled_at, signalled = SystemClock().now(), time.monotonic()
        worker.signal(signal.SIGTERM)
        deadline = signalled + 20
        while any(row.state is not S.New for row in (await task_rows_of(store, running)).values()):
            assert time.monotonic() < deadline, "running tasks not handed back"
            await asyncio.sleep(0.005)
        seen = time.monotonic() - signalled
        code = await worker.exited(10)
    finally:
        worker.stop()
    released = [
        (event.at - signalled_at).total_seconds()
        for task_id in running
        for event in await store.tasks.events(task_id)
        if event.reason == "released"
    ]
    rows = await task_rows_of(store, ids)
    print("\nF3", json.dumps({"engine": store.db.dialect, "released": len(released),
          "seen_new_after_s": round(seen, 3), "max_release_s": round(max(released), 3)}))  # fmt: skip
    assert (len(released), code) == (4, 0), worker.output
    assert sorted(row.start_count for row in rows.values()) == [0, 0, 1, 1, 1, 1]


async def test_sigterm_with_grace_lets_running_tasks_finish(
    store: SqlStore, database_url: str
) -> None:
    """With a 120 s grace, the two running 1 s tasks end Succeeded, the two queued ones stay New
    and unclaimed, and the worker exits 0 as soon as they are done (not at the grace's end)."""
    await reset_effects(store)
    ids = await create_tasks(store, "reliability.sleep_steps", 4, lambda _: {"n": "5", "ms": "200"})
    worker = WorkerProcess(database_url, concurrency=2, lease=LEASE, heartbeat=1.0, grace=120)
    try:
        await worker.ready()
        running = await started(store, ids, 2)
        signalled = time.monotonic()
        worker.signal(signal.SIGTERM)
        code = await worker.exited(60)  # well before the 120 s grace
        took = time.monotonic() - signalled
    finally:
        worker.stop()
    rows = await task_rows_of(store, ids)
    print("\nF3", json.dumps({"engine": store.db.dialect, "exit_after_s": round(took, 2)}))
    assert code == 0, worker.output
    assert {row.id: (row.state, row.start_count) for row in rows.values()} == {
        task_id: (S.Succeeded, 1) if task_id in running else (S.New, 0) for task_id in ids
    }
