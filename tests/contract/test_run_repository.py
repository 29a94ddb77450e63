"""The run repository behaves the same on SQLite and PostgreSQL: claims, fencing, stop, reaping."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta
from typing import Any

import pytest

from batchtask.domain.ports import Attempt, Completion, DefinitionPolicy, LeaseStatus, Store
from batchtask.domain.state import BatchTaskState, CancellationBehaviour
from batchtask.domain.task import SYSTEM_ASSOCIATE, NewTask
from batchtask.storage.connect import open_store
from tests.conftest import FakeClock
from tests.contract.backdoor import blob_count, definition_row, force_task

pytestmark = pytest.mark.anyio

SLEEP = DefinitionPolicy(
    "test.sleep", description="[SR_BATCH_SLEEP_DESCRIPTION]", timeout=60, max_starts=2, backoff=3
)
STUBBORN = DefinitionPolicy("test.stubborn", cancellation=CancellationBehaviour.CannotCancel)
OWNER = "host:1:abcd"
S = BatchTaskState


async def definitions(store: Store, clock: FakeClock) -> list[int]:
    ids = await store.runs.register([SLEEP, STUBBORN], now=clock.now())
    return list(ids.values())


async def new_task(store: Store, clock: FakeClock, name: str = "test.sleep", **kw: object) -> int:
    return await store.tasks.create(
        NewTask(name=name, associate_id=7, **kw),  # type: ignore[arg-type]
        now=clock.now(),
        actor="test",
    )


#: Seconds of a lease that does not expire during a test; a short one expires at once.
LEASE = 30.0
SHORT = 0.05


async def claim(
    store: Store, clock: FakeClock, ids: list[int], limit: int = 10, lease: float = LEASE
) -> list[Attempt]:
    return await store.runs.claim(ids, owner=OWNER, limit=limit, now=clock.now(), lease=lease)


async def started(store: Store, clock: FakeClock, *, lease: float = LEASE, **kw: Any) -> Attempt:
    ids = await definitions(store, clock)
    await new_task(store, clock, **kw)
    (attempt,) = await claim(store, clock, ids, lease=lease)
    assert await store.runs.start(attempt, now=clock.now(), lease=lease)
    return attempt


async def reaped(store: Store, clock: FakeClock) -> list[tuple[int, BatchTaskState]]:
    """Reap until a short lease has expired on the database's clock (real time on SQLite and
    PostgreSQL; the test's clock, advanced here, for the memory store)."""
    deadline = time.monotonic() + 10
    while True:
        clock.advance(1)
        got = await store.runs.reap(now=clock.now(), actor="reaper")
        if got or time.monotonic() > deadline:
            return got
        await asyncio.sleep(0.01)


async def state_of(store: Store, task_id: int) -> BatchTaskState | None:
    task = await store.tasks.get(task_id)
    return None if task is None else task.state


class TestRegister:
    async def test_definitions_are_upserted_with_their_policy(
        self, store: Store, clock: FakeClock
    ) -> None:
        """Description, cancellation, timeout, autorestartcount and backoff land in the row."""
        task_id = await new_task(store, clock, name="TEST.SLEEP")
        ids = await store.runs.register([SLEEP], now=clock.now())
        again = await store.runs.register([SLEEP], now=clock.now())
        assert ids == again
        row = await definition_row(store, ids["test.sleep"])
        assert row == ("test.sleep", "[SR_BATCH_SLEEP_DESCRIPTION]", 60, 1, 3.0, 0)
        task = await store.tasks.get(task_id)
        assert task is not None
        assert task.definition_id == ids["test.sleep"]


