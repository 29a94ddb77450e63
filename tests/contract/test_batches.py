"""Batched claims, starts and ends keep every guarantee of the one-by-one writes (issue 10)."""

from __future__ import annotations

import asyncio
import time

import pytest

from batchtask.domain.ports import Completion, DefinitionPolicy, OwnerShare, Requeue, Store
from batchtask.domain.state import BatchTaskState
from batchtask.domain.task import NewTask, TaskUpdate
from batchtask.storage.connect import open_store
from tests.conftest import FakeClock

pytestmark = pytest.mark.anyio
S = BatchTaskState
OWNER = "host:1:batch"


async def definition(store: Store, clock: FakeClock) -> list[int]:
    ids = await store.runs.register([DefinitionPolicy("test.batch")], now=clock.now())
    return list(ids.values())


async def create(store: Store, clock: FakeClock, owner: int = 7) -> int:
    return await store.tasks.create(
        NewTask(name="test.batch", associate_id=owner), now=clock.now(), actor="test"
    )


async def test_one_claim_takes_many_tasks_with_one_event_each(
    store: Store, clock: FakeClock
) -> None:
    """A deep queue is claimed many per call, each task once, each with its claim event."""
    ids = await definition(store, clock)
    created = [await create(store, clock) for _ in range(25)]
    first = await store.runs.claim(ids, owner=OWNER, limit=20, now=clock.now(), lease=30)
    second = await store.runs.claim(ids, owner=OWNER, limit=20, now=clock.now(), lease=30)
    assert [a.task_id for a in first] == created[:20]
    assert [a.task_id for a in second] == created[20:]
    assert {a.start_count for a in first + second} == {1}
    for task_id in created:
        claims = [e for e in await store.tasks.events(task_id) if e.to_state is S.Aquired]
        assert [(e.from_state, e.start_count, e.reason) for e in claims] == [(S.New, 1, "claimed")]


async def test_starts_and_ends_in_one_call_each(store: Store, clock: FakeClock) -> None:
    """start_many starts the held attempts; conclude finishes, retries and releases at once."""
    ids = await definition(store, clock)
    for _ in range(4):
        await create(store, clock)
    attempts = await store.runs.claim(ids, owner=OWNER, limit=4, now=clock.now(), lease=30)
    started = await store.runs.start_many(attempts, now=clock.now(), lease=30)
    assert started == {a.task_id for a in attempts}
    ok, failed, again, released = attempts
    later = clock.now()
    written = await store.runs.conclude(
        [
            (ok, Completion(S.Succeeded, result="r", progress_percent=100, reason="ok")),
            (failed, Completion(S.Failed, response="boom", reason="failed")),
            (again, Requeue(later, "transient", reason="retry in 0.0 s")),
            (released, Requeue(None, None, released=True, reason="released")),
        ],
        now=clock.now(),
    )
    assert written == [S.Succeeded, S.Failed, S.New, S.New]
    tasks = {a.task_id: await store.tasks.get(a.task_id) for a in attempts}
    assert tasks[ok.task_id].result == "r"  # type: ignore[union-attr]
    assert tasks[failed.task_id].response == "boom"  # type: ignore[union-attr]
    assert tasks[again.task_id].response == "transient"  # type: ignore[union-attr]
    assert tasks[again.task_id].run_after == later  # type: ignore[union-attr]
    assert all(t is not None and t.lease_owner is None for t in tasks.values())
    for attempt, final in zip(attempts, written, strict=True):
        events = await store.tasks.events(attempt.task_id)
        assert [e.to_state for e in events] == [S.New, S.Aquired, S.Started, final]
    back = await store.runs.claim(ids, owner=OWNER, limit=4, now=clock.now(), lease=30)
    assert [(a.task_id, a.start_count, a.releases) for a in back] == [
        (again.task_id, 2, 0),
        (released.task_id, 2, 1),
    ]


async def test_a_batch_in_which_one_end_is_fenced_out_lands_the_others(
    store: Store, clock: FakeClock
) -> None:
    """One attempt lost its lease (reaped and claimed again by another worker): its end writes
    nothing, while the other ends of the same statement land."""
    ids = await definition(store, clock)
    for _ in range(3):
        await create(store, clock)
    attempts = await store.runs.claim(ids, owner=OWNER, limit=3, now=clock.now(), lease=30)
    await store.runs.start_many(attempts, now=clock.now(), lease=30)
    lost = attempts[1]
    await store.tasks.update(lost.task_id, _requeued(), now=clock.now(), actor="outside")
    (taken,) = await store.runs.claim(ids, owner="other", limit=1, now=clock.now(), lease=30)
    assert (taken.task_id, taken.start_count) == (lost.task_id, 2)
    written = await store.runs.conclude(
        [(a, Completion(S.Succeeded, result="mine")) for a in attempts], now=clock.now()
    )
    assert written == [S.Succeeded, None, S.Succeeded]
    task = await store.tasks.get(lost.task_id)
    assert task is not None
    assert (task.state, task.start_count, task.result, task.lease_owner) == (
        S.Aquired, 2, "", "other",
    )  # fmt: skip


