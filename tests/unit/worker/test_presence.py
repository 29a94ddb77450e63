"""Workers register in the worker registry, report what they run, and deregister on shutdown."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from batchtask.bootstrap import create_app
from batchtask.config import Settings
from batchtask.domain.task import NewTask
from batchtask.domain.worker_info import WorkerInfo
from batchtask.services.container import Services

pytestmark = pytest.mark.anyio


async def registered(services: Services, until: object) -> list[WorkerInfo]:
    """Poll the registry until ``until(rows)`` holds (deadline 10 s)."""
    deadline = time.monotonic() + 10
    while True:
        rows = await services.store.workers.all()
        if until(rows) or time.monotonic() > deadline:  # type: ignore[operator]
            return rows
        await asyncio.sleep(0.02)


async def test_the_embedded_worker_registers_beats_and_deregisters(tmp_path: Path) -> None:
    """``serve``'s worker shows up as embedded with its slots and definitions, lists the task it
    runs, and is marked stopped (not alive) once the app shuts down."""
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'db.sqlite'}", poll_interval=0.05, heartbeat=0.1,
        lease=5, shutdown_grace=0, concurrency=3, argon2_memory_cost=8, argon2_time_cost=1,
    )  # fmt: skip
    app = create_app(settings)
    async with app.framework.router.lifespan_context(app.framework):
        services: Services = app.state.ctx
        (row,) = await registered(services, bool)
        assert (row.kind, row.slots) == ("embedded", 3)
        assert "batchtask.sleep" in row.definitions
        assert row.alive(services.clock.now())
        task_id = await services.store.tasks.create(
            NewTask("batchtask.sleep", 1, parameters={"seconds": "30", "steps": "30"}),
            now=services.clock.now(),
            actor="test",
        )
        (row,) = await registered(services, lambda rows: rows[0].running == (task_id,))
        assert (row.busy, row.running) == (1, (task_id,))
    async with app.framework.router.lifespan_context(app.framework):
        services = app.state.ctx
        rows = await services.store.workers.all()
        stopped = [r for r in rows if r.id == row.id]
        assert stopped[0].stopped is not None
        assert not stopped[0].alive(services.clock.now())
