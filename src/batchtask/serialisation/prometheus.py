"""The runtime and queue series of SPEC §10.3 as Prometheus metric families.

Built at scrape time from ``services/runtime_metrics.py``: the worker counters of this process
and the queue figures the database gave at most a couple of seconds ago.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)

from batchtask.services.runtime_metrics import DURATION_BUCKETS, QueueSnapshot, RuntimeMetrics


class RuntimeCollector:
    """Worker counters: claims, retries, lost leases, attempt durations (and other processes')."""

    def __init__(
        self, metrics: RuntimeMetrics, peers: Callable[[], list[dict[str, Any]]] | None = None
    ) -> None:
        self._metrics = metrics
        self._peers = peers

    def collect(self) -> Iterator[Metric]:
        """The families, as of now."""
        metrics = self._metrics.merged(self._peers() if self._peers is not None else [])
        yield CounterMetricFamily(
            "batchtask_claims", "Tasks claimed by this process's workers", value=metrics.claims
        )
        retries = CounterMetricFamily(
            "batchtask_task_retries",
            "Failed attempts sent back to the queue",
            labels=["definition"],
        )
        for definition, count in sorted(metrics.retries.items()):
            retries.add_metric([definition], count)
        yield retries
        yield CounterMetricFamily(
            "batchtask_lease_lost",
            "Attempts whose lease was lost (reaped, changed or deleted from outside)",
            value=metrics.lease_lost,
        )
        durations = HistogramMetricFamily(
            "batchtask_task_duration_seconds",
            "How long attempts ran, by definition and outcome",
            labels=["definition", "outcome"],
        )
        for (definition, outcome), histogram in sorted(metrics.durations.items()):
            cumulative, buckets = 0, []
            for bound, count in zip(
                (*map(str, DURATION_BUCKETS), "+Inf"), histogram.buckets, strict=True
            ):
                cumulative += count
                buckets.append((bound, cumulative))
            durations.add_metric([definition, outcome], buckets, histogram.total)
        yield durations


class QueueCollector:
    """Queue gauges from the last database snapshot (refreshed by the scrape handler)."""

    def __init__(self, snapshot: QueueSnapshot) -> None:
        self._snapshot = snapshot

    def collect(self) -> Iterator[Metric]:
        """The families, from the latest figures."""
        figures = self._snapshot.figures
        tasks = GaugeMetricFamily(
            "batchtask_tasks", "Tasks by state and definition", labels=["state", "definition"]
        )
        for (state, definition), count in sorted(figures.tasks.items()):
            tasks.add_metric([state.name, definition], count)
        yield tasks
        yield GaugeMetricFamily(
            "batchtask_oldest_waiting_seconds",
            "How long the task at the head of the queue has been due",
            value=figures.oldest_waiting_seconds,
        )
        workers = GaugeMetricFamily(
            "batchtask_workers", "Registered workers, alive or not", labels=["alive"]
        )
        for alive in (True, False):
            workers.add_metric(["true" if alive else "false"], figures.workers.get(alive, 0))
        yield workers