class TestClaim:
    async def test_claim_moves_new_to_aquired_with_a_lease_and_an_event(
        self, store: Store, clock: FakeClock
    ) -> None:
        """StartCount+1, owner and lease set, one claimed event; the attempt carries the row."""
        ids = await definitions(store, clock)
        task_id = await new_task(store, clock, parameters={"seconds": "1"})
        (attempt,) = await claim(store, clock, ids)
        assert (attempt.task_id, attempt.start_count, attempt.owner) == (task_id, 1, OWNER)
        assert attempt.task.state is S.Aquired
        assert attempt.task.parameters == {"seconds": "1"}
        assert attempt.task.lease_owner == OWNER
        assert attempt.task.lease_expires is not None
        events = await store.tasks.events(task_id)
        assert [(e.from_state, e.to_state, e.start_count) for e in events][-1] == (
            S.New, S.Aquired, 1,
        )  # fmt: skip
        assert await claim(store, clock, ids) == []

    async def test_claim_takes_known_names_in_id_order_up_to_the_limit(
        self, store: Store, clock: FakeClock
    ) -> None:
        """Unknown definitions stay New; the oldest ids go first."""
        ids = await definitions(store, clock)
        first = await new_task(store, clock)
        unknown = await new_task(store, clock, name="nobody.knows")
        second = await new_task(store, clock)
        third = await new_task(store, clock)
        got = await claim(store, clock, ids, limit=2)
        assert [a.task_id for a in got] == [first, second]
        assert [a.task_id for a in await claim(store, clock, ids)] == [third]
        assert await state_of(store, unknown) is S.New

    async def test_claim_waits_for_run_after(self, store: Store, clock: FakeClock) -> None:
        """A task retried with a not-before time is claimed only once it is due."""
        attempt = await started(store, clock)
        due = clock.now() + timedelta(seconds=10)
        ids = await definitions(store, clock)
        assert (
            await store.runs.retry(attempt, now=clock.now(), run_after=due, response="boom")
            is S.New
        )
        assert await claim(store, clock, ids) == []
        clock.advance(10)
        (again,) = await claim(store, clock, ids)
        assert again.start_count == 2
        assert again.task.response == "boom"

    async def test_concurrent_claimers_never_share_a_task(
        self, store: Store, clock: FakeClock, database_url: str
    ) -> None:
        """Two stores (two connection sets) claiming at once split the queue without overlap."""
        ids = await definitions(store, clock)
        created = [await new_task(store, clock) for _ in range(20)]
        other = await open_store(database_url, clock=clock, synchronous="NORMAL")
        try:

            async def drain(s: Store, owner: str) -> list[int]:
                got: list[int] = []
                while batch := await s.runs.claim(
                    ids, owner=owner, limit=3, now=clock.now(), lease=LEASE
                ):
                    got += [a.task_id for a in batch]
                    await asyncio.sleep(0)
                return got

            a, b = await asyncio.gather(drain(store, "a"), drain(other, "b"))
        finally:
            await other.close()
        assert sorted(a + b) == created
        assert not set(a) & set(b)

    async def test_the_claim_index_refuses_a_second_claim_of_one_attempt(
        self, store: Store, clock: FakeClock
    ) -> None:
        """Even if a row were wrongly put back with its old StartCount, the attempt is not
        claimed twice: the unique index on claim events rolls the claim back."""
        ids = await definitions(store, clock)
        task_id = await new_task(store, clock)
        await claim(store, clock, ids)
        await force_task(store, task_id, state=S.New, start_count=0)
        assert await claim(store, clock, ids) == []
        assert await state_of(store, task_id) is S.New


