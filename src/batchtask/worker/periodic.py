"""Periodic system tasks (retention): created by whichever worker looks first, at most one pending.

Every worker that can run a periodic definition asks the database, about once a minute, to create
the next task unless one is waiting or running (``RunRepository.ensure_periodic`` does the check
and the insert in one serialised transaction). The new task is a system task (AssociateId 0) due an
interval after the previous one, so however many workers run, it runs once per interval.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from batchtask.domain.clock import Clock
from batchtask.domain.errors import StorageUnavailable
from batchtask.domain.ports import RunRepository

log = logging.getLogger("batchtask.worker")

#: Seconds between checks, at most.
_CHECK_INTERVAL = 60.0


@dataclass(frozen=True, slots=True)
class Periodic:
    """A definition run as a system task every ``interval`` seconds."""

    name: str
    interval: float
    description: str = ""


class PeriodicScheduler:
    """Keeps the next task of every periodic definition in the queue."""

    def __init__(
        self, runs: RunRepository, clock: Clock, periodic: Sequence[Periodic], *, actor: str
    ) -> None:
        self._runs = runs
        self._clock = clock
        self._periodic = tuple(periodic)
        self._actor = actor

    async def run(self) -> None:
        """Loop until cancelled (returns at once when there is nothing periodic)."""
        if not self._periodic:
            return
        pause = min(_CHECK_INTERVAL, *(p.interval for p in self._periodic))
        while True:
            try:
                await self.tick()
            except StorageUnavailable as exc:
                log.warning("scheduling periodic tasks failed: %s", exc)
            except Exception:
                log.exception("scheduling periodic tasks failed")
            await asyncio.sleep(pause)

    def covers(self, name: str) -> bool:
        """``name`` is one of the periodic definitions (any case)."""
        return any(periodic.name.casefold() == name.casefold() for periodic in self._periodic)

    async def tick(self) -> list[int]:
        """Create what is missing now; the ids created."""
        created = []
        for periodic in self._periodic:
            task_id = await self._runs.ensure_periodic(
                periodic.name, interval=periodic.interval, now=self._clock.now(),
                description=periodic.description, actor=self._actor,
            )  # fmt: skip
            if task_id is not None:
                log.info("scheduled %s as task %s", periodic.name, task_id)
                created.append(task_id)
        return created
