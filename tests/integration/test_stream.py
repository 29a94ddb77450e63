"""The live stream (SPEC §10.1 ``stream``, ``tasks/{id}/stream``) over real HTTP on both engines:
changes reach subscribers, resume with ``Last-Event-ID`` loses nothing, a too-old id gets
``reset``, 200 subscribers all get a progress change, and a client that stops reading is dropped
while the others get every event."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from batchtask.domain.state import BatchTaskState
from batchtask.domain.task import TaskOutcome
from tests.conftest import FakeClock
from tests.integration import conftest as live
from tests.integration.sse_client import Event, SseClient
from tests.integration.test_seed_endpoint import basic, make_task

STREAM = "/admin/api/stream"


def progress(
    server: live.LiveServer, task_id: int, percent: int, text: str = "", **more: object
) -> None:
    """Report progress as an outside executor would (one change of the task)."""
    outcome = TaskOutcome(progress_percent=percent, progress_description=text, **more)  # type: ignore[arg-type]
    server.call(
        lambda s: s.store.tasks.record_outcome(
            task_id, outcome, now=server.clock.now(), actor="test"
        )
    )


def is_task(task_id: int, **fields: object):  # type: ignore[no-untyped-def]
    """A matcher for the task event of ``task_id`` with these field values."""

    def match(event: Event) -> bool:
        return (
            event.name == "task"
            and event.data["Id"] == task_id
            and all(event.data[key] == value for key, value in fields.items())
        )

    return match


def subscribers(server: live.LiveServer) -> int:
    """Streams the server's hub feeds right now."""
    return server.services.live.subscribers


