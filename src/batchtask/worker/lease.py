"""``LeaseKeeper``: renews the leases of every attempt a worker holds and notices when to stop.

Once per ``heartbeat`` it renews all leases in one statement; the answer also says, per task,
whether a Stop was requested or the task is no longer ours (reaped, finished or deleted from
outside, or PUT to another state). Between heartbeats it looks again, read-only, every
``poll_interval`` when nothing is pushed (SQLite, or PostgreSQL while LISTEN is down), or at once
when a push says one of our tasks changed.

**Self-fencing.** If the database cannot be reached for a whole lease, another worker may already
hold the task; the keeper then reports it lost, so the handler is stopped even though nobody could
tell us so.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from batchtask.domain.clock import Clock
from batchtask.domain.errors import StorageUnavailable
from batchtask.domain.ports import Attempt, LeaseStatus, RunRepository

log = logging.getLogger("batchtask.worker")

StatusCallback = Callable[[LeaseStatus], None]


@dataclass(slots=True)
class _Held:
    attempt: Attempt
    on_status: StatusCallback
    #: ``time.monotonic()`` after which we can no longer be sure the lease is ours.
    deadline: float


class LeaseKeeper:
    """Heartbeats and stop detection for the attempts of one worker."""

    def __init__(
        self,
        runs: RunRepository,
        clock: Clock,
        *,
        lease: float,
        heartbeat: float,
        poll_interval: float,
        pushed: Callable[[], bool],
    ) -> None:
        self._runs = runs
        self._clock = clock
        self._lease = lease
        self._heartbeat = heartbeat
        self._poll = poll_interval
        self._pushed = pushed
        self._held: dict[int, _Held] = {}
        self._check = asyncio.Event()

    def hold(self, attempt: Attempt, on_status: StatusCallback) -> None:
        """Keep ``attempt``'s lease; ``on_status`` hears of stop requests and loss."""
        deadline = time.monotonic() + self._lease
        self._held[attempt.task_id] = _Held(attempt, on_status, deadline)
        if len(self._held) == 1:
            self._check.set()  # the keeper sleeps while it holds nothing: wake it

    def release(self, task_id: int) -> None:
        """Stop keeping a lease (the attempt has ended)."""
        self._held.pop(task_id, None)

    def check_soon(self) -> None:
        """Look at every held task now (a push said one changed, or a write did not apply)."""
        self._check.set()

    async def run(self) -> None:
        """Loop until cancelled."""
        last_beat = time.monotonic()
        while True:
            if self._held:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._check.wait(), self._poll)
            else:  # nothing to keep: no timer at all until ``hold`` (idle tenants cost nothing)
                await self._check.wait()
            forced = self._check.is_set()
            self._check.clear()
            if not self._held:
                last_beat = time.monotonic()
                continue
            try:
                if time.monotonic() - last_beat >= self._heartbeat:
                    last_beat = time.monotonic()
                    await self.beat()
                elif forced or not self._pushed():
                    await self.look()
            except Exception:
                log.exception("lease keeping failed; trying again")
            self._expire()

    async def beat(self) -> None:
        """Renew every held lease now."""
        held = list(self._held.values())
        sent = time.monotonic()
        now = self._clock.now()
        try:
            statuses = await self._runs.heartbeat(
                [h.attempt for h in held],
                now=now,
                lease=self._lease,
            )
        except StorageUnavailable as exc:
            log.warning("heartbeat failed: %s", exc)
            return
        for h in held:
            status = statuses.get(h.attempt.task_id, LeaseStatus.LOST)
            if status is not LeaseStatus.LOST:
                h.deadline = sent + self._lease
            self._report(h, status)

    async def look(self) -> None:
        """Read every held task's status without renewing anything."""
        held = list(self._held.values())
        try:
            statuses = await self._runs.inspect([h.attempt for h in held])
        except StorageUnavailable as exc:
            log.warning("checking running tasks failed: %s", exc)
            return
        for h in held:
            self._report(h, statuses.get(h.attempt.task_id, LeaseStatus.LOST))

    def _report(self, held: _Held, status: LeaseStatus) -> None:
        if status is not LeaseStatus.HELD and self._held.get(held.attempt.task_id) is held:
            held.on_status(status)

    def _expire(self) -> None:
        now = time.monotonic()
        for held in list(self._held.values()):
            if now > held.deadline:
                log.error(
                    "task %s: lease not renewed for %.0f s; stopping it", held.attempt.task_id,
                    self._lease,
                )  # fmt: skip
                held.on_status(LeaseStatus.LOST)
