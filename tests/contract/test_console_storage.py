"""The console's storage behaves the same on SQLite and PostgreSQL: the worker registry, the
change log the stream reads, the stats and the bulk writes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from batchtask.domain.ports import DefinitionPolicy
from batchtask.domain.ports import Store as SqlStore
from batchtask.domain.state import BatchTaskState
from batchtask.domain.task import NewTask, TaskOutcome
from batchtask.domain.task_list import TaskListQuery, TaskSelection
from batchtask.domain.worker_info import WorkerInfo
from tests.conftest import FakeClock
from tests.contract.test_run_repository import LEASE, OWNER, claim

pytestmark = pytest.mark.anyio
S = BatchTaskState


async def task(store: SqlStore, clock: FakeClock, owner: int = 7, **kw: object) -> int:
    return await store.tasks.create(
        NewTask(name="test.sleep", associate_id=owner, **kw),  # type: ignore[arg-type]
        now=clock.now(),
        actor="test",
    )


def worker(clock: FakeClock, name: str = OWNER) -> WorkerInfo:
    now = clock.now()
    return WorkerInfo(name, "host", 1, "0.1.0", "standalone", now, now, 30.0, 4, 0,
                      ("test.sleep",), ())  # fmt: skip


class TestWorkerRegistry:
    async def test_register_beat_deregister_forget(self, store: SqlStore, clock: FakeClock) -> None:
        """A worker's row follows its life; a day of silence forgets it."""
        await store.workers.register(worker(clock))
        clock.advance(10)
        await store.workers.beat(OWNER, now=clock.now(), busy=2, running=[9, 3])
        (row,) = await store.workers.all()
        assert (row.busy, row.running, row.last_heartbeat) == (2, (3, 9), clock.now())
        assert row.alive(clock.now())
        clock.advance(31)
        assert not row.alive(clock.now())
        await store.workers.deregister(OWNER, now=clock.now())
        (row,) = await store.workers.all()
        assert row.stopped == clock.now()
        assert (row.busy, row.running) == (0, ())
        assert not row.alive(clock.now())
        assert await store.workers.forget(before=clock.now() - timedelta(days=1)) == 0
        assert await store.workers.forget(before=clock.now() + timedelta(seconds=1)) == 1
        assert await store.workers.all() == []


class TestChangeLog:
    async def test_visible_changes_are_logged_heartbeats_are_not(
        self, store: SqlStore, clock: FakeClock
    ) -> None:
        """Create, claim, progress, stop request and delete each add a change; a lease renewal
        does not. A deleted task reads back with state None and its name."""
        ids = list(
            (await store.runs.register([DefinitionPolicy("test.sleep")], now=clock.now())).values()
        )
        task_id = await task(store, clock)
        (attempt,) = await claim(store, clock, ids)
        assert await store.runs.start(attempt, now=clock.now(), lease=LEASE)
        before = await store.changes.latest()
        await store.runs.heartbeat([attempt], now=clock.now(), lease=60)
        assert await store.changes.latest() == before
        assert await store.runs.progress(attempt, 40, "Step 2 of 5", now=clock.now())
        page = await store.changes.read(before, 10)
        assert [(c.task_id, c.state, c.progress_percent) for c in page.changes] == [
            (task_id, S.Started, 40)
        ]
        await store.runs.request_stop(task_id, now=clock.now(), actor="test")
        await store.tasks.delete([task_id], now=clock.now(), actor="test")
        everything = await store.changes.read(0, 100)
        numbers = [c.change_id for c in everything.changes]
        assert numbers == sorted(numbers)
        assert len(numbers) == 6  # created, claimed, started, progress, stop requested, deleted
        last = everything.changes[-1]
        assert (last.deleted, last.name, last.associate_id) == (True, "test.sleep", 7)

    async def test_prune_keeps_the_newest(self, store: SqlStore, clock: FakeClock) -> None:
        """prune(keep=n) leaves the newest n changes; oldest() moves up."""
        for _ in range(5):
            await task(store, clock)
        latest = await store.changes.latest()
        assert await store.changes.prune(keep=2) == 3
        assert await store.changes.oldest() == latest - 1
        assert await store.changes.prune(keep=2) == 0


