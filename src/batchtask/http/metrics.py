"""Prometheus metrics of the HTTP edge: request counts and latencies by route and status.

Why not ``prometheus_client.Counter``/``Histogram`` per request: their label lookup, lock and
bucket scan cost about as much as a quarter of the hot read. Requests are recorded into plain
dicts (one increment and one ``bisect``) and turned into metric families only when ``/metrics``
is scraped, by a collector in the app's own registry (one registry per app, safe in tests).
With several API processes each one also shares its counters (``metrics_share.py``) and a scrape
adds the others' to its own.

Every label is bounded by the code, never by the client (issue 11 #4: 40 requests with 400 KB
made-up method names made each scrape 312 MB): a method outside :data:`METHODS` is counted as
``other``, the route is the matched endpoint's name (``unmatched`` for every unknown path), the
status one the app sent. The families are built and rendered in a thread (:meth:`HttpMetrics.
exposition`), reading copies taken atomically, so a scrape never holds up the event loop.
"""

from __future__ import annotations

import asyncio
import time
from bisect import bisect_left
from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from batchtask.http.metrics_share import MetricsShare, Snapshot

#: The methods counted by name (RFC 9110 and PATCH, case-sensitive as HTTP methods are).
METHODS = frozenset(
    ("GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE", "CONNECT")
)
#: The label of every other method.
OTHER_METHOD = "other"

BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


def _method(method: str) -> str:
    return method if method in METHODS else OTHER_METHOD


class _Latency:
    """One route's latency histogram: per-bucket counts, total and sum."""

    __slots__ = ("buckets", "count", "total")

    def __init__(self) -> None:
        self.buckets = [0] * (len(BUCKETS) + 1)
        self.count = 0
        self.total = 0.0

    def observe(self, seconds: float) -> None:
        self.buckets[bisect_left(BUCKETS, seconds)] += 1
        self.count += 1
        self.total += seconds

    def add(self, buckets: list[int], count: int, total: float) -> None:
        """Add another histogram of the same buckets (another process's)."""
        if len(buckets) == len(self.buckets):
            self.buckets = [a + b for a, b in zip(self.buckets, buckets, strict=True)]
            self.count += count
            self.total += total


class HttpMetrics:
    """Request counts by (method, route, status) and latencies by (method, route)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.counts: dict[tuple[str, str, int], int] = {}
        self.latencies: dict[tuple[str, str], _Latency] = {}
        #: The folder shared with the other API processes (``serve --workers N``), if any.
        self.share: MetricsShare | None = None
        self.registry.register(self)

    def snapshot(self) -> Snapshot:
        """This process's counters as plain JSON-able lists.

        Safe from another thread: the dicts are copied in one C call (which the event loop's
        thread cannot interleave) before they are walked.
        """
        return {
            "counts": [[m, r, s, n] for (m, r, s), n in self.counts.copy().items()],
            "latencies": [
                [m, r, list(lat.buckets), lat.count, lat.total]
                for (m, r), lat in self.latencies.copy().items()
            ],
        }

    async def exposition(self) -> bytes:
        """The Prometheus text of every collector, built and rendered off the event loop."""
        return await asyncio.to_thread(generate_latest, self.registry)

    def _merged(self) -> tuple[dict[tuple[str, str, int], int], dict[tuple[str, str], _Latency]]:
        """This process's counters plus every other process's latest ones (copies)."""
        own = self.snapshot()
        counts: dict[tuple[str, str, int], int] = {}
        latencies: dict[tuple[str, str], _Latency] = {}
        peers = [] if self.share is None else self.share.peers()
        for peer in [own, *peers]:
            for method, route, status, count in peer.get("counts", []):
                key3 = (_method(str(method)), str(route), int(status))
                counts[key3] = counts.get(key3, 0) + int(count)
            for method, route, buckets, count, total in peer.get("latencies", []):
                key2 = (_method(str(method)), str(route))
                merged = latencies.get(key2)
                if merged is None:
                    merged = latencies[key2] = _Latency()
                merged.add([int(b) for b in buckets], int(count), float(total))
        return counts, latencies

    def record(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one answered request (a method not in :data:`METHODS` as ``other``)."""
        method = _method(method)
        key = (method, route, status)
        self.counts[key] = self.counts.get(key, 0) + 1
        latency = self.latencies.get((method, route))
        if latency is None:
            latency = self.latencies[(method, route)] = _Latency()
        latency.observe(seconds)

    def collect(self) -> Iterator[Metric]:
        """The metric families, built at scrape time."""
        requests = CounterMetricFamily(
            "batchtask_http_requests",
            "HTTP requests answered",
            labels=["method", "route", "status"],
        )
        all_counts, all_latencies = self._merged()
        for (method, route, status), count in sorted(all_counts.items()):
            requests.add_metric([method, route, str(status)], count)
        yield requests
        durations = HistogramMetricFamily(
            "batchtask_http_request_duration_seconds",
            "Time to answer an HTTP request",
            labels=["method", "route"],
        )
        for (method, route), latency in sorted(all_latencies.items()):
            cumulative, buckets = 0, []
            for bound, count in zip((*map(str, BUCKETS), "+Inf"), latency.buckets, strict=True):
                cumulative += count
                buckets.append((bound, cumulative))
            durations.add_metric([method, route], buckets, latency.total)
        yield durations


class MetricsMiddleware:
    """Counts and times every HTTP request the framework answers."""

    def __init__(self, app: ASGIApp, metrics: HttpMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            endpoint: Any = scope.get("endpoint")
            route = getattr(endpoint, "__name__", "unmatched")
            self.metrics.record(scope["method"], route, status, time.perf_counter() - start)
