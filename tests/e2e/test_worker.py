"""Real worker processes on each engine: run a task, survive kill -9, hand back on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from batchtask.domain.clock import SystemClock
from batchtask.domain.state import BatchTaskState
from batchtask.domain.task import BatchTask, NewTask
from batchtask.storage.store import SqlStore
from tests.conftest import open_sql_store

pytestmark = [pytest.mark.e2e, pytest.mark.anyio]

BATCHTASK = [sys.executable, "-m", "batchtask"]
S = BatchTaskState


class WorkerProcess:
    """``batchtask worker`` as a child process, its output collected by a thread."""

    def __init__(self, database: str, *args: str) -> None:
        env = {
            **os.environ,
            "BATCHTASK_DATABASE_URL": database,
            "BATCHTASK_POLL_INTERVAL": "0.1",
            "BATCHTASK_CANCEL_GRACE": "0.5",
            "BATCHTASK_HANDLERS": "tests.unit.worker.handlers",
        }
        self.process = subprocess.Popen(
            [*BATCHTASK, "worker", "--lease", "2", "--heartbeat", "0.5", *args],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_ready(self, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while not any(" ready (" in line for line in self.lines):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"worker did not start:\n{self.output}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(10)
        self._reader.join(5)
        if self.process.stdout is not None:
            self.process.stdout.close()


@contextmanager
def worker(database: str, *args: str) -> Iterator[WorkerProcess]:
    """A ready worker process, killed at the end of the block if it still runs."""
    process = WorkerProcess(database, *args)
    try:
        process.wait_ready()
        yield process
    finally:
        process.stop()


async def create(store: SqlStore, name: str = "batchtask.sleep", **parameters: str) -> int:
    return await store.tasks.create(
        NewTask(name=name, associate_id=0, parameters=parameters),
        now=SystemClock().now(),
        actor="e2e",
    )


async def wait_for(
    store: SqlStore, task_id: int, states: Collection[BatchTaskState], seconds: float
) -> BatchTask:
    deadline = time.monotonic() + seconds
    while True:
        task = await store.tasks.get(task_id)
        assert task is not None
        if task.state in states:
            return task
        assert time.monotonic() < deadline, f"task {task_id} still {task.state.name}"
        await asyncio.sleep(0.02)


async def test_cli_start_wait_runs_a_task_through_a_worker(
    store: SqlStore, database_url: str
) -> None:
    """`task start --wait` exits 0 once a separate worker process has run the task."""
    with worker(database_url) as running:
        cli = await asyncio.create_subprocess_exec(
            *BATCHTASK, "task", "start", "batchtask.sleep", "--param", "seconds=0.4",
            "--param", "steps=2", "--wait", "--timeout", "20",
            env={**os.environ, "BATCHTASK_DATABASE_URL": database_url},
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await asyncio.wait_for(cli.communicate(), 60)
        assert cli.returncode == 0, err.decode() + running.output
    task_id = int(out.decode().strip())
    task = await store.tasks.get(task_id)
    assert task is not None
    assert (task.state, task.progress_percent, task.progress_description) == (
        S.Succeeded, 100, "Step 2 of 2",
    )  # fmt: skip
    assert "Succeeded" in err.decode()


async def test_a_task_survives_kill_9_of_its_worker(store: SqlStore, database_url: str) -> None:
    """After kill -9 the lease expires, another worker's reaper requeues the task and it runs
    to success as attempt 2."""
    task_id = await create(store, seconds="6", steps="12")
    with worker(database_url) as first:
        task = await wait_for(store, task_id, (S.Started,), 10)
        deadline = time.monotonic() + 10
        while task.progress_percent == 0:  # killed mid-run, after its first step
            assert time.monotonic() < deadline, first.output
            await asyncio.sleep(0.02)
            task = await wait_for(store, task_id, (S.Started,), 1)
        first.process.send_signal(signal.SIGKILL)
        first.process.wait(5)
    killed = await store.tasks.get(task_id)
    assert killed is not None
    assert killed.state is S.Started
    with worker(database_url):
        task = await wait_for(store, task_id, (S.Succeeded, S.Failed), 6 + 20)
    assert (task.state, task.start_count) == (S.Succeeded, 2)
    (reaped,) = [e for e in await store.tasks.events(task_id) if e.reason.startswith("lease of ")]
    assert (reaped.from_state, reaped.to_state, reaped.start_count) == (S.Started, S.New, 1)


async def test_sigterm_hands_a_running_task_back_at_once(
    store: SqlStore, database_url: str
) -> None:
    """With no grace, SIGTERM hands the running task back to New (released by the worker, not
    reaped after its lease) and the worker exits 0; the attempt does not count against the
    retries."""
    task_id = await create(store, seconds="30", steps="30")
    with worker(database_url, "--grace", "0", "--lease", "60") as running:
        await wait_for(store, task_id, (S.Started,), 10)
        running.process.send_signal(signal.SIGTERM)
        task = await wait_for(store, task_id, (S.New,), 20)  # before the 30 s run or 60 s lease
        assert running.process.wait(10) == 0, running.output
    assert (task.start_count, task.lease_owner) == (1, None)
    assert "released=1" in running.output
    assert (await store.tasks.events(task_id))[-1].reason == "released"


async def test_a_process_isolated_handler_dies_with_its_worker(tmp_path: Path) -> None:
    """kill -9 of the worker ends the handler's child process too, so the task can never run
    twice at once after the reaper hands it to another worker (engine-independent: SQLite)."""
    database_url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    store = await open_sql_store(database_url, auto_migrate=True, synchronous="NORMAL")
    try:
        await _orphan_check(store, database_url)
    finally:
        await store.close()


async def _orphan_check(store: SqlStore, database_url: str) -> None:
    task_id = await create(store, "test.process", seconds="60", stubborn="1")
    with worker(database_url) as running:
        task = await wait_for(store, task_id, (S.Started,), 10)
        deadline = time.monotonic() + 10
        while not task.progress_description.startswith("pid "):
            assert time.monotonic() < deadline, running.output
            await asyncio.sleep(0.05)
            task = await wait_for(store, task_id, (S.Started,), 1)
        child = int(task.progress_description.split()[1])
        os.kill(child, 0)  # alive
        running.process.send_signal(signal.SIGKILL)
        running.process.wait(5)
    deadline = time.monotonic() + 3
    while _alive(child):
        assert time.monotonic() < deadline, f"child {child} outlived its worker"
        await asyncio.sleep(0.05)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by init) counts as gone.
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except FileNotFoundError:
        return False
