"""Retry delays grow exponentially, are jittered, never collapse to zero and are capped."""

from __future__ import annotations

import random

from batchtask.worker.backoff import MAX_DELAY, retry_delay


def test_delay_doubles_within_equal_jitter_bounds() -> None:
    """After n failed starts the delay lies in [c/2, c] with c = base·2^(n-1)."""
    rng = random.Random(5)
    for starts, ceiling in ((1, 2.0), (2, 4.0), (3, 8.0), (6, 64.0)):
        delays = [retry_delay(2.0, starts, rng=rng) for _ in range(200)]
        assert min(delays) >= ceiling / 2
        assert max(delays) <= ceiling
        assert len(set(delays)) > 100


def test_delay_is_capped() -> None:
    """No retry waits more than an hour."""
    assert retry_delay(10.0, 40) <= MAX_DELAY
    assert retry_delay(0.0, 3) == 0.0
