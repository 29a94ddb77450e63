"""``serve`` runs a worker inside the HTTP app's lifespan unless ``worker`` is off."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from batchtask.bootstrap import create_app
from batchtask.config import Settings
from batchtask.domain.state import BatchTaskState
from batchtask.domain.task import NewTask
from batchtask.services.container import Services

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("worker", [True, False])
async def test_the_app_lifespan_starts_and_stops_a_worker(tmp_path: Path, worker: bool) -> None:
    """With the worker on, a task created while the app runs is executed; with it off, it waits."""
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'db.sqlite'}", worker=worker, poll_interval=0.05,
        shutdown_grace=0, argon2_memory_cost=8, argon2_time_cost=1,
    )  # fmt: skip
    app = create_app(settings)
    async with app.framework.router.lifespan_context(app.framework):
        services: Services = app.state.ctx
        task_id = await services.store.tasks.create(
            NewTask("batchtask.sleep", 1, parameters={"seconds": "0"}),
            now=services.clock.now(),
            actor="test",
        )
        if worker:
            deadline = time.monotonic() + 20
            while True:
                task = await services.store.tasks.get(task_id)
                assert task is not None
                if task.state.is_finished:
                    break
                assert time.monotonic() < deadline, f"still {task.state.name}"
                await asyncio.sleep(0.02)
        else:
            # No worker registers, so nothing can ever claim the task (no window to wait out).
            assert await services.store.workers.all() == []
            task = await services.store.tasks.get(task_id)
            assert task is not None
    assert task.state is (BatchTaskState.Succeeded if worker else BatchTaskState.New)
