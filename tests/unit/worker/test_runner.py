"""The worker on the in-memory store: run, retry, stop, time out, hand back, lose.

The store behaves like SQLite and PostgreSQL (the contract suite); the worker on the real engines,
in real processes, is the reliability suite's job."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from batchtask.domain.clock import SystemClock
from batchtask.domain.ports import Attempt, Store
from batchtask.domain.state import BatchTaskState
from batchtask.domain.task import BatchTask, NewTask, TaskUpdate
from batchtask.worker.registry import MARK, Definition, Registry
from batchtask.worker.runner import Worker, WorkerConfig
from tests.unit.worker import handlers

pytestmark = pytest.mark.anyio
S = BatchTaskState
FINISHED = (S.Succeeded, S.SucceededManualCleanup, S.Failed)


def spec(handler: Any) -> Definition:
    found: Definition = getattr(handler, MARK)
    return found


def config(tmp_path: Path, **overrides: Any) -> WorkerConfig:
    values: dict[str, Any] = {
        "files_dir": tmp_path / "files",
        "concurrency": 2,
        "lease": 2.0,
        "heartbeat": 0.5,
        "poll_interval": 0.05,
        "cancel_grace": 0.3,
        "shutdown_grace": 0.0,
        "owner": "test-worker",
    }
    values.update(overrides)
    return WorkerConfig(**values)


@asynccontextmanager
async def running(
    store: Store, tmp_path: Path, *definitions: Definition, runs: Any = None, **overrides: Any
) -> AsyncIterator[Worker]:
    """A worker running on the test loop until the block ends."""
    from batchtask.worker.builtins import sleep  # noqa: PLC0415

    registry = Registry([spec(sleep.sleep), *definitions])
    worker = Worker(runs or store.runs, registry, SystemClock(), config(tmp_path, **overrides))
    task = asyncio.create_task(worker.run())
    await asyncio.wait_for(worker.ready.wait(), 5)
    try:
        yield worker
    finally:
        worker.shutdown(0)
        await asyncio.wait_for(task, 10)


async def create(store: Store, name: str, owner: int = 1, **parameters: str) -> int:
    return await store.tasks.create(
        NewTask(name=name, associate_id=owner, parameters=parameters),
        now=SystemClock().now(),
        actor="test",
    )


async def wait_for(
    store: Store,
    task_id: int,
    states: Collection[BatchTaskState] = FINISHED,
    seconds: float = 10,
) -> BatchTask:
    deadline = time.monotonic() + seconds
    while True:
        task = await store.tasks.get(task_id)
        assert task is not None
        if task.state in states:
            return task
        assert time.monotonic() < deadline, f"task {task_id} still {task.state.name}"
        await asyncio.sleep(0.02)


async def test_a_sleep_task_runs_to_success_with_progress(store: Store, tmp_path: Path) -> None:
    """Claimed, started, progress per step, Succeeded at 100 % with a result and an event trail."""
    task_id = await create(store, "batchtask.sleep", seconds="0.3", steps="3")
    async with running(store, tmp_path) as worker:
        task = await wait_for(store, task_id)
    assert (task.state, task.progress_percent, task.result) == (S.Succeeded, 100, "slept 0.3 s")
    assert task.progress_description == "Step 3 of 3"
    assert (task.start_count, task.lease_owner) == (1, None)
    assert task.last_started is not None
    events = await store.tasks.events(task_id)
    assert [e.to_state for e in events] == [S.New, S.Aquired, S.Started, S.Succeeded]
    assert events[1].actor == "worker:test-worker"
    assert worker.stats.succeeded == 1


async def test_unknown_definitions_stay_new(store: Store, tmp_path: Path) -> None:
    """Only names this worker knows are claimed."""
    other = await create(store, "nobody.knows")
    mine = await create(store, "batchtask.sleep", seconds="0")
    async with running(store, tmp_path):
        await wait_for(store, mine)  # the claim that took it saw ``other`` too, and left it
    task = await store.tasks.get(other)
    assert task is not None
    assert (task.state, task.start_count) == (S.New, 0)


async def test_errors_are_retried_then_fail_with_a_summary(store: Store, tmp_path: Path) -> None:
    """A transient error goes back to New (with backoff) until max_starts, then Failed."""
    task_id = await create(store, "test.boom")
    async with running(store, tmp_path, spec(handlers.boom)) as worker:
        task = await wait_for(store, task_id, (S.Failed,))
    assert task.start_count == 3
    assert task.response == "RuntimeError: boom on attempt 3"
    assert (worker.stats.retried, worker.stats.failed) == (2, 1)
    reasons = [e.reason for e in await store.tasks.events(task_id) if e.to_state is S.New]
    assert [r.startswith("retry in") for r in reasons[1:]] == [True, True]


async def test_task_failed_is_not_retried(store: Store, tmp_path: Path) -> None:
    """``TaskFailed`` ends the task at once with its message."""
    task_id = await create(store, "test.fatal")
    async with running(store, tmp_path, spec(handlers.fatal)):
        task = await wait_for(store, task_id)
    assert (task.state, task.start_count, task.response) == (S.Failed, 1, "bad parameters")


async def test_sync_handlers_run_in_a_thread_and_write_files(store: Store, tmp_path: Path) -> None:
    """A plain function runs off the loop; ``ctx.file`` sets FileName; manual cleanup state."""
    plain = await create(store, "test.thread")
    manual = await create(store, "test.thread", manual="1")
    async with running(store, tmp_path, spec(handlers.in_thread)):
        first = await wait_for(store, plain)
        second = await wait_for(store, manual)
    assert (first.state, first.file_name, first.result) == (S.Succeeded, "out.txt", "thread done")
    written = (tmp_path / "files" / str(plain) / "out.txt").read_text()
    assert written == f"batchtask-task-{plain}"
    assert second.state is S.SucceededManualCleanup


async def test_progress_writes_are_coalesced(store: Store, tmp_path: Path) -> None:
    """200 reports in ~1 s become a handful of writes; the last value lands with the end."""
    calls: list[tuple[int, str]] = []

    class Counting:
        def __getattr__(self, name: str) -> Any:
            return getattr(store.runs, name)

        async def progress(self, attempt: Attempt, percent: int, text: str, **kw: Any) -> bool:
            calls.append((percent, text))
            return await store.runs.progress(attempt, percent, text, **kw)

    task_id = await create(store, "test.chatty")
    async with running(store, tmp_path, spec(handlers.chatty), runs=Counting()):
        task = await wait_for(store, task_id)
    assert 1 <= len(calls) <= 6
    assert (task.progress_percent, task.progress_description) == (100, "200")


async def test_stop_of_a_running_task_ends_it_cancelled(store: Store, tmp_path: Path) -> None:
    """The cooperative handler sees ``cancelled`` and the task ends Failed/[SR_BATCH_CANCELLED]."""
    task_id = await create(store, "batchtask.sleep", seconds="30", steps="30")
    async with running(store, tmp_path) as worker:
        await wait_for(store, task_id, (S.Started,))
        assert await store.runs.request_stop(task_id, now=SystemClock().now(), actor="test")
        task = await wait_for(store, task_id)  # long before the 30 s sleep would end
    assert (task.state, task.response) == (S.Failed, "[SR_BATCH_CANCELLED]")
    assert worker.stats.cancelled == 1


async def test_a_thread_that_ignores_stop_keeps_its_slot(store: Store, tmp_path: Path) -> None:
    """After the grace the task is Failed at once, but the slot stays busy until the thread ends:
    the next task is claimed only after the thread has returned."""
    handlers.STUBBORN_RELEASE.clear()
    handlers.STUBBORN_ENDED.clear()
    task_id = await create(store, "test.stubborn.thread", seconds="60")
    async with running(store, tmp_path, spec(handlers.ignores_stop), concurrency=1) as worker:
        await wait_for(store, task_id, (S.Started,))
        await store.runs.request_stop(task_id, now=SystemClock().now(), actor="test")
        task = await wait_for(store, task_id)
        assert task.response == "[SR_BATCH_CANCELLED]"
        waiting = await create(store, "batchtask.sleep", seconds="0")
        try:
            # A window in which a freed slot would be used; it cannot fail a correct worker,
            # since the thread is held by the event, not by time.
            await asyncio.sleep(0.3)  # sleep-ok: an observation window
            assert not handlers.STUBBORN_ENDED.is_set()
            assert worker.running == 1
            follow = await store.tasks.get(waiting)
            assert follow is not None
            assert follow.state is S.New
        finally:
            handlers.STUBBORN_RELEASE.set()
        await wait_for(store, waiting)
        assert handlers.STUBBORN_ENDED.is_set()


async def test_a_timeout_fails_the_attempt(store: Store, tmp_path: Path) -> None:
    """A definition's timeout ends it Failed/[SR_BATCH_TIMED_OUT] (not retried)."""
    task_id = await create(store, "test.slow")
    async with running(store, tmp_path, spec(handlers.slow)) as worker:
        task = await wait_for(store, task_id, seconds=3)
    assert (task.state, task.response, task.start_count) == (S.Failed, "[SR_BATCH_TIMED_OUT]", 1)
    assert worker.stats.timed_out == 1


