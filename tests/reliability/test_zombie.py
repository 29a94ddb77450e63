"""F2 — zombie worker and fencing: ``SIGSTOP`` the worker running a task for two leases, let the
other worker reclaim it, then ``SIGCONT``. The frozen worker's writes must all miss.

An audit trigger records every UPDATE of ``batchtask`` with the old and new values. The handler
tags its progress and result with ``attempt:pid``, so a write by the stale attempt shows up as an
audit row that *changed* a value to the zombie's tag after the task moved to attempt 2 — the
fence (``WHERE startcount = 1``) must make that impossible. The event log must hold nothing from
the zombie after its claim and start.

Fast: 5 rounds with a 2 s lease; deep: 20 rounds with a 5 s lease.
"""

from __future__ import annotations

import asyncio
import json
import signal
import time
from dataclasses import asdict, dataclass, field

import pytest

from batchtask.domain.state import BatchTaskState
from batchtask.storage.store import SqlStore
from tests.reliability.conftest import DEEP_TIMEOUT, deep_only, fresh_database, open_migrated
from tests.reliability.observation import (
    create_tasks,
    effects,
    reset_effects,
    task_rows_of,
    wait_for_state,
)
from tests.reliability.processes import Fleet, WorkerProcess

pytestmark = [pytest.mark.reliability, pytest.mark.e2e]

S = BatchTaskState
#: Steps of 100 ms, 15 per second of lease: attempt 2 still runs when the zombie wakes up.
STEP_MS, STEPS_PER_LEASE_SECOND = 100, 15

AUDIT_SQLITE = [
    "CREATE TABLE audit (seq INTEGER PRIMARY KEY AUTOINCREMENT, batchtask_id INTEGER,"
    " old_startcount INTEGER, startcount INTEGER, state INTEGER, old_progress TEXT,"
    " progress TEXT, old_result TEXT, result TEXT)",
    "CREATE TRIGGER audit_update AFTER UPDATE ON batchtask BEGIN INSERT INTO audit"
    " (batchtask_id, old_startcount, startcount, state, old_progress, progress, old_result,"
    " result) VALUES (NEW.batchtask_id, OLD.startcount, NEW.startcount, NEW.state,"
    " OLD.progressdescription, NEW.progressdescription, OLD.result, NEW.result); END",
]
AUDIT_POSTGRES = [
    "CREATE TABLE audit (seq BIGSERIAL PRIMARY KEY, batchtask_id INTEGER,"
    " old_startcount INTEGER, startcount INTEGER, state INTEGER, old_progress TEXT,"
    " progress TEXT, old_result TEXT, result TEXT)",
    "CREATE FUNCTION audit_row() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO audit"
    " (batchtask_id, old_startcount, startcount, state, old_progress, progress, old_result,"
    " result) VALUES (NEW.batchtask_id, OLD.startcount, NEW.startcount, NEW.state,"
    " OLD.progressdescription, NEW.progressdescription, OLD.result, NEW.result);"
    " RETURN NULL; END $$",
    "CREATE TRIGGER audit_update AFTER UPDATE ON batchtask FOR EACH ROW"
    " EXECUTE FUNCTION audit_row()",
]
#: The zombie's own events of attempt 1, written before it was frozen.
ZOMBIE_OWN_EVENTS = frozenset({(1, "claimed"), (1, "started")})
DROP_AUDIT = {
    "sqlite": ["DROP TRIGGER IF EXISTS audit_update", "DROP TABLE IF EXISTS audit"],
    "postgres": [
        "DROP TRIGGER IF EXISTS audit_update ON batchtask",
        "DROP FUNCTION IF EXISTS audit_row()",
        "DROP TABLE IF EXISTS audit",
    ],
}


@dataclass(frozen=True)
class Plan:
    """How many rounds, with which lease."""

    rounds: int
    lease: float
    heartbeat: float