class TestFencing:
    async def test_start_heartbeat_progress_and_finish_of_the_holder(
        self, store: Store, clock: FakeClock
    ) -> None:
        """The holder's writes apply; success writes 100 %, the result, and clears the lease."""
        attempt = await started(store, clock)
        task = await store.tasks.get(attempt.task_id)
        assert task is not None
        assert (task.state, task.last_started) == (S.Started, clock.now())
        clock.advance(5)
        before = await store.tasks.get(attempt.task_id)
        assert before is not None
        await asyncio.sleep(0.01)  # sleep-ok: the database's clock ticks between the two writes
        beat = await store.runs.heartbeat([attempt], now=clock.now(), lease=LEASE)
        assert beat == {attempt.task_id: LeaseStatus.HELD}
        assert await store.runs.inspect([attempt]) == {attempt.task_id: LeaseStatus.HELD}
        assert await store.runs.progress(attempt, 40, "Step 2 of 5", now=clock.now())
        task = await store.tasks.get(attempt.task_id)
        assert task is not None
        assert (task.progress_percent, task.progress_description) == (40, "Step 2 of 5")
        assert task.lease_expires is not None
        assert before.lease_expires is not None
        assert task.lease_expires > before.lease_expires
        done = Completion(S.Succeeded, result="slept", progress_percent=100, reason="ok")
        assert await store.runs.finish(attempt, done, now=clock.now()) is S.Succeeded
        task = await store.tasks.get(attempt.task_id)
        assert task is not None
        assert (task.state, task.result, task.progress_percent) == (S.Succeeded, "slept", 100)
        assert (task.lease_owner, task.lease_expires) == (None, None)
        assert [e.to_state for e in await store.tasks.events(attempt.task_id)] == [
            S.New, S.Aquired, S.Started, S.Succeeded,
        ]  # fmt: skip

    async def test_a_zombie_never_writes_after_its_task_was_reaped_and_reclaimed(
        self, store: Store, clock: FakeClock
    ) -> None:
        """Every write of the old attempt matches no row once another worker holds the task."""
        zombie = await started(store, clock, lease=SHORT)
        ids = await definitions(store, clock)
        assert await reaped(store, clock) == [(zombie.task_id, S.New)]
        (owner,) = await claim(store, clock, ids)
        assert owner.start_count == 2
        assert await store.runs.heartbeat([zombie], now=clock.now(), lease=LEASE) == {
            zombie.task_id: LeaseStatus.LOST
        }
        assert await store.runs.inspect([zombie]) == {zombie.task_id: LeaseStatus.LOST}
        assert not await store.runs.start(zombie, now=clock.now(), lease=LEASE)
        assert not await store.runs.progress(zombie, 99, "zombie", now=clock.now())
        done = Completion(S.Succeeded, result="zombie")
        assert await store.runs.finish(zombie, done, now=clock.now()) is None
        assert (
            await store.runs.retry(zombie, now=clock.now(), run_after=clock.now(), response="z")
            is None
        )
        assert await store.runs.release(zombie, now=clock.now()) is None
        task = await store.tasks.get(zombie.task_id)
        assert task is not None
        assert (task.state, task.start_count, task.result, task.lease_owner) == (
            S.Aquired, 2, "", OWNER,
        )  # fmt: skip

    async def test_internal_tasks_are_deleted_when_they_succeed(
        self, store: Store, clock: FakeClock
    ) -> None:
        """An internal task leaves no row after success, but keeps its row when it fails."""
        ok = await started(store, clock, is_internal=True, parameters={"a": "b"})
        assert await store.runs.finish(ok, Completion(S.Succeeded), now=clock.now()) is S.Succeeded
        assert await store.tasks.get(ok.task_id) is None
        assert (await store.tasks.events(ok.task_id))[-2].to_state is S.Succeeded
        ids = await definitions(store, clock)
        await new_task(store, clock, is_internal=True)
        (bad,) = await claim(store, clock, ids)
        assert await store.runs.finish(bad, Completion(S.Failed, response="x"), now=clock.now())
        assert await state_of(store, bad.task_id) is S.Failed


