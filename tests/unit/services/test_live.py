"""The live hub's resume (``Last-Event-ID``) and its last word on deleted tasks, on the memory store.

The stream over HTTP is ``tests/integration/test_stream.py``; here the hub is driven directly so a
resume inside and outside the kept change log can be set up exactly.
"""

from __future__ import annotations

import pytest

from batchtask.domain.change import TaskChange
from batchtask.domain.state import BatchTaskState
from batchtask.domain.task import NewTask, TaskOutcome, TaskUpdate
from batchtask.domain.user import AuthMethod, Principal, Role, User
from batchtask.services.live import LiveEvent, LiveHub, LiveSettings
from batchtask.storage.memory import MemoryStore
from tests.conftest import FakeClock

pytestmark = pytest.mark.anyio
S = BatchTaskState
ALICE = Principal(User(7, "alice", "", Role.user, True, ""), AuthMethod.basic)


def task_ids(events: list[LiveEvent]) -> list[int]:
    """The tasks of the ``task`` events, in order."""
    return [e.value.task_id for e in events if e.kind == "task" and isinstance(e.value, TaskChange)]


async def hub_over(store: MemoryStore, clock: FakeClock) -> LiveHub:
    hub = LiveHub(store, clock, dict, LiveSettings(poll_interval=0.01))
    await hub.start()
    return hub


async def test_a_resume_replays_the_latest_change_of_each_task_since_the_id(
    store: MemoryStore, clock: FakeClock
) -> None:
    """Events after ``Last-Event-ID``: one per task (its newest), oldest first, none older."""
    tasks = store.tasks
    first = await tasks.create(NewTask("batchtask.sleep", 7), now=clock.now(), actor="t")
    second = await tasks.create(NewTask("batchtask.sleep", 8), now=clock.now(), actor="t")
    resume_from = await store.changes.latest()
    await tasks.update(second, TaskUpdate(description="b1"), now=clock.now(), actor="t")
    await tasks.record_outcome(
        first, TaskOutcome(state=S.Started, progress_percent=40), now=clock.now(), actor="t"
    )
    await tasks.record_outcome(
        first, TaskOutcome(state=S.Started, progress_percent=60), now=clock.now(), actor="t"
    )
    hub = await hub_over(store, clock)
    try:
        subscriber, replay = await hub.subscribe(ALICE, last_event_id=resume_from)
        assert task_ids(replay) == [second, first]
        newest = replay[-1].value
        assert isinstance(newest, TaskChange)
        assert newest.progress_percent == 60
        assert subscriber.after == await store.changes.latest()
        mine, only = await hub.subscribe(ALICE, task_id=first, last_event_id=resume_from)
        assert task_ids(only) == [first]
        hub.unsubscribe(mine)
        current, nothing = await hub.subscribe(ALICE, last_event_id=subscriber.after)
        assert nothing == []
        hub.unsubscribe(current)
        hub.unsubscribe(subscriber)
        assert hub.subscribers == 0
    finally:
        await hub.close()


async def test_a_resume_older_than_the_kept_log_is_a_reset(
    store: MemoryStore, clock: FakeClock
) -> None:
    """Pruned changes cannot be replayed: the subscriber is told to reload (``reset``)."""
    for n in range(5):
        await store.tasks.create(NewTask("batchtask.sleep", 7, description=str(n)),
                                 now=clock.now(), actor="t")  # fmt: skip
    await store.changes.prune(keep=2)
    hub = await hub_over(store, clock)
    try:
        subscriber, events = await hub.subscribe(ALICE, last_event_id=1)
        assert [(event.kind, event.value) for event in events] == [("reset", None)]
    finally:
        await hub.close()
    assert subscriber.ended.is_set()


async def test_the_end_of_a_deleted_task_is_its_last_finished_state(
    store: MemoryStore, clock: FakeClock
) -> None:
    """A deleted task's change reports the final state its event log recorded (else Unknown)."""
    done = await store.tasks.create(NewTask("batchtask.sleep", 7), now=clock.now(), actor="t")
    never = await store.tasks.create(NewTask("batchtask.sleep", 7), now=clock.now(), actor="t")
    await store.tasks.record_outcome(
        done, TaskOutcome(state=S.Succeeded), now=clock.now(), actor="t"
    )
    await store.tasks.delete([done, never], now=clock.now(), actor="t")
    changes = (await store.changes.read(0, 100)).changes
    deleted = {c.task_id: c for c in changes if c.deleted}
    hub = LiveHub(store, clock, dict)
    assert (await hub.ending(deleted[done])).state is S.Succeeded
    assert (await hub.ending(deleted[never])).state is S.Unknown
    alive = TaskChange(99, 99, 7, "batchtask.sleep", S.New)
    assert await hub.ending(alive) is alive