FAST = Plan(rounds=5, lease=2.0, heartbeat=0.5)
LONG = Plan(rounds=20, lease=5.0, heartbeat=1.0)


@dataclass
class Report:
    """The figures of the zombie rounds on one engine."""

    engine: str
    planned: int
    lease: float
    tries: int = 0
    reclaimed: int = 0
    #: Rounds where the stop froze the zombie inside a write transaction, so nobody could reclaim.
    not_reclaimed: int = 0
    stale_writes: int = 0
    zombie_events: int = 0
    abandoned: int = 0
    completed_once: int = 0
    duplicate_effects: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)
    output: str = field(default="", repr=False)

    def figures(self) -> str:
        """The report without the workers' output, as one JSON line."""
        data = asdict(self)
        data.pop("output")
        return json.dumps(data)


async def install_audit(store: SqlStore) -> None:
    """The audit table and its trigger (fresh)."""
    await uninstall_audit(store)
    for sql in AUDIT_SQLITE if store.db.dialect == "sqlite" else AUDIT_POSTGRES:
        await store.db.execute(sql)


async def uninstall_audit(store: SqlStore) -> None:
    """Remove the audit trigger (the PostgreSQL test database is shared by later tests)."""
    for sql in DROP_AUDIT[store.db.dialect]:
        await store.db.execute(sql)


async def lease_owner(store: SqlStore, task_id: int) -> str | None:
    """Who holds the task now."""
    row = await store.db.fetchrow(
        "SELECT lease_owner FROM batchtask WHERE batchtask_id = ?", task_id
    )
    return None if row is None else row[0]


async def one_round(store: SqlStore, fleet: Fleet, plan: Plan, report: Report) -> None:
    """Freeze the holder of a fresh task for two leases, wake it, and check every write."""
    steps = round(STEPS_PER_LEASE_SECOND * plan.lease)
    (task_id,) = await create_tasks(
        store, "reliability.sleep_steps", 1, lambda _: {"n": str(steps), "ms": str(STEP_MS)}
    )
    deadline = time.monotonic() + 10
    while not (await task_rows_of(store, [task_id]))[task_id].progress_text:
        assert time.monotonic() < deadline, f"task {task_id} never reported progress"
        await asyncio.sleep(0.02)
    owner = await lease_owner(store, task_id)
    zombie = next(w for w in fleet.slots if w.owner == owner)
    zombie.signal(signal.SIGSTOP)
    try:
        # Frozen until the other worker has reclaimed the task (its lease expired meanwhile).
        deadline = time.monotonic() + 10 * plan.lease + 10
        while True:
            reclaimed = (await task_rows_of(store, [task_id]))[task_id].start_count >= 2
            if reclaimed or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.05)
    finally:
        zombie.signal(signal.SIGCONT)
    final = await wait_for_state(store, task_id, frozenset({S.Succeeded, S.Failed}), 30)
    if not reclaimed:
        report.not_reclaimed += 1
        return
    report.reclaimed += 1
    report.stale_writes += await stale_writes(store, task_id, f"1:{zombie.pid}")
    report.zombie_events += sum(
        1
        for e in await store.tasks.events(task_id)
        if e.actor == f"worker:{owner}" and (e.start_count, e.reason) not in ZOMBIE_OWN_EVENTS
    )
    effect = (await effects(store)).get(f"task-{task_id}")
    report.duplicate_effects += 0 if effect is None else effect.duplicates
    (holder,) = [w for w in fleet.slots if w is not zombie]
    if (final.state, final.start_count, final.result) == (S.Succeeded, 2, f"2:{holder.pid}") and (
        effect is not None and effect.attempt == 2
    ):
        report.completed_once += 1
    else:
        report.problems.append(f"task {task_id}: {final} effect {effect}")
    if await dropped(zombie, task_id):
        report.abandoned += 1
    else:
        report.problems.append(f"worker {zombie.pid} never dropped task {task_id}")