async def test_shutdown_releases_running_tasks_at_once(store: Store, tmp_path: Path) -> None:
    """With no grace left, a running task is handed back to New (not left to its lease)."""
    task_id = await create(store, "batchtask.sleep", seconds="30", steps="3")
    async with running(store, tmp_path, lease=60.0) as worker:
        await wait_for(store, task_id, (S.Started,))
        worker.shutdown(0)
        task = await wait_for(store, task_id, (S.New,))  # before the 30 s sleep or 60 s lease
    assert (task.start_count, task.lease_owner) == (1, None)
    assert worker.stats.released == 1
    assert (await store.tasks.events(task_id))[-1].reason == "released"


async def test_shutdown_lets_short_tasks_finish_within_the_grace(
    store: Store, tmp_path: Path
) -> None:
    """A task that ends within the grace period is recorded, not released."""
    task_id = await create(store, "batchtask.sleep", seconds="0.5")
    async with running(store, tmp_path) as worker:
        await wait_for(store, task_id, (S.Started,))
        worker.shutdown(5)
        task = await wait_for(store, task_id)
    assert task.state is S.Succeeded


async def test_a_task_changed_from_outside_is_dropped_without_writes(
    store: Store, tmp_path: Path
) -> None:
    """PUT to a finished state while running: the worker stops the handler and writes nothing."""
    task_id = await create(store, "batchtask.sleep", seconds="30", steps="30")
    async with running(store, tmp_path) as worker:
        await wait_for(store, task_id, (S.Started,))
        await store.tasks.update(
            task_id, TaskUpdate(state=S.Failed, response="external"), now=SystemClock().now(),
            actor="api",
        )  # fmt: skip
        deadline = time.monotonic() + 3
        while worker.stats.lost == 0:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.02)
    task = await store.tasks.get(task_id)
    assert task is not None
    assert (task.state, task.response, task.result) == (S.Failed, "external", "")


