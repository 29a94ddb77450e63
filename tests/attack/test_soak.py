"""Suite H — mixed reads and writes at about 70 % of capacity, on each engine.

Against a real ``batchtask serve`` (granian, no task runner). The capacity is measured in the same
run first — closed loop, 32 connections, the same mix, 10 s (which also fills the server's
bounded caches) — because the machine (two cores shared with other work) has no fixed speed; then the mix is offered open loop at 70 % of it for
30 s per engine in CI, or 10 minutes with ``scripts/test --deep``. Mix: 70 % ``GET BatchTask/{id}``,
15 % the list (``$top=50``), 10 % ``PUT`` (a Description), 5 % ``POST``. Latency is counted from
each request's *scheduled* start, so a stalled server cannot hide its backlog. Values come from
small fixed sets (64 descriptions), so the server's bounded caches (rendered strings, statements)
are full by the end of the warm-up: what grows after it is a leak, not a cache filling up.

Pass: no 5xx and no request without an answer; p99 stable: the run is cut into ten windows, and the
median p99 of the last five (latency from the send) is at most twice that of the first five plus
50 ms — a trend, not one burst of other work on a shared machine; the server's RSS grows less than
10 % from the end of
the warm-up (the first two thirds in CI, the first third with ``--deep``: see ``WARM_UP``) to
the end.
"""

from __future__ import annotations

import asyncio
import json
import random
import statistics
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.attack.load import Connection, Latencies, load_average, request, rss_bytes
from tests.attack.stack import DEEP, Stack, start_stack
from tests.reliability.conftest import ENGINES

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1200 if DEEP else 300)]

SOAK = 600.0 if DEEP else 30.0
CALIBRATION = 10.0
SHARE = 0.70
#: Share of the run before the RSS baseline. The rendered-carrier cache (``serialisation/
#: carrier.py``: 4,096 bodies, 16 MiB) is keyed by task version, and every PUT makes a new one, so
#: RSS climbs ~20-25 MiB until it is full (tracemalloc: ~3.4 KiB per cached body; a 100 s run at
#: 600 req/s: 97 -> 121 MiB, flat from 80 s). A 30 s CI run is still inside that climb, so there the
#: bound applies to the last third only; the deep run (10 min) applies it from the first third on.
WARM_UP = 1 / 3 if DEEP else 2 / 3
CONNECTIONS = 32
SEED_TASKS = 200
#: The run is cut into this many windows; "p99 stable" compares their p99s.
WINDOWS = 10


@pytest.fixture(params=ENGINES)
def stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """A server per engine."""
    yield from start_stack(request.param, request, tmp_path_factory)


class Mix:
    """The requests of the mix, seeded: alice reads, lists, edits her tasks and adds some."""

    def __init__(self, stack: Stack, ids: list[int], seed: int) -> None:
        self.rng = random.Random(seed)
        self.auth = stack.auth("alice")
        self.ids = ids
        self.post = request("POST", "/api/v1/BatchTask", {**self.auth,
                            "Content-Type": "application/json"},
                            json.dumps({"Name": "batchtask.sleep", "Description": "soak"}).encode())  # fmt: skip
        self.list = request("GET", "/api/v1/BatchTask?$top=50", self.auth)

    def next(self) -> tuple[str, bytes]:
        """The kind and bytes of the next request."""
        roll = self.rng.random()
        task = self.rng.choice(self.ids)
        if roll < 0.70:
            return "get", request("GET", f"/api/v1/BatchTask/{task}", self.auth)
        if roll < 0.85:
            return "list", self.list
        if roll < 0.95:
            body = json.dumps({"Description": f"soak {self.rng.randrange(64)}"}).encode()
            headers = {**self.auth, "Content-Type": "application/json"}
            return "put", request("PUT", f"/api/v1/BatchTask/{task}", headers, body)
        return "post", self.post