class TestRequeue:
    async def test_release_keeps_start_count_and_does_not_use_a_start(
        self, store: Store, clock: FakeClock
    ) -> None:
        """A released task is New at once; the next attempt knows one start was handed back."""
        attempt = await started(store, clock)
        assert await store.runs.release(attempt, now=clock.now()) is S.New
        task = await store.tasks.get(attempt.task_id)
        assert task is not None
        assert (task.state, task.start_count, task.lease_owner) == (S.New, 1, None)
        (again,) = await claim(store, clock, await definitions(store, clock))
        assert (again.start_count, again.releases, again.starts_used) == (2, 1, 1)

    async def test_a_stop_request_wins_over_success_retry_and_release(
        self, store: Store, clock: FakeClock
    ) -> None:
        """Once Stop returned true, the attempt can only end Failed/[SR_BATCH_CANCELLED]."""
        for end in ("finish", "retry", "release"):
            attempt = await started(store, clock)
            assert await store.runs.request_stop(attempt.task_id, now=clock.now(), actor="u")
            if end == "finish":
                result = await store.runs.finish(attempt, Completion(S.Succeeded), now=clock.now())
            elif end == "retry":
                result = await store.runs.retry(
                    attempt, now=clock.now(), run_after=clock.now(), response="x"
                )
            else:
                result = await store.runs.release(attempt, now=clock.now())
            assert result is S.Failed
            task = await store.tasks.get(attempt.task_id)
            assert task is not None
            assert (task.state, task.response) == (S.Failed, "[SR_BATCH_CANCELLED]")


class TestReap:
    async def test_expired_leases_go_back_to_new_while_starts_remain(
        self, store: Store, clock: FakeClock
    ) -> None:
        """max_starts=2: the first lost attempt is retried, the second fails as worker lost; a
        lease that has not expired on the database's clock is never reaped."""
        kept = await started(store, clock)
        attempt = await started(store, clock, lease=SHORT)
        assert await reaped(store, clock) == [(attempt.task_id, S.New)]
        (second,) = await claim(store, clock, await definitions(store, clock), lease=SHORT)
        assert await reaped(store, clock) == [(second.task_id, S.Failed)]
        task = await store.tasks.get(second.task_id)
        assert task is not None
        assert (task.state, task.response, task.start_count) == (
            S.Failed, "[SR_BATCH_WORKER_LOST]", 2,
        )  # fmt: skip
        assert (await store.tasks.events(task.id))[-1].reason.startswith("lease of host:1")
        assert await state_of(store, kept.task_id) is S.Started

    async def test_a_stopped_task_with_an_expired_lease_fails_as_cancelled(
        self, store: Store, clock: FakeClock
    ) -> None:
        """Reaping never resurrects a task whose Stop was acknowledged."""
        attempt = await started(store, clock, lease=SHORT)
        await store.runs.request_stop(attempt.task_id, now=clock.now(), actor="u")
        assert await reaped(store, clock) == [(attempt.task_id, S.Failed)]
        task = await store.tasks.get(attempt.task_id)
        assert task is not None
        assert task.response == "[SR_BATCH_CANCELLED]"


class TestStop:
    async def test_stop_follows_spec_8_4(self, store: Store, clock: FakeClock) -> None:
        """Missing, finished and CannotCancel → false; New and Aquired fail at once; Started
        gets a stop request and stays Started until its worker ends it."""
        ids = await definitions(store, clock)
        stop = store.runs.request_stop
        assert not await stop(4242, now=clock.now(), actor="u")
        waiting = await new_task(store, clock)
        assert await stop(waiting, now=clock.now(), actor="u")
        task = await store.tasks.get(waiting)
        assert task is not None
        assert (task.state, task.response) == (S.Failed, "[SR_BATCH_CANCELLED]")
        assert not await stop(waiting, now=clock.now(), actor="u")
        await new_task(store, clock)
        (aquired,) = await claim(store, clock, ids)
        assert await stop(aquired.task_id, now=clock.now(), actor="u")
        assert await state_of(store, aquired.task_id) is S.Failed
        assert not await store.runs.start(aquired, now=clock.now(), lease=LEASE)
        await new_task(store, clock)
        (running,) = await claim(store, clock, ids)
        await store.runs.start(running, now=clock.now(), lease=LEASE)
        assert await stop(running.task_id, now=clock.now(), actor="u")
        assert await stop(running.task_id, now=clock.now(), actor="u")
        assert await state_of(store, running.task_id) is S.Started
        assert await store.runs.inspect([running]) == {
            running.task_id: LeaseStatus.CANCEL_REQUESTED
        }
        beat = await store.runs.heartbeat([running], now=clock.now(), lease=LEASE)
        assert beat == {running.task_id: LeaseStatus.CANCEL_REQUESTED}
        stubborn = await new_task(store, clock, name="test.stubborn")
        assert not await stop(stubborn, now=clock.now(), actor="u")
        assert await state_of(store, stubborn) is S.New
        reasons = [e.reason for e in await store.tasks.events(running.task_id)]
        assert reasons.count("stop requested") == 1

    async def test_stop_of_a_task_run_from_outside_fails_it_at_once(
        self, store: Store, clock: FakeClock
    ) -> None:
        """A Started task without a local lease (PUT by an external worker) cannot be asked,
        so it is failed at once."""
        await definitions(store, clock)
        task_id = await new_task(store, clock)
        await force_task(store, task_id, state=S.Started)
        assert await store.runs.request_stop(task_id, now=clock.now(), actor="u")
        assert await state_of(store, task_id) is S.Failed