def wait_for(condition, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    """Poll until ``condition()`` holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition never held"
        time.sleep(0.02)


def test_a_task_stream_follows_the_task_to_its_end(server: live.LiveServer) -> None:
    """The current state at once, every change, then the final state and ``end``."""
    task_id = make_task(server, "alice")

    async def scenario() -> list[Event]:
        client = await SseClient.open(
            server.base_url, f"/admin/api/tasks/{task_id}/stream", basic("alice")
        )
        assert client.status == 200
        first = await client.until(is_task(task_id, State="New"))
        await asyncio.to_thread(
            progress, server, task_id, 40, "Step 2 of 5", state=BatchTaskState.Started
        )
        moving = await client.until(is_task(task_id, ProgressPercent=40))
        await asyncio.to_thread(
            progress, server, task_id, 100, "Done", state=BatchTaskState.Succeeded
        )
        end = await client.until(lambda e: e.name == "end")
        assert await client.next() is None  # the stream closes after end
        await client.close()
        return [first, moving, end]

    first, moving, end = asyncio.run(scenario())
    assert first.data == {
        "Id": task_id, "Name": "batchtask.sleep", "State": "New", "ProgressPercent": 0,
        "ProgressDescription": "", "StartCount": 0,
        "AssociateId": server.users["alice"].associate_id,
    }  # fmt: skip
    assert (moving.data["State"], moving.data["ProgressDescription"]) == ("Started", "Step 2 of 5")
    assert moving.id is not None
    assert first.id is not None
    assert int(moving.id) > int(first.id)
    assert (end.data["State"], end.data["ProgressPercent"]) == ("Succeeded", 100)


def test_a_task_deleted_while_followed_ends_with_its_last_state(server: live.LiveServer) -> None:
    """A task deleted after it failed ends the stream with State Failed (from its event log)."""
    task_id = make_task(server, "alice")
    progress(server, task_id, 10, state=BatchTaskState.Started, start_count=1)

    async def scenario() -> Event:
        client = await SseClient.open(
            server.base_url, f"/admin/api/tasks/{task_id}/stream", basic("alice")
        )
        await client.until(is_task(task_id, State="Started"))
        await asyncio.to_thread(
            lambda: server.call(
                lambda s: s.store.tasks.delete([task_id], now=server.clock.now(), actor="test")
            )
        )
        end = await client.until(lambda e: e.name == "end")
        await client.close()
        return end

    assert asyncio.run(scenario()).data["State"] == "Unknown"


def test_every_subscriber_sees_every_task_it_may_read(server: live.LiveServer) -> None:
    """bob's stream carries alice's new task (everyone may read every task, §6)."""

    async def scenario() -> Event:
        client = await SseClient.open(server.base_url, STREAM, basic("bob"))
        await asyncio.to_thread(wait_for, lambda: subscribers(server) == 1)
        task_id = await asyncio.to_thread(make_task, server, "alice")
        event = await client.until(is_task(task_id))
        await client.close()
        return event

    event = asyncio.run(scenario())
    assert (event.data["State"], event.data["AssociateId"]) == (
        "New",
        server.users["alice"].associate_id,
    )


def test_resume_with_last_event_id_loses_nothing(server: live.LiveServer) -> None:
    """Reconnecting with the last id received replays every task changed since, in its current
    state (a deleted one as Unknown), and nothing from before."""
    before = make_task(server, "alice")
    deleted = make_task(server, "alice")

    async def first_visit() -> str:
        client = await SseClient.open(server.base_url, STREAM, basic("alice"))
        await asyncio.to_thread(wait_for, lambda: subscribers(server) == 1)
        await asyncio.to_thread(progress, server, before, 5)
        event = await client.until(is_task(before, ProgressPercent=5))
        await client.close()
        assert event.id is not None
        return event.id

    last = asyncio.run(first_visit())
    wait_for(lambda: subscribers(server) == 0)
    created = make_task(server, "bob")
    progress(server, before, 60)
    progress(server, before, 70)
    server.call(lambda s: s.store.tasks.delete([deleted], now=server.clock.now(), actor="test"))

    async def second_visit() -> list[Event]:
        client = await SseClient.open(
            server.base_url, STREAM, {**basic("alice"), "Last-Event-ID": last}
        )
        events = [await client.until(lambda e: e.name == "task") for _ in range(3)]
        await client.close()
        return events

    events = asyncio.run(second_visit())
    seen = {event.data["Id"]: event.data for event in events}
    assert set(seen) == {created, before, deleted}
    assert seen[before]["ProgressPercent"] == 70
    assert seen[deleted]["State"] == "Unknown"
    assert [int(e.id or 0) for e in events] == sorted(int(e.id or 0) for e in events)


def test_a_last_event_id_older_than_the_log_gets_reset(server: live.LiveServer) -> None:
    """When the changes after the id are no longer kept, the client is told to start over."""
    for _ in range(3):
        make_task(server, "alice")
    server.call(lambda s: s.store.changes.prune(keep=1))

    async def scenario() -> Event | None:
        client = await SseClient.open(
            server.base_url, STREAM, {**basic("alice"), "Last-Event-ID": "1"}
        )
        event = await client.next()
        await client.close()
        return event

    event = asyncio.run(scenario())
    assert event is not None
    assert event.name == "reset"


@pytest.mark.parametrize(("path", "headers", "status"), [
    (STREAM, {"Last-Event-ID": "abc"}, 400),
    ("/admin/api/tasks/4242/stream", {}, 404),
    ("/admin/api/tasks/x/stream", {}, 404),
])  # fmt: skip
def test_refused_streams(
    server: live.LiveServer, path: str, headers: dict[str, str], status: int
) -> None:
    """A malformed Last-Event-ID is a 400, a missing task a 404, before any stream starts."""
    with server.client() as client:
        response = client.get(path, headers={**basic("alice"), **headers})
    assert response.status_code == status
    assert response.json()["Error"] is True


def test_a_stream_needs_credentials(server: live.LiveServer) -> None:
    """No credentials, no stream."""
    with server.client() as client:
        assert client.get(STREAM).status_code == 401


def test_two_hundred_subscribers_all_receive_a_progress_change(server: live.LiveServer) -> None:
    """200 streams on one process: every one gets the change (timing is bench/console_bench.py's)."""
    task_id = make_task(server, "alice")
    ticket = server.ticket("alice")

    async def scenario() -> int:
        clients = await asyncio.gather(
            *(
                SseClient.open(server.base_url, STREAM, {"Authorization": f"SOTicket {ticket}"})
                for _ in range(200)
            )
        )
        await asyncio.to_thread(wait_for, lambda: subscribers(server) == 200, 60)
        await asyncio.to_thread(progress, server, task_id, 33)
        got = await asyncio.gather(
            *(c.until(is_task(task_id, ProgressPercent=33), 60) for c in clients)
        )
        await asyncio.gather(*(c.close() for c in clients))
        return len(got)

    assert asyncio.run(scenario()) == 200


@pytest.fixture
def small_queue_server(
    database_url: str, clock: FakeClock, tmp_path: Path
) -> Iterator[live.LiveServer]:
    """A server whose subscribers may fall 64 events behind, with small socket send buffers."""
    live.prepare_database(database_url, clock)
    settings = live.test_settings(database_url, files_dir=str(tmp_path / "files"), stream_queue=64)
    for running in live.run_server(settings, clock, send_buffer=32_768):
        running.add_user("alice")
        yield running


def test_a_client_that_stops_reading_is_dropped(small_queue_server: live.LiveServer) -> None:
    """A subscriber that never reads is dropped once its queue is full; the one that reads gets
    every event all the same."""
    server = small_queue_server
    ids = [make_task(server, "alice") for _ in range(1000)]
    text = "x" * 250

    async def scenario() -> tuple[set[int], bool]:
        reader = await SseClient.open(server.base_url, STREAM, basic("alice"))
        stuck = await SseClient.open(server.base_url, STREAM, basic("alice"), receive_buffer=2048)
        await asyncio.to_thread(wait_for, lambda: subscribers(server) == 2)
        seen: set[int] = set()

        async def read_all() -> None:
            while len(seen) < len(ids):
                event = await reader.until(
                    lambda e: e.name == "task" and e.data["ProgressPercent"] == 50, 60
                )
                seen.add(event.data["Id"])

        readers = asyncio.create_task(read_all())
        for task_id in ids:  # about 400 bytes each, a little slower than the reader reads
            await asyncio.to_thread(progress, server, task_id, 50, text + str(task_id))
            await asyncio.sleep(0.002)
        await asyncio.to_thread(wait_for, lambda: subscribers(server) == 1, 60)
        await readers
        await reader.close()
        stuck.writer.transport.abort()
        return seen, True

    seen, dropped = asyncio.run(scenario())
    assert dropped
    assert seen == set(ids)
