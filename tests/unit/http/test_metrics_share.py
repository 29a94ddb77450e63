"""Metrics of several API processes are summed into one scrape (``serve --workers N``)."""

from __future__ import annotations

from pathlib import Path

from prometheus_client import generate_latest

from batchtask.http.metrics import HttpMetrics
from batchtask.http.metrics_share import MetricsShare


def process(folder: Path, pid: int) -> HttpMetrics:
    metrics = HttpMetrics()
    metrics.share = MetricsShare(folder, pid=pid)
    return metrics


def line(text: str, start: str) -> float:
    (found,) = [row for row in text.splitlines() if row.startswith(start)]
    return float(found.rsplit(" ", 1)[1])


def test_a_scrape_adds_the_other_processes_published_counters(tmp_path: Path) -> None:
    """Process A's scrape = A's live counters + B's last published ones; histograms too."""
    a, b = process(tmp_path, 101), process(tmp_path, 102)
    for _ in range(3):
        a.record("GET", "get_task", 200, 0.002)
    b.record("GET", "get_task", 200, 0.02)
    b.record("POST", "create_task", 200, 0.004)
    assert b.share is not None
    b.share.publish(b.snapshot())
    b.record("GET", "get_task", 200, 0.02)  # not published yet: not seen by A
    text = generate_latest(a.registry).decode()
    get = 'batchtask_http_requests_total{method="GET",route="get_task",status="200"}'
    post = 'batchtask_http_requests_total{method="POST",route="create_task",status="200"}'
    assert line(text, get) == 4
    assert line(text, post) == 1
    count = 'batchtask_http_request_duration_seconds_count{method="GET",route="get_task"}'
    assert line(text, count) == 4
    bucket = 'batchtask_http_request_duration_seconds_bucket{le="0.0025",method="GET"'
    assert line(text, bucket) == 3
    assert a.counts == {("GET", "get_task", 200): 3}  # A's own counters are untouched


def test_without_a_share_a_process_reports_its_own(tmp_path: Path) -> None:
    """A single process (no folder) is unchanged; a damaged peer file is skipped."""
    alone = HttpMetrics()
    alone.record("GET", "healthz", 200, 0.001)
    (tmp_path / "7.json").write_text("{not json")
    shared = process(tmp_path, 8)
    shared.record("GET", "healthz", 200, 0.001)
    for metrics in (alone, shared):
        text = generate_latest(metrics.registry).decode()
        assert line(text, 'batchtask_http_requests_total{method="GET",route="healthz"') == 1
