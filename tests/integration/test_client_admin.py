"""``Client.admin`` and ``AsyncClient.admin``: the console's admin API, typed, against the server.

``tests/integration/test_admin_api.py`` pins the wire; this file checks that the client reads it
into the right Python values, blocking and awaitable alike.
"""

from __future__ import annotations

import pytest

from batchtask.client import AsyncClient, BatchTaskState, Client, NotFound
from batchtask.client.admin import StreamEvent
from batchtask.domain.task import TaskOutcome
from batchtask.domain.worker_info import WorkerInfo
from tests.integration.conftest import PASSWORD, LiveServer
from tests.integration.test_seed_endpoint import make_task

S = BatchTaskState
pytestmark = pytest.mark.anyio


def finish(server: LiveServer, task_id: int, state: BatchTaskState = S.Failed) -> None:
    """End a task as a worker would (start count 1, a response)."""
    server.run(
        server.services.store.tasks.record_outcome(
            task_id, TaskOutcome(state=state, start_count=1, response="boom"),
            now=server.clock.now(), actor="test",
        )
    )  # fmt: skip


def register_worker(server: LiveServer) -> None:
    """One live worker in the registry."""
    now = server.clock.now()
    info = WorkerInfo("host:1:abc", "host", 1, "0.1.0", "standalone", now, now, 30.0, 4, 0,
                      ("batchtask.sleep",), ())  # fmt: skip
    server.run(server.services.store.workers.register(info))


def test_the_blocking_admin_client_reads_every_call(server: LiveServer) -> None:
    """Search, detail, stop, retry, delete, bulk, definitions, workers and stats."""
    first = make_task(server, "alice", description="alpha report", parameters={"k": "v"})
    second = make_task(server, "alice", description="beta report")
    third = make_task(server, "bob", name="other.job", description="gamma")
    finish(server, second)
    register_worker(server)
    with Client(server.base_url, username="admin", password=PASSWORD) as client:
        admin = client.admin
        page = admin.tasks(top=2)
        assert [row.id for row in page.tasks] == [third, second]
        assert page.count == 3
        assert page.next is not None
        assert "skip=2" in page.next
        assert [row.id for row in admin.tasks(q="REPORT", order_by="description desc").tasks] == [
            second, first,
        ]  # fmt: skip
        failed = admin.tasks(filter="state eq 5")
        assert [(row.id, row.state) for row in failed.tasks] == [(second, S.Failed)]

        detail = admin.task(first)
        assert detail.task.id == first
        assert detail.task.parameter_object == {"k": "v"}
        assert [(e.from_state, e.to_state) for e in detail.events] == [(None, S.New)]
        assert detail.lease is None
        assert detail.actions == ["Stop", "Delete", "Edit"]
        with pytest.raises(NotFound):
            admin.task(424242)

        assert admin.stop(first) is True
        assert admin.task(first).task.state is S.Failed
        retried = admin.retry(first)
        assert (retried.id, retried.state) == (first, S.New)
        admin.delete(third)
        with pytest.raises(NotFound):
            admin.task(third)

        dry = admin.bulk("Delete", filter="state eq 5", dry_run=True)
        assert (dry.matched, dry.done, dry.skipped) == (1, 1, [])
        done = admin.bulk("Retry", ids=[first, second, 999])
        assert (done.matched, done.done) == (2, 1)
        assert [skipped.id for skipped in done.skipped] == [first, 999]
        with pytest.raises(ValueError, match="either ids or filter"):
            admin.bulk("Stop")

        definitions = {definition.name: definition for definition in admin.definitions()}
        assert definitions["batchtask.sleep"].counts["New"] == 2
        assert definitions["batchtask.sleep"].max_starts >= 1
        (worker,) = admin.workers()
        assert (worker.id, worker.slots, worker.alive) == ("host:1:abc", 4, True)
        assert worker.definitions == ["batchtask.sleep"]
        stats = admin.stats(window=600, step=60)
        assert stats.counts["New"] == 2
        assert stats.series


async def test_the_awaitable_admin_client_reads_every_call(server: LiveServer) -> None:
    """The same calls on ``AsyncClient.admin``."""
    first = make_task(server, "alice", description="alpha")
    second = make_task(server, "alice", description="beta")
    finish(server, second)
    register_worker(server)
    async with AsyncClient(server.base_url, username="admin", password=PASSWORD) as client:
        admin = client.admin
        page = await admin.tasks(filter="state eq 1", q="alpha", order_by="description desc", top=5)
        assert [row.id for row in page.tasks] == [first]
        assert (await admin.task(first)).task.description == "alpha"
        assert await admin.stop(first) is True
        assert (await admin.retry(first)).state is S.New
        result = await admin.bulk("Stop", ids=[first], dry_run=True)
        assert (result.matched, result.done) == (1, 1)
        await admin.delete(second)
        with pytest.raises(NotFound):
            await admin.task(second)
        assert "batchtask.sleep" in {d.name for d in await admin.definitions()}
        assert [w.id for w in await admin.workers()] == ["host:1:abc"]
        assert (await admin.stats()).counts["New"] == 1
        with pytest.raises(NotFound):
            await admin.file(first)


def test_the_stream_of_a_finished_task_reads_its_events(server: LiveServer) -> None:
    """``admin.stream(id)`` of a finished task: its snapshot as parsed JSON, then ``end``."""
    task_id = make_task(server, "alice")
    finish(server, task_id, S.Succeeded)
    with Client(server.base_url, username="alice", password=PASSWORD) as client:
        events = list(client.admin.stream(task_id))
    assert all(isinstance(event, StreamEvent) for event in events)
    (task,) = [event for event in events if event.event == "task"]
    assert (task.data["Id"], task.data["State"]) == (task_id, "Succeeded")
    assert task.id is not None
    assert events[-1].event == "end"


async def test_the_awaitable_stream_reads_its_events(server: LiveServer) -> None:
    """``AsyncClient.admin.stream`` does the same, awaitably."""
    task_id = make_task(server, "alice")
    finish(server, task_id, S.Succeeded)
    async with AsyncClient(server.base_url, username="alice", password=PASSWORD) as client:
        events = [event async for event in client.admin.stream(task_id)]
    (task,) = [event for event in events if event.event == "task"]
    assert task.data["Id"] == task_id
    assert events[-1].event == "end"
