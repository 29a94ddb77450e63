"""The worker: claim → start → run the handler → record how it ended (SPEC §8.2–§8.4).

::

    New ──claim──▶ Aquired ──start──▶ Started ──┬─ returned ──────────▶ Succeeded | ManualCleanup
     ▲                                          ├─ raised, starts left ─▶ New (not before backoff)
     │                                          ├─ raised, none left ──▶ Failed (error summary)
     │                                          ├─ Stop requested ─────▶ Failed [SR_BATCH_CANCELLED]
     │                                          ├─ timeout ────────────▶ Failed [SR_BATCH_TIMED_OUT]
     └──────────── release (SIGTERM) ───────────┴─ lease lost ─────────▶ (no write: not ours)

One asyncio task per attempt; ``concurrency`` bounds them. Around them run the lease keeper
(heartbeats, stop detection), the wake-up listener, the reaper and the periodic scheduler. Every
write after the claim is fenced (``RunRepository``), so this module never has to ask "is the task
still mine?" before writing: the database answers.

Shutdown (SIGTERM): stop claiming at once, let running handlers finish within ``shutdown_grace``,
then stop the rest and release their tasks to ``New`` immediately (not after the lease). A second
request skips the grace.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import secrets
import socket
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, fields
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

from batchtask import __version__
from batchtask.config import Settings
from batchtask.domain.clock import Clock
from batchtask.domain.ports import (
    Attempt,
    ChangeFeed,
    End,
    LeaseStatus,
    OwnerShare,
    Requeue,
    RunRepository,
    WorkerRegistry,
)
from batchtask.domain.state import BatchTaskState
from batchtask.domain.worker_info import WorkerInfo
from batchtask.services import log_context
from batchtask.services.runtime_metrics import RuntimeMetrics
from batchtask.worker.batching import Batcher
from batchtask.worker.context import TaskContext, TaskInfo
from batchtask.worker.execution import Execution, HandlerResult
from batchtask.worker.lease import LeaseKeeper
from batchtask.worker.outcome import Abort, Drop, Ending, Finish, Release, Retry, Rules, decide
from batchtask.worker.periodic import Periodic, PeriodicScheduler
from batchtask.worker.presence import Presence
from batchtask.worker.reaper import Reaper
from batchtask.worker.registry import Definition, Registry
from batchtask.worker.wakeup import Wakeup

log = logging.getLogger("batchtask.worker")

_SUCCEEDED = frozenset({BatchTaskState.Succeeded, BatchTaskState.SucceededManualCleanup})
#: Seconds between two progress writes of one task.
PROGRESS_INTERVAL = 0.5

T = TypeVar("T")


def default_owner() -> str:
    """``host:pid:random`` — unique per worker start, readable in the event log."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


@dataclass(frozen=True, slots=True)
class WorkerConfig:
    """The knobs of one worker (from ``Settings``, overridable per command)."""

    files_dir: Path
    concurrency: int = 4
    lease: float = 30.0
    heartbeat: float = 10.0
    poll_interval: float = 0.5
    #: Longest wait between claims while nothing comes (0: always ``poll_interval``). An idle
    #: worker doubles its wait up to this; a poke (a push, a task created in this process, a
    #: freed slot) or a claim brings it back to ``poll_interval``. Tenants' embedded workers use
    #: it, so many idle tenants cost little.
    idle_poll: float = 0.0
    cancel_grace: float = 10.0
    shutdown_grace: float = 10.0
    #: Share of the slots one plain owner may hold (1 = no limit); system tasks are not capped.
    owner_share: float = 0.5
    owner: str = field(default_factory=default_owner)

    @property
    def owner_cap(self) -> int:
        """Slots one plain owner may hold: the share of ``concurrency``, at least one."""
        return max(1, math.floor(self.owner_share * self.concurrency + 1e-9))

    #: ``embedded`` (inside ``serve``) or ``standalone`` (``batchtask worker``), as registered.
    kind: str = "standalone"

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> WorkerConfig:
        """The settings' values; ``None`` overrides are ignored."""
        names = {spec.name for spec in fields(cls)} - {"files_dir", "owner", "kind", "idle_poll"}
        values: dict[str, Any] = {name: getattr(settings, name) for name in names}
        values["files_dir"] = settings.files_path
        values.update({key: value for key, value in overrides.items() if value is not None})
        return cls(**values)