class TestRetention:
    async def test_purge_deletes_old_finished_tasks_with_blobs_and_events(
        self, store: Store, clock: FakeClock
    ) -> None:
        """Only rows of that state older than the cut-off go; ManualCleanup is refused."""
        old = await started(store, clock, parameters={"k": "v"})
        await store.runs.finish(old, Completion(S.Succeeded), now=clock.now())
        clock.advance(100)
        young = await started(store, clock)
        await store.runs.finish(young, Completion(S.Succeeded), now=clock.now())
        before = clock.now() - timedelta(seconds=50)
        assert await store.runs.purge(S.Failed, before=before) == 0
        assert await store.runs.purge(S.Succeeded, before=before) == 1
        assert await store.tasks.get(old.task_id) is None
        assert await store.tasks.events(old.task_id) == []
        assert await store.tasks.get(young.task_id) is not None
        assert await blob_count(store) == 0
        with pytest.raises(ValueError, match="never purged"):
            await store.runs.purge(S.SucceededManualCleanup, before=before)

    async def test_the_history_of_tasks_deleted_elsewhere_is_purged_once_old(
        self, store: Store, clock: FakeClock
    ) -> None:
        """Issue 11 #11: a task deleted through the API leaves its event lines (the console's
        history); retention removes them once the newest line is older than the cut-off, and
        never touches the lines of a task that still exists."""
        await definitions(store, clock)
        gone_old = await new_task(store, clock)
        kept = await new_task(store, clock)
        await store.tasks.delete([gone_old], now=clock.now(), actor="u", source="api")
        clock.advance(100)
        gone_young = await new_task(store, clock)
        await store.tasks.delete([gone_young], now=clock.now(), actor="u", source="api")
        assert await store.tasks.events(gone_old) != []
        before = clock.now() - timedelta(seconds=50)
        assert await store.runs.purge_orphan_events(before=before) == 1
        assert await store.tasks.events(gone_old) == []
        assert await store.tasks.events(gone_young) != []
        assert await store.tasks.events(kept) != []
        assert await store.runs.purge_orphan_events(before=clock.now() + timedelta(1)) == 1
        assert await store.tasks.events(gone_young) == []
        assert await store.tasks.events(kept) != []

    async def test_periodic_system_task_is_created_once_per_interval(
        self, store: Store, clock: FakeClock
    ) -> None:
        """One pending system task at a time; the next is due an interval after the last."""
        ids = await store.runs.register([DefinitionPolicy("test.periodic")], now=clock.now())

        async def ensure() -> int | None:
            return await store.runs.ensure_periodic(
                "test.periodic", interval=60, now=clock.now(), description="d", actor="w"
            )

        first = await ensure()
        assert first is not None
        assert await ensure() is None
        task = await store.tasks.get(first)
        assert task is not None
        assert (task.associate_id, task.run_after) == (SYSTEM_ASSOCIATE, clock.now())
        (attempt,) = await claim(store, clock, list(ids.values()))
        await store.runs.finish(attempt, Completion(S.Succeeded), now=clock.now())
        second = await ensure()
        assert second is not None
        task = await store.tasks.get(second)
        assert task is not None
        assert task.run_after == clock.now() + timedelta(seconds=60)
        assert await claim(store, clock, list(ids.values())) == []

    async def test_a_periodic_task_is_never_due_more_than_an_interval_ahead(
        self, store: Store, clock: FakeClock
    ) -> None:
        """A clock moved back a day (the emulator's tenant clock) pulls the waiting task in, and
        after a run "in the future" the next one is due at once."""
        ids = await store.runs.register([DefinitionPolicy("test.periodic")], now=clock.now())

        async def ensure(now: datetime) -> int | None:
            return await store.runs.ensure_periodic(
                "test.periodic", interval=60, now=now, description="d", actor="w"
            )

        later = clock.now() + timedelta(days=1)
        waiting = await ensure(later)
        assert waiting is not None
        assert await ensure(clock.now()) is None  # one pending: no second one
        task = await store.tasks.get(waiting)
        assert task is not None
        assert task.run_after == clock.now() + timedelta(seconds=60)
        clock.advance(60)
        (attempt,) = await claim(store, clock, list(ids.values()))
        await store.runs.finish(attempt, Completion(S.Succeeded), now=clock.now())
        earlier = clock.now() - timedelta(days=2)
        following = await ensure(earlier)
        assert following is not None
        task = await store.tasks.get(following)
        assert task is not None
        assert task.run_after == earlier


