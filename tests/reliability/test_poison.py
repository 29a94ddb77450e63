"""F4 — a poison task that ``os._exit(1)``-s on every attempt, queued ahead of 50 normal tasks.

Inline, it takes its whole worker process down; a supervisor restarts the worker, the reaper
requeues the task after the lease, and after its third start it must end ``Failed``
[SR_BATCH_WORKER_LOST] — exactly three worker restarts. Workers run one task at a time here, so
no normal task shares a process with the poison. Process-isolated, only the child dies: the worker
records the failure, retries, and fails it after three starts without ever restarting.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import asdict, dataclass, field

import pytest

from batchtask.domain.state import BatchTaskState
from tests.reliability.conftest import ENGINES, fresh_database, open_migrated
from tests.reliability.observation import (
    TaskRow,
    Watch,
    create_tasks,
    effects,
    reset_effects,
    task_rows,
)
from tests.reliability.processes import Fleet, WorkerProcess

pytestmark = [pytest.mark.reliability, pytest.mark.e2e]

S = BatchTaskState
NORMAL = 50
NORMAL_TASK = {"n": "1", "ms": "50"}
WORKER_LOST = "[SR_BATCH_WORKER_LOST]"


@dataclass
class Report:
    """What happened to the poison task and its neighbours."""

    engine: str
    poison: TaskRow | None = None
    normal: dict[int, tuple[str, int]] = field(default_factory=dict)
    effects: int = 0
    duplicate_effects: int = 0
    restarts: int = 0
    seconds: float = 0.0
    output: str = field(default="", repr=False)

    def figures(self) -> str:
        """The report without the workers' output, as one JSON line."""
        data = asdict(self)
        data.pop("output")
        data["normal"] = dict(sorted(_tally(self.normal).items()))
        return json.dumps(data, default=str)


def _tally(normal: dict[int, tuple[str, int]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for state, starts in normal.values():
        key = f"{state}/{starts}"
        out[key] = out.get(key, 0) + 1
    return out


async def poison_run(url: str, engine: str, poison: str, fleet: Fleet) -> Report:
    """Queue ``poison`` ahead of the normal tasks, run them through ``fleet`` to the end."""
    store = await open_migrated(url)
    report = Report(engine)
    began = time.monotonic()
    try:
        await reset_effects(store)
        await fleet.up()
        (poison_id,) = await create_tasks(store, poison, 1, lambda _: {})
        await create_tasks(store, "reliability.sleep_steps", NORMAL, lambda _: NORMAL_TASK)
        watch = Watch(store)
        supervisor = asyncio.create_task(
            fleet.supervise(
                restart_after=0.5, done=lambda: watch.samples > 0 and watch.pending == 0, cap=60
            )
        )
        try:
            await watch.drain(cap=60)
        finally:
            supervisor.cancel()
            await asyncio.gather(supervisor, return_exceptions=True)
        rows = await task_rows(store)
        report.poison = rows.pop(poison_id)
        report.normal = {row.id: (row.state.name, row.start_count) for row in rows.values()}
        found = await effects(store)
        report.effects = len(found)
        report.duplicate_effects = sum(effect.duplicates for effect in found.values())
        report.restarts = len(fleet.deaths)
    finally:
        fleet.stop()
        report.output = fleet.output
        report.seconds = round(time.monotonic() - began, 1)
        await store.close()
    return report


@pytest.fixture(scope="module", params=ENGINES)
def inline(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Report:
    """An inline poison task with 50 others on two one-slot workers, per engine."""
    url = fresh_database(request.param, request, tmp_path_factory)
    fleet = Fleet(start=lambda: WorkerProcess(url, concurrency=1, lease=2.0, heartbeat=0.5), size=2)
    report = asyncio.run(poison_run(url, request.param, "reliability.poison", fleet))
    print(f"\nF4 inline {report.figures()}")
    return report


@pytest.fixture(scope="module", params=ENGINES)
def isolated(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Report:
    """A process-isolated poison task with 50 others on one four-slot worker, per engine."""
    url = fresh_database(request.param, request, tmp_path_factory)
    fleet = Fleet(start=lambda: WorkerProcess(url, concurrency=4, lease=2.0, heartbeat=0.5), size=1)
    report = asyncio.run(poison_run(url, request.param, "reliability.poison.process", fleet))
    print(f"\nF4 process {report.figures()}")
    return report


def test_an_inline_poison_task_fails_after_its_three_starts(inline: Report) -> None:
    """The task that kills its worker ends Failed [SR_BATCH_WORKER_LOST] with StartCount 3."""
    assert inline.poison is not None
    assert (inline.poison.state, inline.poison.start_count, inline.poison.response) == (
        S.Failed, 3, WORKER_LOST,
    ), inline.figures()  # fmt: skip


def test_an_inline_poison_task_costs_exactly_three_worker_restarts(inline: Report) -> None:
    """Each start of the poison task kills one worker process, and nothing else does."""
    assert inline.restarts == 3, inline.figures()


def test_the_tasks_queued_behind_an_inline_poison_are_unaffected(inline: Report) -> None:
    """All 50 normal tasks succeed on their first start, each effect written once."""
    assert _tally(inline.normal) == {"Succeeded/1": NORMAL}, inline.figures()
    assert (inline.effects, inline.duplicate_effects) == (NORMAL, 0)


def test_a_process_isolated_poison_fails_after_three_starts(isolated: Report) -> None:
    """Only the child dies: the task ends Failed with its exit code after StartCount 3."""
    assert isolated.poison is not None
    assert (isolated.poison.state, isolated.poison.start_count, isolated.poison.response) == (
        S.Failed, 3, "the task's process exited with code 1",
    ), isolated.figures()  # fmt: skip


def test_a_process_isolated_poison_never_restarts_its_worker(isolated: Report) -> None:
    """The worker process survives every attempt of the poison task."""
    assert isolated.restarts == 0, isolated.figures()


def test_the_tasks_queued_behind_an_isolated_poison_are_unaffected(isolated: Report) -> None:
    """All 50 normal tasks succeed on their first start, each effect written once."""
    assert _tally(isolated.normal) == {"Succeeded/1": NORMAL}, isolated.figures()
    assert (isolated.effects, isolated.duplicate_effects) == (NORMAL, 0)
