"""F6 — Stop racing completion, over HTTP: a real ``batchtask serve`` and a real worker process.

100 short tasks are POSTed and each gets ``POST /api/v1/BatchTask/{id}/Stop`` after a seeded
random delay, so Stop lands on New, Aquired, Started and finished tasks and right at completion.
``true`` must mean the task really stopped (it ends ``Failed`` [SR_BATCH_CANCELLED]); ``false``
only that it had already succeeded; no task may be both ``Succeeded`` and stopped. Where each
Stop landed is read from the event log, not guessed from timing.
"""

from __future__ import annotations

import asyncio
import json
import random
import statistics
import time
from dataclasses import asdict, dataclass, field

import httpx
import pytest

from batchtask.domain.state import BatchTaskState
from batchtask.storage.store import SqlStore
from tests.reliability.conftest import ENGINES, fresh_database, open_migrated
from tests.reliability.observation import Watch, effects, reset_effects, task_rows
from tests.reliability.processes import ServeProcess, WorkerProcess, cli

pytestmark = [pytest.mark.reliability, pytest.mark.e2e]

S = BatchTaskState
RACES, LANES, SEED = 100, 10, 6
CANCELLED = "[SR_BATCH_CANCELLED]"


@dataclass
class Report:
    """Where each Stop landed and how each task ended."""

    engine: str
    races: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    #: Stop answered true, by the state it found: New/Aquired fail at once, Started is asked.
    stopped_waiting: int = 0
    stopped_running: int = 0
    #: Stop answered false.
    too_late: int = 0
    #: Stop answered true but the task did not end Failed [SR_BATCH_CANCELLED].
    true_but_not_cancelled: list[int] = field(default_factory=list)
    #: Stop answered false but the task did not end Succeeded.
    false_but_not_succeeded: list[int] = field(default_factory=list)
    succeeded_and_stopped: int = 0
    #: Stopped while Started, yet the handler had already written its effect (cancel wins).
    effect_despite_stop: int = 0
    #: Seconds from a Started task's stop request to its Failed event (p50, max).
    stop_latency: tuple[float, float] = (0.0, 0.0)
    seconds: float = 0.0
    output: str = field(default="", repr=False)

    def figures(self) -> str:
        """The report without the processes' output, as one JSON line."""
        data = asdict(self)
        data.pop("output")
        return json.dumps(data)


async def race(
    client: httpx.AsyncClient, rng: random.Random, lanes: asyncio.Semaphore, report: Report
) -> tuple[int, bool]:
    """POST one task, wait, POST its Stop; (id, what Stop answered)."""
    step_ms = rng.randint(50, 150)
    delay = 0.0 if rng.random() < 0.2 else rng.uniform(0.0, 0.5)
    async with lanes:
        created = await client.post(
            "/api/v1/BatchTask",
            json={"Name": "reliability.sleep_steps",
                  "ParameterObject": {"n": "2", "ms": str(step_ms)}},
        )  # fmt: skip
        report.statuses[created.status_code] = report.statuses.get(created.status_code, 0) + 1
        task_id = int(created.json())
        # A random delay into the race (any outcome is classified, none is waited for):
        await asyncio.sleep(delay)  # sleep-ok: injected delay
        stopped = await client.post(f"/api/v1/BatchTask/{task_id}/Stop")
        report.statuses[stopped.status_code] = report.statuses.get(stopped.status_code, 0) + 1
        answer = stopped.json()
        assert isinstance(answer, bool)
        return task_id, answer


async def stop_races(url: str, engine: str) -> Report:
    """Serve, work and race Stop against completion on ``url``."""
    store = await open_migrated(url)
    report = Report(engine)
    began = time.monotonic()
    children: list[ServeProcess | WorkerProcess] = []
    try:
        await reset_effects(store)
        cli(url, "user", "add", "alice", "--password", "a long password")
        ticket = cli(url, "ticket", "alice").strip()
        serve = ServeProcess(url)
        children.append(serve)
        worker = WorkerProcess(url, concurrency=8, lease=2.0, heartbeat=0.5)
        children.append(worker)
        await serve.ready()
        await worker.ready()
        rng = random.Random(SEED)
        lanes = asyncio.Semaphore(LANES)
        headers = {"Authorization": f"SOTicket {ticket}", "Accept": "application/json"}
        async with httpx.AsyncClient(base_url=serve.base, headers=headers, timeout=10) as client:
            answers = dict(
                await asyncio.gather(*(race(client, rng, lanes, report) for _ in range(RACES)))
            )
        report.races = len(answers)
        await Watch(store).drain(cap=60, interval=0.05)
        await classify(store, answers, report)
    finally:
        for child in children:
            child.stop()
        report.output = "\n".join(f"--- {c.pid}\n{c.output}" for c in children)
        report.seconds = round(time.monotonic() - began, 1)
        await store.close()
    return report


async def classify(store: SqlStore, answers: dict[int, bool], report: Report) -> None:
    """Read where each Stop landed and how each task ended."""
    rows = await task_rows(store)
    done = await effects(store)
    latencies = []
    for task_id, stopped in answers.items():
        row = rows[task_id]
        events = await store.tasks.events(task_id)
        asked = [e for e in events if e.reason == "stop requested"]
        if row.state is S.Succeeded and stopped:
            report.succeeded_and_stopped += 1
        if not stopped:
            report.too_late += 1
            if row.state is not S.Succeeded:
                report.false_but_not_succeeded.append(task_id)
            continue
        if (row.state, row.response) != (S.Failed, CANCELLED):
            report.true_but_not_cancelled.append(task_id)
        if asked:
            report.stopped_running += 1
            failed = next(e for e in events if e.to_state is S.Failed)
            latencies.append((failed.at - asked[0].at).total_seconds())
            if f"task-{task_id}" in done:
                report.effect_despite_stop += 1
        else:
            report.stopped_waiting += 1
    if latencies:
        report.stop_latency = (round(statistics.median(latencies), 3), round(max(latencies), 3))


@pytest.fixture(scope="module", params=ENGINES)
def races(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Report:
    """The Stop races per engine."""
    url = fresh_database(request.param, request, tmp_path_factory)
    report = asyncio.run(stop_races(url, request.param))
    print(f"\nF6 {report.figures()}")
    return report


def test_every_request_is_answered_200(races: Report) -> None:
    """All 100 POSTs and 100 Stops were answered 200."""
    assert races.statuses == {200: 2 * RACES}, races.figures()


def test_stop_true_means_the_task_ended_cancelled(races: Report) -> None:
    """Every task whose Stop answered true ended Failed [SR_BATCH_CANCELLED], never Succeeded."""
    assert (races.true_but_not_cancelled, races.succeeded_and_stopped) == ([], 0), races.figures()


def test_stop_false_means_the_task_had_succeeded(races: Report) -> None:
    """Every task whose Stop answered false ended Succeeded."""
    assert races.false_but_not_succeeded == [], races.figures()


def test_the_race_hits_waiting_running_and_finished_tasks(races: Report) -> None:
    """At least 5 Stops each found the task waiting, running, or already finished."""
    assert races.races == RACES
    assert min(races.stopped_waiting, races.stopped_running, races.too_late) >= 5, races.figures()
