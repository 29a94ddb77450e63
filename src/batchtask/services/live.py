"""``LiveHub``: one process's fan-out of task, worker and stats changes to its stream subscribers.

**One reader per process.** The hub alone reads the change log (``domain.change``): woken by
LISTEN/NOTIFY on PostgreSQL (with a slow poll as a safety net), or by polling the log's highest
number on SQLite — one index probe every ``poll_interval``. Each page is coalesced to the latest
state per task and handed to every subscriber that may read it, so the database cost does not grow
with the number of subscribers. Every API process runs its own hub, so a change made anywhere
reaches every process's subscribers.

**Numbers without gaps.** On PostgreSQL a change number can be committed after a higher one. The
hub only moves its cursor over a gap once every transaction that could still fill it has ended
(``ChangePage``), so no change is ever skipped by a subscriber following the cursor.

**Slow subscribers are dropped.** Each subscriber has a bounded queue; publishing never waits. A
subscriber whose queue is full is dropped (its stream ends; the client reconnects with
``Last-Event-ID`` and catches up from the database), so one slow reader never delays the others.

**Resuming.** A subscriber that arrives with ``Last-Event-ID`` is attached first and then replayed
every task changed since, up to the cursor it was attached at, from the change log; live events
follow without a gap or a repeat. An id older than the oldest change kept gets ``reset``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from batchtask.domain.change import ChangePage, TaskChange
from batchtask.domain.clock import Clock
from batchtask.domain.ports import Store, Subscription
from batchtask.domain.rights import may_read
from batchtask.domain.state import BatchTaskState
from batchtask.domain.stats import QueueStats
from batchtask.domain.task import BatchTask
from batchtask.domain.user import Principal
from batchtask.domain.worker_info import WorkerInfo

log = logging.getLogger("batchtask.live")

Kind = Literal["task", "worker", "stats", "reset", "end"]
#: Seconds between ``stats`` events (and the step of the one series point they carry).
STATS_EVERY = 5


@dataclass(slots=True, eq=False)
class LiveEvent:
    """One event for subscribers; ``rendered`` caches its bytes per language (filled by http)."""

    kind: Kind
    #: The change number (``id:``) of task events; ``None`` for the others.
    id: int | None
    value: TaskChange | WorkerInfo | QueueStats | None
    rendered: dict[str | None, bytes] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class LiveSettings:
    """The hub's knobs."""

    #: Seconds between looks at the change log when nothing is pushed (SQLite).
    poll_interval: float = 0.1
    #: Seconds between safety-net looks when LISTEN/NOTIFY pushes (PostgreSQL).
    pushed_poll_interval: float = 1.0
    stats_interval: float = STATS_EVERY
    workers_interval: float = 2.0
    #: Events a subscriber may have waiting before it is dropped.
    queue_size: int = 1000
    #: Changes read per statement.
    page_size: int = 1000


class Subscriber:
    """One stream: a bounded queue of events, ended when dropped or closed."""

    def __init__(
        self, principal: Principal, task_id: int | None, queue_size: int, after: int
    ) -> None:
        self.principal = principal
        self.task_id = task_id
        self.queue: asyncio.Queue[LiveEvent] = asyncio.Queue(maxsize=queue_size)
        #: Set when the hub dropped this subscriber (too slow) or shut down.
        self.ended = asyncio.Event()
        self.dropped = False
        #: Task events numbered at or below this are not delivered (already replayed).
        self.after = after

    def wants(self, change: TaskChange) -> bool:
        """This subscriber's task (if any), and a task its caller may read."""
        if self.task_id is not None and change.task_id != self.task_id:
            return False
        return may_read(self.principal, change.associate_id)

    def offer(self, event: LiveEvent) -> None:
        """Queue an event without waiting; a full queue drops the subscriber."""
        if self.ended.is_set():
            return
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            self.dropped = True
            self.ended.set()