class TestStats:
    async def test_counts_series_and_definitions(self, store: SqlStore, clock: FakeClock) -> None:
        """Counts per state, a series that walks the queue depth back, definition figures."""
        start = clock.now()
        first = await task(store, clock)
        clock.advance(60)
        await task(store, clock)
        await store.tasks.record_outcome(
            first, TaskOutcome(state=S.Succeeded, start_count=1, last_started=clock.now()),
            now=clock.now() + timedelta(seconds=2), actor="test",
        )  # fmt: skip
        clock.advance(60)
        assert await store.stats.counts() == {S.New: 1, S.Succeeded: 1}
        series = await store.stats.series(start=start, step=60, points=2, waiting_now=1)
        assert [(p.succeeded, p.waiting) for p in series] == [(0, 1), (1, 1)]
        (figures,) = await store.stats.definitions(since=start)
        assert figures.counts == {S.New: 1, S.Succeeded: 1}
        assert figures.succeeded_24h == 1
        assert figures.p50_ms == pytest.approx(2000, abs=5)


class TestAdminQueries:
    async def test_page_counts_and_bulk_retry(self, store: SqlStore, clock: FakeClock) -> None:
        """A page is newest first with the full count; retry renews only finished tasks."""
        ids = [await task(store, clock, description=f"n{n}") for n in range(3)]
        page = await store.admin.page(TaskListQuery(TaskSelection(text="N1"), top=10))
        assert ([t.id for t in page.tasks], page.count) == ([ids[1]], 1)
        await store.tasks.record_outcome(
            ids[0], TaskOutcome(state=S.Failed, start_count=3), now=clock.now(), actor="test"
        )
        done = await store.admin.retry(ids, now=clock.now(), actor="user:a", source="console")
        assert done == [ids[0]]
        retried = await store.tasks.get(ids[0])
        assert retried is not None
        assert (retried.state, retried.start_count) == (S.New, 3)
        events = await store.tasks.events(ids[0])
        assert (events[-1].actor, events[-1].source, events[-1].from_state) == (
            "user:a", "console", S.Failed,
        )  # fmt: skip

    async def test_briefs_matching_count_and_bulk_stop(
        self, store: SqlStore, clock: FakeClock
    ) -> None:
        """What bulk actions read (briefs by id, a limited match, the count) and Stop of several:
        a New task ends cancelled, a running one is asked to stop, a finished one is left."""
        ids = [await task(store, clock, description=f"bulk {n}") for n in range(4)]
        await store.tasks.record_outcome(
            ids[2], TaskOutcome(state=S.Started, start_count=1), now=clock.now(), actor="test"
        )
        await store.tasks.record_outcome(
            ids[3], TaskOutcome(state=S.Succeeded, start_count=1), now=clock.now(), actor="test"
        )
        briefs = await store.admin.briefs([ids[0], ids[2], 999_999])
        assert [(b.id, b.associate_id, b.state, b.stop_requested) for b in briefs] == [
            (ids[0], 7, S.New, False), (ids[2], 7, S.Started, False),
        ]  # fmt: skip
        everything = TaskSelection(text="bulk")
        assert [b.id for b in await store.admin.matching(everything, 2)] == ids[:2]
        assert await store.admin.count(everything) == 4
        assert await store.admin.count(TaskSelection(text="nothing like it")) == 0
        stopped = await store.admin.stop(ids, now=clock.now(), actor="user:a", source="console")
        assert sorted(stopped) == sorted(ids[:3])
        after = {b.id: b for b in await store.admin.briefs(ids)}
        assert after[ids[0]].state is S.Failed
        assert after[ids[2]].stop_requested is True
        assert after[ids[3]].state is S.Succeeded