async def test_internal_tasks_leave_no_row(store: Store, tmp_path: Path) -> None:
    """An internal task is deleted once it succeeds."""
    task_id = await store.tasks.create(
        NewTask(
            name="batchtask.sleep", associate_id=1, is_internal=True, parameters={"seconds": "0"}
        ),
        now=SystemClock().now(),
        actor="test",
    )
    async with running(store, tmp_path):
        deadline = time.monotonic() + 5
        while await store.tasks.get(task_id) is not None:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.02)
    assert [e.to_state for e in await store.tasks.events(task_id)][-2:] == [S.Succeeded, S.Unknown]


class TestProcessIsolation:
    async def test_handlers_run_in_a_child_process(self, store: Store, tmp_path: Path) -> None:
        """Progress and result come back from the child, sync or async."""
        sync = await create(store, "test.process")
        coro = await create(store, "test.process.async")
        async with running(store, tmp_path, spec(handlers.in_child), spec(handlers.in_child_async)):
            first = await wait_for(store, sync)
            second = await wait_for(store, coro)
        assert first.state is S.Succeeded
        assert first.result.startswith("done in ")
        assert first.result != f"done in {__import__('os').getpid()}"
        assert first.progress_description.startswith("pid ")
        assert (second.state, second.result) == (S.Succeeded, "async child done")

    async def test_a_stubborn_child_is_killed_after_the_grace(
        self, store: Store, tmp_path: Path
    ) -> None:
        """Stop → cooperative request ignored → killed → Failed/[SR_BATCH_CANCELLED]."""
        task_id = await create(store, "test.process", seconds="30", stubborn="1")
        async with running(store, tmp_path, spec(handlers.in_child)):
            await _child_started(store, task_id)
            await store.runs.request_stop(task_id, now=SystemClock().now(), actor="test")
            task = await wait_for(store, task_id)  # long before the child's 30 s end
        assert (task.state, task.response) == (S.Failed, "[SR_BATCH_CANCELLED]")

    async def test_a_child_that_dies_fails_the_attempt(self, store: Store, tmp_path: Path) -> None:
        """``os._exit`` in the handler kills only the child; the attempt fails with its code."""
        task_id = await create(store, "test.process", exit="3")
        async with running(store, tmp_path, spec(handlers.in_child)) as worker:
            task = await wait_for(store, task_id)
        assert (task.state, task.response) == (
            S.Failed, "the task's process exited with code 3",
        )  # fmt: skip
        assert worker.stats.failed == 1