class LiveHub:
    """The change log, workers and stats of one database, fanned out to local subscribers."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        stats: Callable[[], Any],
        settings: LiveSettings | None = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self._stats = stats
        self.settings = settings or LiveSettings()
        self._subscribers: set[Subscriber] = set()
        self._wake = asyncio.Event()
        self._someone = asyncio.Event()
        self._runner: asyncio.Task[None] | None = None
        self._started = asyncio.Event()
        self._listen: Subscription | None = None
        #: The highest change number delivered (every lower one is delivered or never will be).
        self.cursor = 0
        self._gap: tuple[int, int] | None = None
        self._workers: dict[str, tuple[object, ...]] = {}
        self._last_stats = 0.0
        self._last_workers = 0.0
        #: Events published since start (benchmarks read it).
        self.published = 0

    @property
    def subscribers(self) -> int:
        """Current subscribers."""
        return len(self._subscribers)

    async def start(self) -> None:
        """Start the reader (idempotent); returns once the cursor is set."""
        if self._runner is None:
            self._runner = asyncio.create_task(self._run(), name="batchtask-live-hub")
        await self._started.wait()

    async def close(self) -> None:
        """Stop the reader and end every subscriber's stream."""
        if self._runner is not None:
            self._runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._runner
            self._runner = None
        if self._listen is not None:
            await self._listen.close()
            self._listen = None
        for subscriber in list(self._subscribers):
            subscriber.ended.set()
        self._subscribers.clear()

    async def subscribe(
        self, principal: Principal, *, task_id: int | None = None, last_event_id: int | None = None
    ) -> tuple[Subscriber, list[LiveEvent]]:
        """Attach a subscriber; also the events to send before its queue (replay or reset)."""
        await self.start()
        cursor = self.cursor
        subscriber = Subscriber(principal, task_id, self.settings.queue_size, cursor)
        self._subscribers.add(subscriber)
        self._someone.set()
        if last_event_id is None or last_event_id >= cursor:
            return subscriber, []
        oldest = await self._store.changes.oldest()
        if oldest == 0 or last_event_id < oldest - 1:
            return subscriber, [LiveEvent("reset", None, None)]
        return subscriber, await self._replay(subscriber, last_event_id, cursor)

    def unsubscribe(self, subscriber: Subscriber) -> None:
        """Detach a subscriber (its stream ended)."""
        self._subscribers.discard(subscriber)
        subscriber.ended.set()
        if not self._subscribers:
            self._someone.clear()

    async def _replay(self, subscriber: Subscriber, after: int, through: int) -> list[LiveEvent]:
        latest: dict[int, TaskChange] = {}
        while after < through:
            page = await self._store.changes.read(after, self.settings.page_size)
            if not page.changes:
                break
            for change in page.changes:
                if change.change_id > through:
                    break
                if subscriber.wants(change):
                    latest[change.task_id] = change
                after = change.change_id
            else:
                continue
            break
        ordered = sorted(latest.values(), key=lambda c: c.change_id)
        return [LiveEvent("task", c.change_id, c) for c in ordered]

    @staticmethod
    def snapshot(task: BatchTask, mark: int) -> LiveEvent:
        """A task's state, read after change ``mark`` was written, as a ``task`` event."""
        change = TaskChange(
            mark, task.id, task.associate_id, task.name, task.state,
            task.progress_percent, task.progress_description, task.start_count,
        )  # fmt: skip
        return LiveEvent("task", mark, change)

    async def ending(self, change: TaskChange) -> TaskChange:
        """A deleted task's last known state: the final state its event log recorded."""
        if not change.deleted:
            return change
        final = BatchTaskState.Unknown
        for item in reversed(await self._store.tasks.events(change.task_id)):
            if item.to_state.is_finished:
                final = item.to_state
                break
        return TaskChange(
            change.change_id, change.task_id, change.associate_id, change.name, final,
            change.progress_percent, change.progress_description, change.start_count,
        )  # fmt: skip

    # ------------------------------------------------------------------------- the reader

    async def _run(self) -> None:
        self.cursor = await self._store.changes.latest()
        self._started.set()
        while True:
            await self._someone.wait()
            try:
                await self._ensure_listening()
                await self._read_changes()
                await self._maybe_workers()
                await self._maybe_stats()
            except Exception as exc:  # database away or failing: keep the streams, try again
                log.warning("live stream reader failed (%s); retrying", exc)
                await asyncio.sleep(1.0)
            interval = (
                self.settings.pushed_poll_interval
                if self._listen is not None and self._listen.alive
                else self.settings.poll_interval
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), interval)
            self._wake.clear()

    async def _ensure_listening(self) -> None:
        if self._listen is not None and self._listen.alive:
            return
        if self._listen is not None:
            await self._listen.close()
        self._listen = await self._store.changes.listen(self._wake.set)

    async def _read_changes(self) -> None:
        if self._listen is None and await self._store.changes.latest() <= self.cursor:
            return
        while True:
            page = await self._store.changes.read(self.cursor, self.settings.page_size)
            usable = self._settled(page)
            if usable:
                await self._publish_changes(usable)
            if len(page.changes) < self.settings.page_size or not usable:
                return

    def _settled(self, page: ChangePage) -> list[TaskChange]:
        """The changes that may be delivered now, in order; the cursor moves past them."""
        out: list[TaskChange] = []
        expected = self.cursor + 1
        for change in page.changes:
            if change.change_id != expected:
                if self._gap is None or self._gap[0] != expected:
                    self._gap = (expected, page.in_flight_below)
                if page.finished_below < self._gap[1]:
                    break  # a transaction that may still fill the gap is running
                self._gap = None
            out.append(change)
            expected = change.change_id + 1
            self.cursor = change.change_id
        return out

    async def _publish_changes(self, changes: list[TaskChange]) -> None:
        """Offer each task's latest change to its subscribers, yielding between events.

        Yielding lets every stream write what it was just given before the next event arrives,
        so a page of a thousand changes never piles up in the queues of clients that keep up:
        only a client that really stops reading fills its queue and is dropped.
        """
        latest: dict[int, TaskChange] = {}
        for change in changes:
            latest[change.task_id] = change
        for change in sorted(latest.values(), key=lambda c: c.change_id):
            event = LiveEvent("task", change.change_id, change)
            self.published += 1
            for subscriber in list(self._subscribers):
                if change.change_id > subscriber.after and subscriber.wants(change):
                    subscriber.offer(event)
            await asyncio.sleep(0)

    async def _maybe_workers(self) -> None:
        now = time.monotonic()
        if now - self._last_workers < self.settings.workers_interval:
            return
        self._last_workers = now
        wall = self._clock.now()
        for item in await self._store.workers.all():
            key = (item.last_heartbeat, item.busy, item.running, item.stopped, item.alive(wall))
            if self._workers.get(item.id) == key:
                continue
            self._workers[item.id] = key
            event = LiveEvent("worker", None, item)
            for subscriber in list(self._subscribers):
                if subscriber.task_id is None:
                    subscriber.offer(event)

    async def _maybe_stats(self) -> None:
        now = time.monotonic()
        if now - self._last_stats < self.settings.stats_interval:
            return
        self._last_stats = now
        stats = await self._stats()
        event = LiveEvent("stats", None, stats)
        for subscriber in list(self._subscribers):
            if subscriber.task_id is None:
                subscriber.offer(event)
