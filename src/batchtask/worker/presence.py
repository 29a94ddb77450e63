"""``Presence``: the worker's row in the worker registry (SPEC §10.1 ``GET workers``).

The worker registers when it starts, renews its row every ``interval`` (its heartbeat) with
what it is running, and marks itself stopped when it shuts down cleanly; a worker that crashed
simply stops renewing and shows ``Alive: false`` once its lease has passed. Along the way it does
the registry's and the change log's housekeeping — forgetting workers silent for a day, keeping
the newest ``KEEP_CHANGES`` changes — so a deployment without API processes stays bounded too.
Database trouble is logged and retried at the next beat; it never stops the worker.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence

from batchtask.domain.change import KEEP_CHANGES
from batchtask.domain.clock import Clock
from batchtask.domain.ports import ChangeFeed, WorkerRegistry
from batchtask.domain.worker_info import FORGET_AFTER, WorkerInfo

log = logging.getLogger("batchtask.worker")

#: Beats between two housekeeping passes.
HOUSEKEEPING_EVERY = 6


class Presence:
    """Keeps one worker's registry row current."""

    def __init__(
        self,
        registry: WorkerRegistry,
        changes: ChangeFeed,
        clock: Clock,
        describe: Callable[[], WorkerInfo],
        running: Callable[[], Sequence[int]],
        *,
        interval: float,
    ) -> None:
        self._registry = registry
        self._changes = changes
        self._clock = clock
        self._describe = describe
        self._running = running
        self._interval = interval
        self._registered = False

    async def run(self) -> None:
        """Register, then beat every ``interval`` until cancelled."""
        beats = 0
        while True:
            try:
                await self._beat()
                if beats % HOUSEKEEPING_EVERY == 0:
                    await self._housekeeping()
            except Exception as exc:  # database away or failing: try again at the next beat
                log.warning("worker registry not updated (%s); retrying", exc)
            beats += 1
            await asyncio.sleep(self._interval)

    async def _beat(self) -> None:
        if not self._registered:
            await self._registry.register(self._describe())
            self._registered = True
            return
        running = list(self._running())
        await self._registry.beat(
            self._describe().id, now=self._clock.now(), busy=len(running), running=running
        )

    async def _housekeeping(self) -> None:
        await self._registry.forget(before=self._clock.now() - FORGET_AFTER)
        await self._changes.prune(keep=KEEP_CHANGES)

    async def close(self) -> None:
        """Mark the worker stopped (best effort: a failure leaves it to the lease)."""
        if not self._registered:
            return
        try:
            await self._registry.deregister(self._describe().id, now=self._clock.now())
        except Exception as exc:  # the database is away: the row simply ages out
            log.warning("could not deregister the worker (%s)", exc)