def _requeued() -> TaskUpdate:
    return TaskUpdate(state=S.New)


async def test_a_batch_claim_racing_a_stop_never_runs_the_stopped_task(
    store: Store, clock: FakeClock, database_url: str
) -> None:
    """Stop and a batch claim from two connections at once, in both orders: the stopped task
    ends Failed/[SR_BATCH_CANCELLED] whether the claim took it first or not, never starts, and
    its end is fenced out while the rest of the batch succeeds."""
    ids = await definition(store, clock)
    other = await open_store(database_url, clock=clock, synchronous="NORMAL")
    try:
        outcomes = set()
        for round_ in range(12):
            created = [await create(store, clock) for _ in range(6)]
            target = created[3]
            stop = other.runs.request_stop(target, now=clock.now(), actor="u")
            claim = store.runs.claim(ids, owner=OWNER, limit=6, now=clock.now(), lease=30)
            if round_ % 2:
                attempts, stopped = await asyncio.gather(claim, stop)
            else:
                stopped, attempts = await asyncio.gather(stop, claim)
            started = await store.runs.start_many(attempts, now=clock.now(), lease=30)
            task = await store.tasks.get(target)
            assert task is not None
            assert stopped  # New or Aquired: a Stop always wins at once
            assert (task.state, task.response) == (S.Failed, "[SR_BATCH_CANCELLED]")
            assert target not in started
            assert started == {a.task_id for a in attempts} - {target}
            outcomes.add(target in {a.task_id for a in attempts})
            written = await store.runs.conclude(
                [(a, Completion(S.Succeeded)) for a in attempts], now=clock.now()
            )
            assert [w for a, w in zip(attempts, written, strict=True) if a.task_id == target] in (
                [],
                [None],
            )
            left = [await store.tasks.get(t) for t in created]
            assert [t.state for t in left if t is not None] == [
                S.Failed if t.id == target else S.Succeeded for t in left if t is not None
            ]
        assert outcomes == {True, False}
    finally:
        await other.close()


async def test_a_plain_owner_gets_no_more_than_its_room(store: Store, clock: FakeClock) -> None:
    """With a share, an owner's tasks fill its room and the rest of the claim goes to others;
    system tasks (owner 0) are never capped; an owner already at its cap gets nothing."""
    ids = await definition(store, clock)
    hog = [await create(store, clock, owner=1) for _ in range(6)]
    system = [await create(store, clock, owner=0) for _ in range(3)]
    small = [await create(store, clock, owner=2) for _ in range(2)]
    share = OwnerShare(cap=2, held={1: 1})
    got = await store.runs.claim(ids, owner=OWNER, limit=8, now=clock.now(), lease=30, share=share)
    assert [a.task_id for a in got] == [hog[0], *system, *small]
    full = OwnerShare(cap=2, held={1: 2, 2: 2})
    assert (
        await store.runs.claim(ids, owner=OWNER, limit=8, now=clock.now(), lease=30, share=full)
        == []
    )
    (next_hog,) = await store.runs.claim(ids, owner=OWNER, limit=8, now=clock.now(), lease=30,
                                         share=OwnerShare(cap=2, held={1: 1}))  # fmt: skip
    assert next_hog.task_id == hog[1]


async def test_leases_expire_on_the_databases_clock(store: Store, clock: FakeClock) -> None:
    """The worker's clock does not decide a lease: a lease of 0.05 s expires while the worker's
    clock stands still, and one of an hour survives a reaper whose clock is ten days ahead."""
    ids = await definition(store, clock)
    await create(store, clock)
    await create(store, clock)
    (short,) = await store.runs.claim(ids, owner=OWNER, limit=1, now=clock.now(), lease=0.05)
    (long,) = await store.runs.claim(ids, owner=OWNER, limit=1, now=clock.now(), lease=3600)
    reaped: list[tuple[int, BatchTaskState]] = []
    deadline = time.monotonic() + 10
    while not reaped and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
        reaped = await store.runs.reap(now=clock.now(), actor="r")
    assert reaped == [(short.task_id, S.New)]
    clock.advance(10 * 86400)
    assert await store.runs.reap(now=clock.now(), actor="r") == []
    task = await store.tasks.get(long.task_id)
    assert task is not None
    assert (task.state, task.lease_owner) == (S.Aquired, OWNER)
