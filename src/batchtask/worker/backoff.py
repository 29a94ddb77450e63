"""Retry delays: exponential back-off with jitter, so retries of many tasks spread out."""

from __future__ import annotations

import random

_RANDOM = random.Random()  # noqa: S311 - spreading load, not security

#: No retry waits longer than an hour.
MAX_DELAY = 3600.0


def retry_delay(base: float, starts_used: int, *, rng: random.Random | None = None) -> float:
    """Seconds before the next attempt after ``starts_used`` failed ones ("equal jitter").

    The ceiling doubles per attempt (``base``, ``2·base``, ``4·base``, … up to an hour); the delay
    is half the ceiling plus a random share of the other half, so it never collapses to zero.
    """
    ceiling = min(MAX_DELAY, base * 2.0 ** max(0, starts_used - 1))
    generator = rng if rng is not None else _RANDOM
    return ceiling / 2 + generator.uniform(0.0, ceiling / 2)
