"""G6 — claim exactly once per attempt: 2 000 queued no-op tasks, four worker processes claiming
with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL.

The partial unique index on ``batchtask_event`` (one claim per task and StartCount) would refuse
a second claim outright, so the suite also counts the refusals the workers logged, and checks the
stronger property that each handler ran exactly once: one effect per task, no duplicates.
"""

from __future__ import annotations

import asyncio
import json
import re
import signal
import time
from dataclasses import asdict, dataclass, field

import pytest

from batchtask.domain.state import BatchTaskState
from tests.reliability.conftest import fresh_database, open_migrated
from tests.reliability.observation import (
    Watch,
    claims,
    create_tasks,
    effects,
    reset_effects,
    task_rows,
)
from tests.reliability.processes import WorkerProcess

pytestmark = [pytest.mark.reliability, pytest.mark.e2e, pytest.mark.postgres]

S = BatchTaskState
TASKS, WORKERS, CONCURRENCY = 2000, 4, 8


@dataclass
class Report:
    """The figures of one claim run."""

    tasks: int = TASKS
    workers: int = WORKERS
    succeeded_first_time: int = 0
    duplicate_claims: int = 0
    refused_by_index: int = 0
    skipped: list[int] = field(default_factory=list)
    effects: int = 0
    duplicate_effects: int = 0
    claimed_per_worker: list[int] = field(default_factory=list)
    drain_seconds: float = 0.0
    output: str = field(default="", repr=False)

    def figures(self) -> str:
        """The report without the workers' output, as one JSON line."""
        data = asdict(self)
        data.pop("output")
        data["skipped"] = len(self.skipped)
        return json.dumps(data)


async def claim_run(url: str) -> Report:
    """Queue the tasks, let four workers drain them, stop the workers, read the outcome."""
    store = await open_migrated(url)
    report = Report()
    workers: list[WorkerProcess] = []
    try:
        await reset_effects(store)
        workers = [
            WorkerProcess(url, concurrency=CONCURRENCY, lease=5.0, heartbeat=1.0)
            for _ in range(WORKERS)
        ]
        for worker in workers:
            await worker.ready()
        await create_tasks(store, "reliability.noop", TASKS, lambda i: {"effect_key": f"g6-{i}"})
        began = time.monotonic()
        await Watch(store).drain(cap=120, interval=0.1)
        report.drain_seconds = round(time.monotonic() - began, 1)
        for worker in workers:
            worker.signal(signal.SIGTERM)
        for worker in workers:
            await worker.exited(15)
        rows = await task_rows(store)
        claimed = await claims(store)
        found = await effects(store)
        report.succeeded_first_time = sum(
            1 for row in rows.values() if (row.state, row.start_count) == (S.Succeeded, 1)
        )
        report.skipped = [row.id for row in rows.values() if (row.id, 1) not in claimed]
        report.duplicate_claims = sum(count - 1 for count in claimed.values() if count > 1)
        report.effects = len(found)
        report.duplicate_effects = sum(effect.duplicates for effect in found.values())
        for worker in workers:
            report.refused_by_index += worker.output.count("claim refused by the claim index")
            stats = re.search(r"WorkerStats\(claimed=(\d+)", worker.output)
            report.claimed_per_worker.append(int(stats.group(1)) if stats else -1)
    finally:
        for worker in workers:
            worker.stop()
        report.output = "\n".join(f"--- {w.pid}\n{w.output}" for w in workers)
        await store.close()
    return report


@pytest.fixture(scope="module")
def run(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Report:
    """One claim run on PostgreSQL."""
    url = fresh_database("postgres", request, tmp_path_factory)
    report = asyncio.run(claim_run(url))
    print(f"\nG6 {report.figures()}")
    return report


def test_every_task_is_claimed_once_and_succeeds_first_time(run: Report) -> None:
    """All 2 000 tasks were claimed as attempt 1 exactly once and ended Succeeded."""
    assert (run.succeeded_first_time, run.skipped, run.duplicate_claims) == (TASKS, [], 0), (
        run.figures()
    )


def test_no_second_claim_ever_reaches_the_claim_index(run: Report) -> None:
    """SKIP LOCKED alone keeps claims apart: the unique claim index never had to refuse one."""
    assert run.refused_by_index == 0, run.figures()


def test_each_handler_ran_exactly_once(run: Report) -> None:
    """One effect per task and not a single duplicate."""
    assert (run.effects, run.duplicate_effects) == (TASKS, 0), run.figures()


def test_all_four_workers_shared_the_queue(run: Report) -> None:
    """Every worker claimed some tasks and together they claimed each task once."""
    assert min(run.claimed_per_worker) > 0, run.figures()
    assert sum(run.claimed_per_worker) == TASKS