class TestFairness:
    """Issue 11 #7: one plain user cannot occupy every slot for a day."""

    async def test_one_users_long_sleeps_do_not_starve_another_users_task(
        self, store: Store, tmp_path: Path
    ) -> None:
        """Four day-long sleeps of user 1 on four slots: user 2's task still runs at once."""
        hogs = [await create(store, "batchtask.sleep", owner=1, seconds="86400") for _ in range(4)]
        async with running(store, tmp_path, concurrency=4) as worker:
            await wait_for(store, hogs[0], (S.Started,))
            other = await create(store, "batchtask.sleep", owner=2, seconds="0")
            task = await wait_for(store, other, seconds=5)
            assert task.state is S.Succeeded
            held = [await store.tasks.get(h) for h in hogs]
            assert sum(t is not None and t.state is S.Started for t in held) == 2
            assert worker.running == 2

    async def test_system_tasks_are_not_capped(self, store: Store, tmp_path: Path) -> None:
        """The operator's own (system) tasks may use every slot."""
        ids = [await create(store, "batchtask.sleep", owner=0, seconds="30") for _ in range(4)]
        async with running(store, tmp_path, concurrency=4):
            for task_id in ids:
                await wait_for(store, task_id, (S.Started,))


async def _child_started(store: Store, task_id: int) -> None:
    """Wait until the handler's child process has reported its pid (it runs)."""
    deadline = time.monotonic() + 10
    while True:
        task = await store.tasks.get(task_id)
        assert task is not None
        if task.progress_description.startswith("pid "):
            return
        assert time.monotonic() < deadline, f"task {task_id}: no child yet ({task.state.name})"
        await asyncio.sleep(0.02)


class _Away:
    """``store.runs`` with the database away for the first ``failures`` calls of each method
    named in ``methods`` (a ``ConnectionError`` each), then back."""

    def __init__(self, runs: Any, failures: int, *methods: str) -> None:
        self._runs = runs
        self._left = dict.fromkeys(methods, failures)
        self.failed: list[str] = []

    def __getattr__(self, name: str) -> Any:
        real = getattr(self._runs, name)
        if name not in self._left:
            return real

        async def flaky(*args: Any, **kwargs: Any) -> Any:
            if self._left[name] > 0:
                self._left[name] -= 1
                self.failed.append(name)
                raise ConnectionError(f"{name}: database away")
            return await real(*args, **kwargs)

        return flaky


async def test_a_database_that_comes_back_loses_no_task(store: Store, tmp_path: Path) -> None:
    """Registering, LISTEN, claiming, heartbeats, progress and the final write fail for a while:
    the worker retries (never dies) and the task still ends Succeeded with its last progress."""
    task_id = await create(store, "test.chatty")
    away = _Away(store.runs, 1, "register", "claim", "progress", "conclude", "listen", "heartbeat")
    async with running(store, tmp_path, spec(handlers.chatty), runs=away) as worker:
        task = await wait_for(store, task_id)
    assert (task.state, task.progress_percent, task.progress_description) == (
        S.Succeeded,
        100,
        "200",
    )
    assert worker.stats.succeeded == 1
    # (a heartbeat falls in the run too, usually; its failure is survived the same way)
    assert {"claim", "conclude", "listen", "progress", "register"} <= set(away.failed)


async def test_a_start_that_cannot_be_written_is_left_to_the_reaper(
    store: Store, tmp_path: Path
) -> None:
    """The claim succeeded but the start write failed: the attempt is counted lost, nothing runs."""
    task_id = await create(store, "batchtask.sleep", seconds="0")
    away = _Away(store.runs, 1_000, "start_many")
    async with running(store, tmp_path, runs=away) as worker:
        deadline = time.monotonic() + 10
        while worker.stats.lost == 0:
            assert time.monotonic() < deadline, worker.stats
            await asyncio.sleep(0.02)
    task = await store.tasks.get(task_id)
    assert task is not None
    assert (task.state, task.start_count) == (S.Aquired, 1)  # claimed; the reaper returns it
    assert worker.stats.succeeded == 0


async def test_an_idle_worker_polls_less_and_a_poke_brings_it_back(
    store: Store, tmp_path: Path
) -> None:
    """With ``idle_poll`` the wait between empty claims doubles up to it, and only a poke (a task
    created in this process) or a claim brings it back; without ``idle_poll`` it never grows."""
    async with running(store, tmp_path, poll_interval=0.01, idle_poll=60.0) as worker:
        deadline = time.monotonic() + 30
        while worker.idle_wait < 0.32:  # 0.01, 0.02, … doubling while nothing comes
            assert time.monotonic() < deadline
            await asyncio.sleep(0.01)
        worker.poke()  # nothing to claim: without the poke the wait could only grow
        while worker.idle_wait >= 0.32:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.01)
        task_id = await create(store, "batchtask.sleep", seconds="0")
        worker.poke()
        assert (await wait_for(store, task_id)).state is S.Succeeded
    async with running(store, tmp_path, poll_interval=0.01) as steady:
        for _ in range(20):
            await asyncio.sleep(0.01)
            assert steady.idle_wait == 0.01
