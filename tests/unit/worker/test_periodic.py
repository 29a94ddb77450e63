"""The periodic scheduler: one pending system task per periodic definition, errors survived."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime
from typing import Any

import pytest

from batchtask.domain.errors import StorageUnavailable
from batchtask.domain.state import BatchTaskState
from batchtask.domain.task import SYSTEM_ASSOCIATE
from batchtask.storage.memory import MemoryStore
from batchtask.worker.periodic import Periodic, PeriodicScheduler
from tests.conftest import FakeClock

pytestmark = pytest.mark.anyio


async def test_a_tick_creates_the_next_task_once(store: MemoryStore, clock: FakeClock) -> None:
    """The first tick creates a New system task; while it is pending, later ticks create none."""
    scheduler = PeriodicScheduler(
        store.runs, clock, [Periodic("batchtask.retention", 3600, "housekeeping")], actor="w:1"
    )
    (task_id,) = await scheduler.tick()
    assert await scheduler.tick() == []
    task = await store.tasks.get(task_id)
    assert task is not None
    assert (task.name, task.state, task.associate_id, task.description) == (
        "batchtask.retention", BatchTaskState.New, SYSTEM_ASSOCIATE, "housekeeping",
    )  # fmt: skip


async def test_run_returns_at_once_without_periodic_definitions(
    store: MemoryStore, clock: FakeClock
) -> None:
    """Nothing periodic: the loop does not even start."""
    await asyncio.wait_for(PeriodicScheduler(store.runs, clock, [], actor="w").run(), 5)


class _Flaky:
    """A run repository whose ``ensure_periodic`` fails twice, then creates task 41, 42, …"""

    def __init__(self) -> None:
        self.calls = 0

    async def ensure_periodic(self, name: str, **kw: Any) -> int | None:
        self.calls += 1
        if self.calls == 1:
            raise StorageUnavailable("database away")
        if self.calls == 2:
            raise RuntimeError("unexpected")
        return 40 + self.calls - 2


async def test_the_loop_logs_failures_and_goes_on(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    """A database that is away, or any other error, is logged; the next look still happens."""
    runs = _Flaky()
    scheduler = PeriodicScheduler(runs, clock, [Periodic("x", 0.01)], actor="w")  # type: ignore[arg-type]
    caplog.set_level(logging.INFO, logger="batchtask.worker")
    loop = asyncio.create_task(scheduler.run())
    try:
        deadline = time.monotonic() + 10
        while runs.calls < 3:
            assert time.monotonic() < deadline, runs.calls
            await asyncio.sleep(0.01)
    finally:
        loop.cancel()
        await asyncio.gather(loop, return_exceptions=True)
    messages = [record.getMessage() for record in caplog.records]
    assert "scheduling periodic tasks failed: database away" in messages
    assert "scheduling periodic tasks failed" in messages
    assert "scheduled x as task 41" in messages


def test_the_clock_reaches_the_repository(clock: FakeClock) -> None:
    """``now`` comes from the scheduler's clock (the fake one here)."""
    seen: list[datetime] = []

    class Recording:
        async def ensure_periodic(self, name: str, *, now: datetime, **kw: Any) -> int | None:
            seen.append(now)
            return None

    scheduler = PeriodicScheduler(Recording(), clock, [Periodic("x", 60)], actor="w")  # type: ignore[arg-type]
    assert asyncio.run(scheduler.tick()) == []
    assert seen == [clock.now()]