@dataclass(slots=True)
class WorkerStats:
    """Counters since the worker started (for logs, tests and benchmarks)."""

    claimed: int = 0
    succeeded: int = 0
    failed: int = 0
    retried: int = 0
    released: int = 0
    cancelled: int = 0
    timed_out: int = 0
    #: Attempts this worker lost (reaped, stopped while Aquired, changed from outside).
    lost: int = 0


class _Run:
    """The worker's state of one running attempt."""

    def __init__(
        self, attempt: Attempt, spec: Definition, files_dir: Path, loop: asyncio.AbstractEventLoop
    ) -> None:
        self.attempt = attempt
        self.spec = spec
        self.loop = loop
        self.changed = asyncio.Event()
        self.reason: Abort | None = None
        self.started = time.monotonic()
        cancel = threading.Event()
        self.ctx = TaskContext(
            TaskInfo.of(attempt.task), files_dir=files_dir, cancel_flag=cancel,
            on_change=self.notify,
        )  # fmt: skip
        self.execution = Execution(spec, self.ctx, cancel, files_dir)
        self._timers: list[asyncio.TimerHandle] = []
        #: Called once, on the loop, at the handler's first report (starts the progress writer:
        #: most tasks never report, and a task per attempt would cost them for nothing).
        self.on_first_change: Callable[[], None] | None = None
        self.flusher: asyncio.Task[None] | None = None

    def notify(self) -> None:
        """The handler reported something (from any thread)."""
        with contextlib.suppress(RuntimeError):  # loop closed: the attempt is long over
            self.loop.call_soon_threadsafe(self._changed)

    def _changed(self) -> None:
        self.changed.set()
        first, self.on_first_change = self.on_first_change, None
        if first is not None:
            first()

    def abort(self, reason: Abort, grace: float) -> None:
        """Ask the handler to stop, and interrupt it after ``grace`` seconds."""
        if self.reason is None or reason is Abort.LOST:
            self.reason = reason
        self.execution.request_cancel()
        if grace <= 0:
            self.execution.interrupt()
        else:
            self._timers.append(self.loop.call_later(grace, self.execution.interrupt))

    def later(self, delay: float, callback: Callable[[], None]) -> None:
        """Run ``callback`` after ``delay`` seconds unless the attempt ends first."""
        self._timers.append(self.loop.call_later(delay, callback))

    def cancel_timers(self) -> None:
        """The attempt ended."""
        for timer in self._timers:
            timer.cancel()


