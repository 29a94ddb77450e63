"""The throttle repository behaves the same on every store: empty counters, read-modify-write."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

import pytest

from batchtask.domain.ports import Store, ThrottleCounter
from tests.conftest import FakeClock

pytestmark = pytest.mark.anyio


async def test_missing_keys_read_empty_and_changes_are_stored(
    store: Store, clock: FakeClock
) -> None:
    """A key never seen is an empty counter; what ``change`` returns is what is read back."""
    assert await store.throttle.read(["user:a"]) == {"user:a": ThrottleCounter("user:a")}
    seen: list[Mapping[str, ThrottleCounter]] = []

    def count(counters: Mapping[str, ThrottleCounter]) -> Sequence[ThrottleCounter]:
        seen.append(dict(counters))
        return [
            replace(counter, window_start=clock.now(), attempts=counter.attempts + 1)
            for counter in counters.values()
        ]

    await store.throttle.change(["user:a", "addr:1"], count)
    await store.throttle.change(["addr:1"], count)
    assert seen[0] == {"addr:1": ThrottleCounter("addr:1"), "user:a": ThrottleCounter("user:a")}
    read = await store.throttle.read(["user:a", "addr:1", "pair:x"])
    assert read == {
        "user:a": ThrottleCounter("user:a", window_start=clock.now(), attempts=1),
        "addr:1": ThrottleCounter("addr:1", window_start=clock.now(), attempts=2),
        "pair:x": ThrottleCounter("pair:x"),
    }


async def test_blocks_and_successes_round_trip(store: Store, clock: FakeClock) -> None:
    """Every field of a counter is stored; a change may leave keys untouched."""
    blocked = ThrottleCounter(
        "pair:u|1", window_start=clock.now(), attempts=3, blocked_until=clock.now(),
        succeeded_at=clock.now(),
    )  # fmt: skip
    await store.throttle.change(["pair:u|1", "user:u"], lambda counters: [blocked])
    read = await store.throttle.read(["pair:u|1", "user:u"])
    assert read["pair:u|1"] == blocked
    assert read["user:u"].attempts == 0
