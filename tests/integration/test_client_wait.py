"""``wait()`` against the real server with its embedded worker running real tasks.

``wait()`` follows the task's stream by default ("auto"); the
tests with ``follow_stream=False`` pin the polling path, whatever the server offers later.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from batchtask.client import (
    AsyncClient,
    BatchTaskInfo,
    BatchTaskState,
    Client,
    NotFound,
    WaitTimeout,
)
from batchtask.domain.user import Role
from tests.conftest import FakeClock
from tests.integration import conftest as live
from tests.integration.conftest import PASSWORD, LiveServer


@pytest.fixture
def working(database_url: str, clock: FakeClock, tmp_path: Path) -> Iterator[LiveServer]:
    """A live server whose embedded worker runs tasks; user ``alice``."""
    settings = live.test_settings(database_url, files_dir=str(tmp_path / "files"), worker=True)
    live.prepare_database(database_url, clock)
    for running in live.run_server(settings, clock):
        running.add_user("alice", Role.user)
        yield running


def progress_of(snapshots: list[BatchTaskInfo]) -> list[tuple[str, int, str]]:
    return [(s.state.name, s.progress_percent, s.progress_description) for s in snapshots]


@pytest.mark.parametrize("follow_stream", [False, True], ids=["poll", "auto"])
def test_wait_reports_progress_until_success(working: LiveServer, follow_stream: bool) -> None:
    """on_progress sees the first snapshot and every change; the result is the final carrier."""
    seen: list[BatchTaskInfo] = []
    with Client(
        working.base_url, username="alice", password=PASSWORD, follow_stream=follow_stream
    ) as client:
        task = client.start("batchtask.sleep", {"seconds": "1.2", "steps": "3"})
        done = client.wait(task.id, timeout=60, on_progress=seen.append)
    assert done.state is BatchTaskState.Succeeded
    assert done.result == "slept 1.2 s"
    assert done.progress_percent == 100
    assert seen[0].state in {BatchTaskState.New, BatchTaskState.Aquired, BatchTaskState.Started}
    assert seen[-1] == done
    steps = [text for _, _, text in progress_of(seen) if text]
    assert steps[-1] == "Step 3 of 3"
    assert len(steps) >= 2  # intermediate steps were seen, not only the end
    assert len(set(progress_of(seen))) == len(seen)  # reported on change only


def test_wait_until_a_state(working: LiveServer) -> None:
    """until= returns as soon as the task is in one of the given states."""
    with Client(working.base_url, username="alice", password=PASSWORD) as client:
        task = client.start("batchtask.sleep", {"seconds": "30"})
        started = client.wait(task.id, timeout=60, until=BatchTaskState.Started)
        assert started.state is BatchTaskState.Started
        assert started.last_started is not None
        assert client.stop(task.id) is True
        stopped = client.wait(task.id, timeout=60, until={BatchTaskState.New})
    assert stopped.state is BatchTaskState.Failed  # finished counts even when not in until


def test_wait_times_out_with_the_last_snapshot(server: LiveServer) -> None:
    """No worker: the task stays New, WaitTimeout comes after the timeout and carries it."""
    with Client(server.base_url, username="alice", password=PASSWORD) as client:
        task = client.start("batchtask.sleep")
        seen: list[BatchTaskInfo] = []
        with pytest.raises(WaitTimeout) as caught:
            client.wait(task.id, timeout=0.5, on_progress=seen.append)
    assert caught.value.last.id == task.id
    assert caught.value.last.state is BatchTaskState.New
    assert isinstance(caught.value, TimeoutError)
    assert [s.id for s in seen] == [task.id]


def test_wait_for_a_missing_task_is_not_found(server: LiveServer) -> None:
    """The first read fails at once: there is nothing to wait for."""
    with Client(server.base_url, username="alice", password=PASSWORD) as client:
        with pytest.raises(NotFound):
            client.wait(424242, timeout=5)
        with pytest.raises(ValueError, match="timeout"):
            client.wait(1, timeout=-1)


@pytest.mark.anyio
async def test_async_wait_reports_progress_until_success(working: LiveServer) -> None:
    """AsyncClient.wait: the same progress reports and final carrier, awaited."""
    seen: list[BatchTaskInfo] = []
    async with AsyncClient(
        working.base_url, username="alice", password=PASSWORD, follow_stream=False
    ) as client:
        task = await client.start("batchtask.sleep", {"seconds": "1", "steps": "2"})
        done = await client.wait(task.id, timeout=60, on_progress=seen.append)
    assert done.state is BatchTaskState.Succeeded
    assert seen[-1] == done
    assert "Step 1 of 2" in [s.progress_description for s in seen]


@pytest.mark.anyio
async def test_async_wait_times_out_with_the_last_snapshot(server: LiveServer) -> None:
    """AsyncClient.wait raises WaitTimeout with the last snapshot (no worker runs the task)."""
    async with AsyncClient(server.base_url, username="alice", password=PASSWORD) as client:
        task = await client.start("batchtask.sleep")
        with pytest.raises(WaitTimeout) as caught:
            await client.wait(task.id, timeout=0.5)
    assert caught.value.last.id == task.id
    assert caught.value.last.state is BatchTaskState.New
