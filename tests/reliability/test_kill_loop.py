"""F1 — kill -9 loop: two worker processes, one killed at random every 3 s and restarted 0.5 s
later, while a queue of ``sleep_steps`` tasks drains. Nothing may be lost, no dead worker's task
may stay held much past its lease, and every success has its effect exactly once.

Fast: 300 tasks / 8 kills on each engine; deep (``BATCHTASK_DEEP=1``): 1 000 tasks / 20 kills.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from dataclasses import asdict, dataclass, field

import pytest

from batchtask.domain.state import BatchTaskState
from batchtask.storage.store import SqlStore
from tests.reliability.conftest import DEEP_TIMEOUT, deep_only, fresh_database, open_migrated
from tests.reliability.observation import (
    Watch,
    claims,
    create_tasks,
    effects,
    reset_effects,
    task_rows,
)
from tests.reliability.processes import Fleet, WorkerProcess

pytestmark = [pytest.mark.reliability, pytest.mark.e2e]

S = BatchTaskState
WORKER_LOST = "[SR_BATCH_WORKER_LOST]"
LEASE, HEARTBEAT = 4.0, 1.0
#: Each task: 4 steps of 200 ms. 8 slots → the queue outlasts the kills whatever the CPU.
STEPS, STEP_MS, CONCURRENCY = 4, 200, 4
MAX_STARTS = 3
SEED = 20261128


@dataclass(frozen=True)
class Load:
    """How big one kill loop is."""

    tasks: int
    kills: int
    cap: float


FAST = Load(tasks=300, kills=8, cap=150)
LONG = Load(tasks=1000, kills=20, cap=420)


@dataclass
class Report:
    """The figures of one kill loop."""

    engine: str
    tasks: int
    kills: int = 0
    seconds: float = 0.0
    succeeded: int = 0
    failed_after_max_starts: int = 0
    lost: list[int] = field(default_factory=list)
    held_after_drain: int = 0
    max_overdue: float = 0.0
    missing_effects: list[int] = field(default_factory=list)
    duplicate_effects: int = 0
    progress_decreases: int = 0
    succeeded_below_100: list[int] = field(default_factory=list)
    start_count_mismatches: list[int] = field(default_factory=list)
    samples: int = 0
    output: str = field(default="", repr=False)

    def figures(self) -> str:
        """The report without the workers' output, as one JSON line."""
        data = asdict(self)
        data.pop("output")
        return json.dumps(data)


async def kill_loop(url: str, engine: str, load: Load) -> Report:
    """Run one kill loop on ``url`` and read what happened."""
    store = await open_migrated(url)
    fleet = Fleet(
        start=lambda: WorkerProcess(url, concurrency=CONCURRENCY, lease=LEASE, heartbeat=HEARTBEAT),
        size=2,
    )
    report = Report(engine, load.tasks)
    try:
        await reset_effects(store)
        await fleet.up()
        await create_tasks(
            store, "reliability.sleep_steps", load.tasks,
            lambda _: {"n": str(STEPS), "ms": str(STEP_MS)},
        )  # fmt: skip
        watch = Watch(store)
        began = time.monotonic()
        chaos = asyncio.create_task(
            fleet.chaos(
                kills=load.kills,
                every=3.0,
                restart_after=0.5,
                seed=SEED,
                done=lambda: watch.samples > 0 and watch.pending == 0,
                cap=load.cap,
            )
        )
        try:
            await watch.drain(cap=load.cap)
        finally:
            chaos.cancel()
            await asyncio.gather(chaos, return_exceptions=True)
        report.seconds = round(time.monotonic() - began, 1)
        report.kills = len(fleet.kills)
        report.max_overdue = round(watch.max_overdue, 2)
        report.progress_decreases = len(watch.decreases)
        report.samples = watch.samples
        await read_outcome(store, report)
    finally:
        fleet.stop()
        report.output = fleet.output
        await store.close()
    return report


async def read_outcome(store: SqlStore, report: Report) -> None:
    """Fill in the end-state figures."""
    rows = await task_rows(store)
    claimed = await claims(store)
    per_task: Counter[int] = Counter()
    for (task_id, _), count in claimed.items():
        per_task[task_id] += count
    found = {effect.task_id: effect for effect in (await effects(store)).values()}
    for row in rows.values():
        if row.state is S.Succeeded:
            report.succeeded += 1
            if row.id not in found:
                report.missing_effects.append(row.id)
            if row.progress != 100:
                report.succeeded_below_100.append(row.id)
        elif (
            row.state is S.Failed and row.response == WORKER_LOST and row.start_count == MAX_STARTS
        ):
            report.failed_after_max_starts += 1
        else:
            report.lost.append(row.id)
        if row.state in (S.New, S.Aquired, S.Started):
            report.held_after_drain += 1
        attempts = [claimed[(row.id, n)] for n in range(1, row.start_count + 1)]
        if any(count != 1 for count in attempts) or per_task[row.id] != len(attempts):
            report.start_count_mismatches.append(row.id)
    report.duplicate_effects = sum(effect.duplicates for effect in found.values())


@pytest.fixture(
    scope="module",
    params=[
        pytest.param(("sqlite", FAST), id="sqlite-300x8"),
        pytest.param(("postgres", FAST), id="postgres-300x8", marks=pytest.mark.postgres),
        pytest.param(("sqlite", LONG), id="sqlite-1000x20", marks=[deep_only, DEEP_TIMEOUT]),
        pytest.param(
            ("postgres", LONG),
            id="postgres-1000x20",
            marks=[pytest.mark.postgres, deep_only, DEEP_TIMEOUT],
        ),
    ],
)
def loop(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Report:
    """One kill loop per engine and size."""
    engine, load = request.param
    url = fresh_database(engine, request, tmp_path_factory)
    report = asyncio.run(kill_loop(url, engine, load))
    print(f"\nF1 {report.figures()}")
    return report


def test_every_planned_kill_happened(loop: Report) -> None:
    """The queue outlasted the chaos: every planned kill -9 landed on a working worker."""
    planned = FAST.kills if loop.tasks == FAST.tasks else LONG.kills
    assert loop.kills == planned, loop.figures()


def test_no_task_is_lost(loop: Report) -> None:
    """Every task ends Succeeded, or Failed [SR_BATCH_WORKER_LOST] after its 3 starts."""
    assert loop.lost == [], loop.figures()
    assert loop.succeeded + loop.failed_after_max_starts == loop.tasks


def test_no_dead_worker_holds_a_task_past_its_lease_and_two_heartbeats(loop: Report) -> None:
    """No Aquired/Started task was ever seen more than 2 heartbeats past its lease expiry."""
    assert loop.max_overdue < 2 * HEARTBEAT, loop.figures()
    assert loop.held_after_drain == 0


def test_every_success_has_its_effect(loop: Report) -> None:
    """Each Succeeded task inserted its effect row."""
    assert loop.missing_effects == [], loop.figures()


def test_duplicate_effects_stay_within_the_kills(loop: Report) -> None:
    """An effect ran twice only when a kill landed between it and the task's end."""
    assert loop.duplicate_effects <= loop.kills, loop.figures()


def test_progress_only_grows_within_an_attempt(loop: Report) -> None:
    """ProgressPercent never went down while an attempt was Started, and is 100 at Succeeded."""
    assert loop.samples > 10
    assert (loop.progress_decreases, loop.succeeded_below_100) == (0, []), loop.figures()


def test_start_count_is_the_number_of_attempts(loop: Report) -> None:
    """Each attempt 1..StartCount was claimed exactly once, and no other attempt was."""
    assert loop.start_count_mismatches == [], loop.figures()
