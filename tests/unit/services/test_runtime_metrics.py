"""Worker counters add up across API processes (``serve --workers N`` shares snapshots)."""

from __future__ import annotations

import json

from batchtask.services.runtime_metrics import RuntimeMetrics


def test_a_snapshot_survives_json_and_merges_with_the_live_counters() -> None:
    """Claims, lost leases, retries and duration histograms of two processes are summed."""
    here, there = RuntimeMetrics(), RuntimeMetrics()
    here.claimed(2)
    here.finished("job", "succeeded", 0.2)
    there.claimed(3)
    there.lost()
    there.retried("job")
    there.finished("job", "succeeded", 40.0)
    there.finished("job", "failed", 1.0)
    total = here.merged([json.loads(json.dumps(there.snapshot()))])
    assert (total.claims, total.lease_lost, total.retries) == (5, 1, {"job": 1})
    succeeded = total.durations[("job", "succeeded")]
    assert (succeeded.count, round(succeeded.total, 1), sum(succeeded.buckets)) == (2, 40.2, 2)
    assert total.durations[("job", "failed")].count == 1
    assert here.merged([]) is here