async def closed_loop(stack: Stack, mix: Mix, seconds: float) -> float:
    """Requests per second with ``CONNECTIONS`` clients sending back to back."""
    done = 0
    deadline = time.monotonic() + seconds

    async def client() -> None:
        nonlocal done
        connection = Connection(stack.address)
        while time.monotonic() < deadline:
            status, _ = await connection.send(mix.next()[1])
            assert 0 < status < 500, status
            done += 1
        await connection.close()

    await asyncio.gather(*(client() for _ in range(CONNECTIONS)))
    return done / seconds


async def open_loop(
    stack: Stack, mix: Mix, rate: float, seconds: float, on_warm: asyncio.Event
) -> list[tuple[float, float, float, int]]:
    """Offer ``rate`` requests/s for ``seconds``; per request ``(offset, latency from the
    scheduled start, latency from the send, status)``."""
    start = time.monotonic()
    count = int(rate * seconds)
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(count):
        queue.put_nowait(n)
    results: list[tuple[float, float, float, int]] = []

    async def client() -> None:
        connection = Connection(stack.address)
        while not queue.empty():
            n = queue.get_nowait()
            scheduled = start + n / rate
            if (wait := scheduled - time.monotonic()) > 0:
                await asyncio.sleep(wait)  # pacing the offered load, not deciding a result
            if not on_warm.is_set() and scheduled - start > seconds * WARM_UP:
                on_warm.set()
            sent = time.monotonic()
            status, _ = await connection.send(mix.next()[1])
            done = time.monotonic()
            results.append((scheduled - start, done - scheduled, done - sent, status))
        await connection.close()

    await asyncio.gather(*(client() for _ in range(CONNECTIONS)))
    return results


async def soak(
    stack: Stack, mix: Mix, rate: float
) -> tuple[list[tuple[float, float, float, int]], int]:
    """The open-loop run, and the server's RSS at the end of the warm-up."""
    warm = asyncio.Event()
    run = asyncio.create_task(open_loop(stack, mix, rate, SOAK, warm))
    await warm.wait()
    rss_warm = rss_bytes(stack.server.pid)
    return await run, rss_warm


def test_mixed_load_at_seventy_percent_of_capacity(stack: Stack) -> None:
    """No 5xx, p99 stable, RSS growth under 10 %."""
    with httpx.Client(base_url=stack.base, timeout=30, headers=stack.auth("alice")) as client:
        ids = [
            int(client.post("/api/v1/BatchTask", json={"Name": "batchtask.sleep"}).json())
            for _ in range(SEED_TASKS)
        ]
    mix = Mix(stack, ids, 20261128)
    capacity = asyncio.run(closed_loop(stack, mix, CALIBRATION))
    rate = SHARE * capacity
    results, rss_warm = asyncio.run(soak(stack, mix, rate))
    rss_end = rss_bytes(stack.server.pid)
    windows = [Latencies() for _ in range(WINDOWS)]
    scheduled = Latencies()
    statuses: dict[int, int] = {}
    for offset, from_schedule, from_send, status in results:
        windows[min(WINDOWS - 1, int(WINDOWS * offset / SOAK))].add(from_send, status)
        scheduled.add(from_schedule, status)
        statuses[status] = statuses.get(status, 0) + 1
    p99s = [window.percentile(0.99) for window in windows]
    early = statistics.median(p99s[: WINDOWS // 2])
    late = statistics.median(p99s[WINDOWS // 2 :])
    growth = (rss_end - rss_warm) / rss_warm
    print(f"H capacity {capacity:.0f} req/s, offered {rate:.0f} req/s for {SOAK:g} s: {statuses};"
          f" p99 per window {[round(p * 1000, 1) for p in p99s]} ms; from the schedule"
          f" {scheduled.summary()}; RSS {rss_warm >> 20} -> {rss_end >> 20} MiB ({growth:+.1%});"
          f" {load_average()}")  # fmt: skip
    assert len(results) == int(rate * SOAK)
    assert set(statuses) <= {200, 204}, statuses
    assert late <= 2 * max(early, 0.010) + 0.050, (early, late)
    assert growth < 0.10