class Worker:
    """Runs the tasks of the definitions in ``registry``."""

    def __init__(
        self,
        runs: RunRepository,
        registry: Registry,
        clock: Clock,
        config: WorkerConfig,
        *,
        periodic: Sequence[Periodic] = (),
        workers: WorkerRegistry | None = None,
        changes: ChangeFeed | None = None,
        metrics: RuntimeMetrics | None = None,
    ) -> None:
        self._runs = runs
        #: Counters for ``/metrics`` (shared by the workers of one process).
        self.metrics = metrics or RuntimeMetrics()
        self._registry = registry
        self._clock = clock
        self.config = config
        self.stats = WorkerStats()
        self._started = clock.now()
        self._presence = (
            None
            if workers is None or changes is None
            else Presence(
                workers,
                changes,
                clock,
                self.describe,
                lambda: sorted(self._tasks),
                interval=config.heartbeat,
            )
        )
        self._actor = f"worker:{config.owner}"
        self._wakeup = Wakeup(runs, on_cancel=self._pushed_cancel)
        #: The claim loop's current wait while idle (``poll_interval`` … ``idle_poll``).
        self.idle_wait = config.poll_interval
        self._keeper = LeaseKeeper(
            runs, clock, lease=config.lease, heartbeat=config.heartbeat,
            poll_interval=config.poll_interval, pushed=lambda: self._wakeup.pushing,
        )  # fmt: skip
        self._reaper = Reaper(
            runs, clock, interval=config.heartbeat, actor=f"reaper:{config.owner}",
            on_requeued=self._wakeup.poke,
        )  # fmt: skip
        self._scheduler = PeriodicScheduler(runs, clock, periodic, actor=self._actor)
        self._tasks: dict[int, asyncio.Task[None]] = {}
        #: Owner (AssociateId) of every attempt in ``_tasks``: what the claim's share counts.
        self._owners: dict[int, int] = {}
        self._starts: Batcher[Attempt, bool] = Batcher(self._write_starts)
        self._ends: Batcher[tuple[Attempt, End], BatchTaskState | None] = Batcher(self._write_ends)
        self._active: dict[int, _Run] = {}
        self._closing = False
        self._releasing = False
        self._hurry = asyncio.Event()
        self._grace = config.shutdown_grace
        self.ready = asyncio.Event()
        #: Schedulings after clock changes still running (kept so they are not collected).
        self._rescheduling: set[asyncio.Task[None]] = set()

    @property
    def owner(self) -> str:
        """This worker's lease owner name."""
        return self.config.owner

    @property
    def registry(self) -> Registry:
        """The definitions this worker runs."""
        return self._registry

    @property
    def running(self) -> int:
        """Attempts in progress."""
        return len(self._tasks)

    def describe(self) -> WorkerInfo:
        """This worker as the worker registry shows it."""
        return WorkerInfo(
            id=self.owner, host=socket.gethostname(), pid=os.getpid(), version=__version__,
            kind=self.config.kind, started=self._started, last_heartbeat=self._clock.now(),
            lease_seconds=self.config.lease, slots=self.config.concurrency,
            busy=len(self._tasks), definitions=tuple(spec.name for spec in self._registry),
            running=tuple(sorted(self._tasks)),
        )  # fmt: skip

    def shutdown(self, grace: float | None = None) -> None:
        """Stop claiming; running tasks get ``grace`` seconds (default ``shutdown_grace``).

        Safe to call from a signal handler; a second call releases everything at once.
        """
        if self._closing:
            self._grace = 0
            self._hurry.set()
        else:
            self._closing = True
            self._grace = self.config.shutdown_grace if grace is None else grace
        self._wakeup.poke()

    async def run(self) -> None:
        """Work until :meth:`shutdown`, then drain."""
        log_context.worker_id.set(self.owner)  # every task started from here carries it
        background = [
            asyncio.create_task(self._wakeup.run(), name="batchtask-wakeup"),
            asyncio.create_task(self._keeper.run(), name="batchtask-lease-keeper"),
            asyncio.create_task(self._reaper.run(), name="batchtask-reaper"),
        ]
        if self._presence is not None:
            background.append(asyncio.create_task(self._presence.run(), name="batchtask-presence"))
        try:
            definition_ids = await self._register()
            if definition_ids is not None:
                background.append(
                    asyncio.create_task(self._scheduler.run(), name="batchtask-periodic")
                )
                log.info(
                    "worker %s: %d slots, definitions %s", self.owner, self.config.concurrency,
                    ", ".join(spec.name for spec in self._registry),
                )  # fmt: skip
                self.ready.set()
                await self._claim_loop(definition_ids)
            await self._drain()
        finally:
            for task in background:
                task.cancel()
            await asyncio.gather(*background, return_exceptions=True)
            await self._wakeup.close()
            if self._presence is not None:
                await self._presence.close()
            log.info("worker %s stopped: %s", self.owner, self.stats)

    async def _register(self) -> list[int] | None:
        """Upsert our definitions, retrying while the database is away; ``None`` on shutdown."""
        delay = 0.5
        while not self._closing:
            try:
                ids = await self._runs.register(
                    [spec.policy() for spec in self._registry], now=self._clock.now()
                )
            except Exception as exc:  # database away or failing: retry, never die
                log.warning("registering definitions failed (%s); retrying", exc)
                await self._wakeup.wait(delay)
                delay = min(30.0, delay * 2)
                continue
            return list(ids.values())
        return None

    def poke(self) -> None:
        """Claim now: new work may be waiting (a task created in this process)."""
        self._wakeup.poke()

    def definitions_changed(self) -> None:
        """The registry gained or lost a definition (a scripted one): register and claim anew."""
        self._wakeup.poke()

    def clock_moved(self) -> None:
        """The clock jumped (the emulator's tenant clock was set or advanced): schedule the
        periodic tasks for the new time now, then claim what has become due."""
        if self._closing or not self.ready.is_set():
            return
        self._reschedule()

    def _reschedule(self) -> None:
        """Schedule the periodic tasks now (in the background), then look for due work."""

        async def reschedule() -> None:
            try:
                await self._scheduler.tick()
            except Exception as exc:  # the next regular tick tries again
                log.warning("scheduling periodic tasks failed: %s", exc)
            self._wakeup.poke()

        task = asyncio.get_running_loop().create_task(reschedule(), name="batchtask-periodic-now")
        self._rescheduling.add(task)
        task.add_done_callback(self._rescheduling.discard)

    async def _claim_loop(self, definition_ids: list[int]) -> None:
        delay = self.config.poll_interval
        self.idle_wait = self.config.poll_interval
        registered = self._registry.version
        while not self._closing:
            if self._registry.version != registered:
                version = self._registry.version
                ids = await self._register()
                if ids is None:
                    break
                definition_ids, registered = ids, version
            free = self.config.concurrency - len(self._tasks)
            if free > 0:
                try:
                    attempts = await self._runs.claim(
                        definition_ids, owner=self.owner, limit=free, now=self._clock.now(),
                        lease=self.config.lease, share=self._share(),
                    )  # fmt: skip
                except Exception as exc:  # database away or failing: retry, never die
                    log.warning("claiming failed (%s); retrying in %.1f s", exc, delay)
                    await self._wakeup.wait(delay)
                    delay = min(30.0, delay * 2)
                    continue
                delay = self.config.poll_interval
                if attempts:
                    self.idle_wait = self.config.poll_interval
                for attempt in attempts:
                    self._launch(attempt)
                if attempts and not self._closing:
                    # There may be more (of other owners, past the share's window): claim again
                    # at once while slots are free, wait for one when none is.
                    if len(attempts) < free:
                        continue
                    await self._wakeup.wait(self.config.poll_interval)
                    continue
            if free <= 0:
                await self._wakeup.wait(self.config.poll_interval)
            elif await self._wakeup.wait(self.idle_wait):
                self.idle_wait = self.config.poll_interval
            else:
                longest = max(self.config.idle_poll, self.config.poll_interval)
                self.idle_wait = min(longest, self.idle_wait * 2)

    def _share(self) -> OwnerShare | None:
        if self.config.owner_cap >= self.config.concurrency:
            return None
        return OwnerShare(self.config.owner_cap, Counter(self._owners.values()))

    def _launch(self, attempt: Attempt) -> None:
        self.stats.claimed += 1
        self.metrics.claimed(1)
        task = asyncio.create_task(self._attempt(attempt), name=f"batchtask-{attempt.task_id}")
        self._tasks[attempt.task_id] = task
        self._owners[attempt.task_id] = attempt.task.associate_id

        def done(_: asyncio.Task[None]) -> None:
            self._tasks.pop(attempt.task_id, None)
            self._owners.pop(attempt.task_id, None)
            self._wakeup.poke()
            if not _.cancelled() and _.exception() is not None:
                log.error("task %s: worker error", attempt.task_id, exc_info=_.exception())

        task.add_done_callback(done)

    async def _drain(self) -> None:
        deadline = time.monotonic() + self._grace
        while self._tasks and not self._hurry.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            await asyncio.wait(set(self._tasks.values()), timeout=min(remaining, 0.1))
        self._releasing = True
        for run in list(self._active.values()):
            run.abort(Abort.SHUTDOWN, grace=0)
        if self._tasks:
            await asyncio.gather(*self._tasks.values(), return_exceptions=True)

    def _pushed_cancel(self, task_id: int) -> None:
        if task_id in self._active:
            self._keeper.check_soon()

    async def _attempt(self, attempt: Attempt) -> None:
        log_context.task_id.set(attempt.task_id)  # this attempt's own asyncio task only
        log_context.attempt.set(attempt.start_count)
        spec = self._registry.get(attempt.task.name)
        if spec is None:  # cannot happen unless a definition was renamed under us
            await self._persist(lambda: self._runs.release(attempt, now=self._clock.now()))
            return
        try:
            started = await self._starts.submit(attempt)
        except Exception as exc:  # database away: leave it to the lease and the reaper
            log.warning(
                "task %s: could not start (%s); the reaper will return it", attempt.task_id, exc
            )
            started = False
        if not started:
            self.stats.lost += 1
            self.metrics.lost()
            return
        run = _Run(attempt, spec, self.config.files_dir, asyncio.get_running_loop())
        self._active[attempt.task_id] = run
        self._keeper.hold(attempt, lambda status: self._on_status(run, status))
        if spec.timeout is not None:
            run.later(spec.timeout, lambda: run.abort(Abort.TIMED_OUT, self.config.cancel_grace))
        if self._releasing:
            run.abort(Abort.SHUTDOWN, grace=0)
        run.on_first_change = lambda: setattr(
            run, "flusher", asyncio.create_task(self._flush_progress(run))
        )
        try:
            result = await run.execution.run()
        finally:
            run.cancel_timers()
            run.on_first_change = None
            if run.flusher is not None:
                run.flusher.cancel()
        try:
            await self._conclude(run, result)
        finally:
            self._keeper.release(attempt.task_id)
            self._active.pop(attempt.task_id, None)
        if self._scheduler.covers(spec.name) and not self._closing:
            # The next run is queued as soon as this one ends (due an interval later), so a
            # moved clock always finds it waiting rather than a gap until the next regular tick.
            self._reschedule()
        if run.execution.straggling and not self._closing:
            log.warning(
                "task %s: handler ignored the stop and is still running; its slot stays busy",
                attempt.task_id,
            )
            await run.execution.settled()

    def _on_status(self, run: _Run, status: LeaseStatus) -> None:
        if status is LeaseStatus.LOST:
            run.abort(Abort.LOST, grace=0)
        elif run.reason is None:
            run.abort(Abort.CANCELLED, self.config.cancel_grace)

    async def _flush_progress(self, run: _Run) -> None:
        """At most one progress write per ``PROGRESS_INTERVAL``, the first one no sooner than that
        after the start (short tasks write none); the last value always rides on the final write."""
        wait = PROGRESS_INTERVAL - (time.monotonic() - run.started)
        while True:
            await asyncio.sleep(max(0.0, wait))
            wait = PROGRESS_INTERVAL
            await run.changed.wait()
            run.changed.clear()
            progress = run.ctx.take_progress()
            if progress is not None:
                try:
                    applied = await self._runs.progress(
                        run.attempt, *progress, now=self._clock.now()
                    )
                except Exception as exc:  # database away or failing: retry, never die
                    log.warning("task %s: progress not written (%s)", run.attempt.task_id, exc)
                    applied = True
                if not applied:
                    self._keeper.check_soon()

    async def _conclude(self, run: _Run, result: HandlerResult) -> None:
        attempt, spec, snap = run.attempt, run.spec, run.ctx.snapshot()
        ending = Ending(
            ok=result.ok, abort=run.reason, error=result.error, permanent=result.permanent,
            starts_used=attempt.starts_used, progress=snap.progress, result=snap.result,
            file_name=snap.file_name, manual_cleanup=snap.manual_cleanup,
            elapsed=time.monotonic() - run.started,
        )  # fmt: skip
        outcome = decide(
            ending, Rules(max_starts=spec.max_starts, backoff=spec.backoff, timeout=spec.timeout)
        )
        if isinstance(outcome, Drop):
            self.stats.lost += 1
            self.metrics.lost()
            self.metrics.finished(attempt.task.name, "lost", ending.elapsed)
            log.warning("task %s: no longer ours (lease lost); dropped", attempt.task_id)
            return
        written = await self._persist(lambda: self._record(attempt, outcome))
        # Counted by the reason the outcome was decided on: the lease keeper may mark the run
        # LOST while the end is written (the write itself ends the lease), which would count a
        # timed-out or cancelled attempt as merely failed.
        self._count(run, written, ending.abort, handler_ok=result.ok)

    async def _record(
        self, attempt: Attempt, outcome: Finish | Retry | Release
    ) -> BatchTaskState | None:
        end: End
        if isinstance(outcome, Finish):
            end = outcome.completion
        elif isinstance(outcome, Retry):
            end = Requeue(
                self._clock.now() + timedelta(seconds=outcome.delay), outcome.response,
                reason=f"retry in {outcome.delay:.1f} s",
            )  # fmt: skip
        else:
            end = Requeue(None, None, released=True, reason="released")
        return await self._ends.submit((attempt, end))

    async def _write_starts(self, attempts: Sequence[Attempt]) -> list[bool]:
        """One statement starts every attempt launched together."""
        started = await self._runs.start_many(
            attempts, now=self._clock.now(), lease=self.config.lease
        )
        return [attempt.task_id in started for attempt in attempts]

    async def _write_ends(self, ends: Sequence[tuple[Attempt, End]]) -> list[BatchTaskState | None]:
        """One statement records every attempt that ended together."""
        return await self._runs.conclude(ends, now=self._clock.now())

    def _count(
        self, run: _Run, written: BatchTaskState | None, reason: Abort | None, *, handler_ok: bool
    ) -> None:
        attempt = run.attempt
        if written is None:
            self.stats.lost += 1
            self.metrics.lost()
            outcome = "lost"
        elif written is BatchTaskState.New:
            if reason is Abort.SHUTDOWN:
                self.stats.released += 1
                outcome = "released"
            else:
                self.stats.retried += 1
                self.metrics.retried(attempt.task.name)
                outcome = "retried"
        elif written is BatchTaskState.Failed:
            self.stats.failed += 1
            outcome = "failed"
            if reason is Abort.TIMED_OUT:
                self.stats.timed_out += 1
                outcome = "timed_out"
            elif reason is Abort.CANCELLED or handler_ok:  # success turned into a stop
                self.stats.cancelled += 1
                outcome = "cancelled"
        else:
            self.stats.succeeded += 1
            outcome = "succeeded"
        self.metrics.finished(attempt.task.name, outcome, time.monotonic() - run.started)
        # Successes are the bulk and are in the event log: one line each only at debug level.
        log.log(
            logging.DEBUG if written in _SUCCEEDED else logging.INFO,
            "task %s (%s) attempt %s: %s after %.2f s", attempt.task_id, attempt.task.name,
            attempt.start_count, "fenced out" if written is None else written.name,
            time.monotonic() - run.started,
        )  # fmt: skip

    async def _persist(self, write: Callable[[], Awaitable[T]]) -> T | None:
        """Run a final write, retrying while the database is away for up to one lease."""
        delay = 0.2
        deadline = time.monotonic() + self.config.lease
        while True:
            try:
                return await write()
            except Exception as exc:  # database away or failing: retry, never die
                problem = exc
            if time.monotonic() + delay > deadline:
                log.error("could not record a task's end (%s); the reaper will recover it", problem)
                return None
            await asyncio.sleep(delay)
            delay = min(5.0, delay * 2)
