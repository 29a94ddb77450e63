"""What the runtime and the queue look like in numbers (SPEC §10.3), kept without Prometheus.

``RuntimeMetrics`` is what a worker counts as it goes — claims, retries, lost leases, and how
long attempts took by definition and outcome — in plain dicts (an increment and a ``bisect``
per attempt), turned into Prometheus families only when ``/metrics`` is scraped
(``serialisation/prometheus.py``). ``QueueSnapshot`` is what the database says at scrape time:
tasks per (state, definition), the oldest wait, workers alive or not; it is read at most once
per ``max_age`` seconds however often Prometheus scrapes.

Definition names become label values only for definitions a worker has registered; tasks of
names nobody registered (anyone may POST any name) are counted under ``(unregistered)``, so a
client cannot grow the number of series.
"""

from __future__ import annotations

import time
from bisect import bisect_left
from dataclasses import dataclass, field
from typing import Any

from batchtask.domain.clock import Clock
from batchtask.domain.ports import Store
from batchtask.domain.state import BatchTaskState

#: Seconds; attempts run from milliseconds to hours.
DURATION_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0)
UNREGISTERED = "(unregistered)"


@dataclass(slots=True)
class Durations:
    """One histogram: per-bucket counts, count and sum."""

    buckets: list[int] = field(default_factory=lambda: [0] * (len(DURATION_BUCKETS) + 1))
    count: int = 0
    total: float = 0.0

    def observe(self, seconds: float) -> None:
        """Count one attempt."""
        self.buckets[bisect_left(DURATION_BUCKETS, seconds)] += 1
        self.count += 1
        self.total += seconds


class RuntimeMetrics:
    """Counters of the workers of one process.

    With several API processes (``serve --workers N``) each shares :meth:`snapshot` with the others
    and a scrape adds theirs (:meth:`merged`), as the HTTP counters do.
    """

    def __init__(self) -> None:
        self.claims = 0
        self.retries: dict[str, int] = {}
        self.lease_lost = 0
        self.durations: dict[tuple[str, str], Durations] = {}

    def claimed(self, count: int) -> None:
        """Tasks claimed."""
        self.claims += count

    def retried(self, definition: str) -> None:
        """An attempt failed and the task goes back to the queue."""
        self.retries[definition] = self.retries.get(definition, 0) + 1

    def lost(self) -> None:
        """An attempt's lease was lost (reaped, changed or deleted from outside)."""
        self.lease_lost += 1

    def snapshot(self) -> dict[str, Any]:
        """The counters as plain JSON-able values."""
        return {
            "claims": self.claims,
            "lease_lost": self.lease_lost,
            "retries": dict(self.retries),
            "durations": [
                [definition, outcome, list(h.buckets), h.count, h.total]
                for (definition, outcome), h in self.durations.copy().items()
            ],
        }

    def merged(self, peers: list[dict[str, Any]]) -> RuntimeMetrics:
        """These counters plus other processes' snapshots (``self`` when there are none)."""
        if not peers:
            return self
        total = RuntimeMetrics()
        for snap in [self.snapshot(), *peers]:
            total.claims += int(snap.get("claims", 0))
            total.lease_lost += int(snap.get("lease_lost", 0))
            for definition, count in dict(snap.get("retries", {})).items():
                total.retries[str(definition)] = total.retries.get(str(definition), 0) + int(count)
            for definition, outcome, buckets, count, seconds in snap.get("durations", []):
                key = (str(definition), str(outcome))
                into = total.durations.setdefault(key, Durations())
                into.buckets = [a + int(b) for a, b in zip(into.buckets, buckets, strict=False)]
                into.count += int(count)
                into.total += float(seconds)
        return total

    def finished(self, definition: str, outcome: str, seconds: float) -> None:
        """An attempt ended: ``succeeded``, ``failed``, ``retried``, ``cancelled``, …"""
        key = (definition, outcome)
        durations = self.durations.get(key)
        if durations is None:
            durations = self.durations[key] = Durations()
        durations.observe(seconds)


@dataclass(frozen=True, slots=True)
class QueueFigures:
    """The database's view at one moment."""

    tasks: dict[tuple[BatchTaskState, str], int]
    oldest_waiting_seconds: float
    workers: dict[bool, int]


class QueueSnapshot:
    """The queue figures, read from the database at most once per ``max_age`` seconds."""

    def __init__(self, store: Store, clock: Clock, *, max_age: float = 2.0) -> None:
        self._store = store
        self._clock = clock
        self._max_age = max_age
        self._read_at = -1e9
        self.figures = QueueFigures({}, 0.0, {True: 0, False: 0})

    async def refresh(self) -> QueueFigures:
        """Fresh figures (or the last ones, when they are recent enough)."""
        if time.monotonic() - self._read_at < self._max_age:
            return self.figures
        now = self._clock.now()
        tasks: dict[tuple[BatchTaskState, str], int] = {}
        # since=now: the per-definition counts without the (empty) 24-hour figures.
        for figures in await self._store.stats.definitions(since=now):
            name = figures.name if figures.isolation else UNREGISTERED
            for state, count in figures.counts.items():
                tasks[(state, name)] = tasks.get((state, name), 0) + count
        head = await self._store.stats.oldest_waiting(now)
        oldest = 0.0 if head is None else max(0.0, (now - head).total_seconds())
        workers = {True: 0, False: 0}
        for worker in await self._store.workers.all():
            workers[worker.alive(now)] += 1
        self.figures = QueueFigures(tasks, oldest, workers)
        self._read_at = time.monotonic()
        return self.figures
