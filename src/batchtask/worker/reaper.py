"""``Reaper``: every worker returns expired leases, so no task stays Aquired/Started forever.

A lease expires when its worker stopped heartbeating (killed, frozen, cut off). The task goes back
to ``New`` while its definition allows more starts, else ends ``Failed`` [SR_BATCH_WORKER_LOST];
a task whose Stop was requested ends ``Failed`` [SR_BATCH_CANCELLED]. Reapers of several workers
never fight: rows are taken with ``SKIP LOCKED`` (PostgreSQL) or inside ``BEGIN IMMEDIATE``, and
each change is fenced on the attempt it read.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable

from batchtask.domain.clock import Clock
from batchtask.domain.errors import StorageUnavailable
from batchtask.domain.ports import RunRepository
from batchtask.domain.state import BatchTaskState

log = logging.getLogger("batchtask.worker")

#: Tasks per reaping transaction.
BATCH = 100


class Reaper:
    """The reaping loop of one worker."""

    def __init__(
        self,
        runs: RunRepository,
        clock: Clock,
        *,
        interval: float,
        actor: str,
        on_requeued: Callable[[], None],
    ) -> None:
        self._runs = runs
        self._clock = clock
        self._interval = interval
        self._actor = actor
        self._on_requeued = on_requeued
        #: Tasks this reaper returned to ``New`` / failed, since it started.
        self.requeued = 0
        self.failed = 0

    async def run(self) -> None:
        """Loop until cancelled; intervals are jittered so workers do not reap in lockstep."""
        while True:
            try:
                await self.reap()
            except StorageUnavailable as exc:
                log.warning("reaping failed: %s", exc)
            except Exception:
                log.exception("reaping failed")
            await asyncio.sleep(self._interval * random.uniform(0.8, 1.2))  # noqa: S311 - jitter

    async def reap(self) -> int:
        """Return every expired lease now; how many tasks changed."""
        total = 0
        while True:
            reaped = await self._runs.reap(now=self._clock.now(), actor=self._actor, limit=BATCH)
            for task_id, state in reaped:
                log.warning("task %s: its worker's lease expired; now %s", task_id, state.name)
            requeued = sum(1 for _, state in reaped if state is BatchTaskState.New)
            self.requeued += requeued
            self.failed += len(reaped) - requeued
            total += len(reaped)
            if requeued:
                self._on_requeued()
            if len(reaped) < BATCH:
                return total