async def stale_writes(store: SqlStore, task_id: int, tag: str) -> int:
    """UPDATEs that changed the task's progress or result to ``tag`` after attempt 1 ended, or
    moved its StartCount back."""
    rows = await store.db.fetch(
        "SELECT seq FROM audit WHERE batchtask_id = ? AND startcount >= 2 AND"
        " ((progress <> old_progress AND progress LIKE ?) OR (result <> old_result AND result = ?)"
        "  OR startcount < old_startcount)",
        task_id,
        f"{tag}:%",
        tag,
    )
    return len(rows)


async def dropped(zombie: WorkerProcess, task_id: int, cap: float = 5) -> bool:
    """The zombie logged that it lost the task or that its final write was fenced out."""
    markers = (
        f"task {task_id}: no longer ours",
        f"task {task_id} (reliability.sleep_steps) attempt 1: fenced out",
    )
    deadline = time.monotonic() + cap
    while not any(marker in zombie.output for marker in markers):
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


async def zombie_rounds(url: str, engine: str, plan: Plan) -> Report:
    """Run the rounds on ``url``."""
    store = await open_migrated(url)
    fleet = Fleet(
        start=lambda: WorkerProcess(url, concurrency=2, lease=plan.lease, heartbeat=plan.heartbeat),
        size=2,
    )
    report = Report(engine, plan.rounds, plan.lease)
    began = time.monotonic()
    try:
        await reset_effects(store)
        await install_audit(store)
        await fleet.up()
        while report.reclaimed < plan.rounds and report.tries < plan.rounds + 3:
            report.tries += 1
            await one_round(store, fleet, plan, report)
    finally:
        fleet.stop()
        report.output = fleet.output
        report.seconds = round(time.monotonic() - began, 1)
        await uninstall_audit(store)
        await store.close()
    return report


@pytest.fixture(
    scope="module",
    params=[
        pytest.param(("sqlite", FAST), id="sqlite-5"),
        pytest.param(("postgres", FAST), id="postgres-5", marks=pytest.mark.postgres),
        pytest.param(("sqlite", LONG), id="sqlite-20", marks=[deep_only, DEEP_TIMEOUT]),
        pytest.param(
            ("postgres", LONG),
            id="postgres-20",
            marks=[pytest.mark.postgres, deep_only, DEEP_TIMEOUT],
        ),
    ],
)
def rounds(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Report:
    """The zombie rounds per engine and plan."""
    engine, plan = request.param
    url = fresh_database(engine, request, tmp_path_factory)
    report = asyncio.run(zombie_rounds(url, engine, plan))
    print(f"\nF2 {report.figures()}")
    return report


def test_the_other_worker_reclaims_the_frozen_task(rounds: Report) -> None:
    """In every planned round the task moved to attempt 2 while its holder was frozen."""
    assert rounds.reclaimed == rounds.planned, rounds.figures()


def test_the_stale_lease_writes_no_row(rounds: Report) -> None:
    """No UPDATE wrote the zombie's progress or result once attempt 2 held the task."""
    assert rounds.stale_writes == 0, rounds.figures()


def test_the_stale_lease_logs_no_event(rounds: Report) -> None:
    """The event log holds nothing from the zombie after its own claim and start."""
    assert rounds.zombie_events == 0, rounds.figures()


def test_the_zombie_abandons_its_attempt(rounds: Report) -> None:
    """After SIGCONT the zombie reports the task lost or fenced out, every round."""
    assert rounds.abandoned == rounds.reclaimed, rounds.figures() + "\n" + rounds.output[-4000:]


def test_the_new_attempt_succeeds_with_one_effect(rounds: Report) -> None:
    """Each task ends Succeeded by attempt 2 on the other worker, its effect written once."""
    assert (rounds.completed_once, rounds.duplicate_effects) == (rounds.reclaimed, 0), (
        rounds.figures()
    )
