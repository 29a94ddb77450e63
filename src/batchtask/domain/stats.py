"""Queue figures for the console and ``GET stats`` / ``GET definitions`` (SPEC §10.1)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from batchtask.domain.state import BatchTaskState, CancellationBehaviour


@dataclass(frozen=True, slots=True)
class SeriesPoint:
    """What happened in the step ending at ``at``, and the queue depth then."""

    at: datetime
    started: int
    succeeded: int
    failed: int
    #: Tasks in ``New`` at ``at``.
    waiting: int


@dataclass(frozen=True, slots=True)
class QueueStats:
    """Counts per state now, the oldest waiting task's wait, and a time series."""

    at: datetime
    counts: dict[BatchTaskState, int]
    oldest_waiting_seconds: float
    series: tuple[SeriesPoint, ...] = ()


@dataclass(frozen=True, slots=True)
class DefinitionFigures:
    """One task definition with its figures."""

    name: str
    description: str
    cancellation: CancellationBehaviour
    #: Seconds; ``None`` = no limit.
    timeout: int | None
    max_starts: int
    #: ``inline`` or ``process`` as the workers registered it; ``""`` when none has.
    isolation: str
    counts: dict[BatchTaskState, int] = field(default_factory=dict)
    succeeded_24h: int = 0
    failed_24h: int = 0
    #: Median and 95th percentile run time of recent successful runs, in milliseconds.
    p50_ms: float | None = None
    p95_ms: float | None = None
    #: Alive workers that run it.
    workers: int = 0