class TestListen:
    async def test_push_of_new_work_and_stop_requests(
        self, store: Store, clock: FakeClock, database_url: str
    ) -> None:
        """PostgreSQL pushes inserts and stop requests; SQLite and memory do not (workers poll)."""
        woken = asyncio.Event()
        cancelled: asyncio.Queue[int] = asyncio.Queue()
        subscription = await store.runs.listen(woken.set, cancelled.put_nowait)
        if not database_url.startswith("postgres"):
            assert subscription is None
            return
        assert subscription is not None
        try:
            assert subscription.alive
            attempt = await started(store, clock)
            await asyncio.wait_for(woken.wait(), 5)
            await store.runs.request_stop(attempt.task_id, now=clock.now(), actor="u")
            assert await asyncio.wait_for(cancelled.get(), 5) == attempt.task_id
        finally:
            await subscription.close()
        assert not subscription.alive


async def test_stop_racing_with_success_never_reports_a_false_stop(
    store: Store, clock: FakeClock, database_url: str
) -> None:
    """Stop and finish from two connections at once: Stop is true exactly when the task ends
    Failed/[SR_BATCH_CANCELLED], and false exactly when it Succeeded (reliability plan F6)."""
    other = await open_store(database_url, clock=clock, synchronous="NORMAL")
    try:
        outcomes = set()
        for round_ in range(16):
            attempt = await started(store, clock)
            stop = other.runs.request_stop(attempt.task_id, now=clock.now(), actor="u")
            finish = store.runs.finish(attempt, Completion(S.Succeeded), now=clock.now())
            if round_ % 3 == 0:
                written, stopped = await asyncio.gather(finish, stop)
            elif round_ % 3 == 1:
                stopped, written = await asyncio.gather(stop, finish)
            else:
                # The Stop lands first for sure: a one-statement finish on PostgreSQL may win
                # every concurrent round, and both answers must be checked.
                stopped = await stop
                written = await finish
            outcomes.add(stopped)
            task = await store.tasks.get(attempt.task_id)
            assert task is not None
            assert task.state is written
            if stopped:
                assert (task.state, task.response) == (S.Failed, "[SR_BATCH_CANCELLED]")
            else:
                assert task.state is S.Succeeded
        assert outcomes == {True, False}
    finally:
        await other.close()
