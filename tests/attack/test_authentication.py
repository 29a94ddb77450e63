"""Suites C3 and C4 — user enumeration and password hashing as a denial-of-service lever.

Against a real ``batchtask serve`` (granian, production Argon2 cost) on each engine:

* **C3**: Basic logins with a wrong password for an existing user and for an unknown one,
  interleaved, get the same status and byte-identical bodies, and their latencies cannot be told
  apart: medians within a generous margin and a Mann–Whitney U test that does not reject "same
  distribution" (ASVS 6.3.8; unknown users are checked against a dummy hash of the same cost).
* **C4**: 200 connections sending wrong Basic logins as fast as they are answered do not raise
  the p99 of another caller's ``GET BatchTask/{id}`` (SOTicket) above 50 ms (the median of
  one-second windows' p99, so a burst of other work on the machine is not counted as the attack's
  doing; the overall p99 is printed too) — hashing runs in the
  hasher's own two niced threads, off the event loop — and the server's memory stays bounded.
  Identical Basic credentials arriving at once on a cold cache share one verification, so a
  client's burst of parallel requests is all 2xx (before: each reserved a throttle attempt and
  the burst got 429s).

The throttle would shield the hasher after 50 failures from one address, so C3 and C4 raise its
budgets: they attack the hashing itself. Sample sizes grow with ``BATCHTASK_DEEP``.
"""

from __future__ import annotations

import asyncio
import base64
import math
import random
import statistics
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.attack.load import Connection, Latencies, load_average, request, rss_bytes, timed
from tests.attack.stack import DEEP, PASSWORD, Stack, start_stack
from tests.reliability.conftest import ENGINES

pytestmark = pytest.mark.e2e

UNTHROTTLED = {
    "throttle_free_failures": "1000000",
    "throttle_address_limit": "1000000",
    "throttle_username_limit": "1000000",
}
#: Interleaved pairs of C3 requests.
PAIRS = 300 if DEEP else 60
#: Seconds C4's attack runs while the victim's reads are timed.
ATTACK = 30.0 if DEEP else 8.0
ATTACKERS = 200


@pytest.fixture(scope="module", params=ENGINES)
def stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """One server per engine, throttle budgets out of the way, production Argon2 cost."""
    yield from start_stack(request.param, request, tmp_path_factory, **UNTHROTTLED)


def basic(user: str, password: str) -> dict[str, str]:
    """A Basic ``Authorization`` header."""
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def mann_whitney_p(first: list[float], second: list[float]) -> float:
    """Two-sided p-value of the Mann–Whitney U test (normal approximation, ties averaged)."""
    ranked = sorted([(value, 0) for value in first] + [(value, 1) for value in second])
    ranks = [0.0] * len(ranked)
    start = 0
    while start < len(ranked):
        end = start
        while end + 1 < len(ranked) and ranked[end + 1][0] == ranked[start][0]:
            end += 1
        for index in range(start, end + 1):
            ranks[index] = (start + end) / 2 + 1
        start = end + 1
    n1, n2 = len(first), len(second)
    u = sum(rank for rank, (_, group) in zip(ranks, ranked, strict=True) if group == 0)
    u -= n1 * (n1 + 1) / 2
    mean, sd = n1 * n2 / 2, math.sqrt(n1 * n2 * (n1 + n2 + 1) / 12)
    z = abs(u - mean) / sd
    return math.erfc(z / math.sqrt(2))


def test_known_and_unknown_user_names_are_indistinguishable(stack: Stack) -> None:
    """C3: same status, same body bytes, latencies from one distribution."""
    rng = random.Random(20261128)
    times: dict[str, list[float]] = {"known": [], "unknown": []}
    bodies: dict[str, set[bytes]] = {"known": set(), "unknown": set()}
    statuses: dict[str, set[int]] = {"known": set(), "unknown": set()}
    with httpx.Client(base_url=stack.base, timeout=30) as client:
        client.get("/healthz")
        for n in range(PAIRS):
            order = ["known", "unknown"]
            rng.shuffle(order)
            for kind in order:
                name = "alice" if kind == "known" else f"nobody{n}"
                headers = basic(name, f"wrong password {n}")
                start = time.perf_counter()
                answer = client.get("/api/v1/BatchTask/1", headers=headers)
                times[kind].append(time.perf_counter() - start)
                statuses[kind].add(answer.status_code)
                bodies[kind].add(answer.content)
    medians = {kind: statistics.median(values) for kind, values in times.items()}
    p = mann_whitney_p(times["known"], times["unknown"])
    print(f"C3 {PAIRS} pairs: median known {medians['known'] * 1000:.1f} ms, unknown"
          f" {medians['unknown'] * 1000:.1f} ms, Mann-Whitney p={p:.3f}, {load_average()}")  # fmt: skip
    assert statuses["known"] == statuses["unknown"] == {401}
    assert bodies["known"] == bodies["unknown"]
    assert len(bodies["known"]) == 1
    # Generous: a shared 2-core machine adds noise; a missing dummy hash would halve one median.
    difference = abs(medians["known"] - medians["unknown"])
    assert difference < max(0.005, 0.25 * min(medians.values())), medians
    assert p > 0.001, p


async def attack_and_measure(stack: Stack, task: int) -> tuple[Latencies, Latencies, Latencies]:
    """Victim reads before and during the attack, and the attackers' own answers."""
    victim = Connection(stack.address)
    read = request("GET", f"/api/v1/BatchTask/{task}", stack.auth("bob"))
    before, during, attackers = Latencies(), Latencies(), Latencies()
    for _ in range(100):
        await timed(victim, read, before)
    stop = asyncio.Event()

    async def attacker(n: int) -> None:
        connection = Connection(stack.address)
        attempt = 0
        while not stop.is_set():
            attempt += 1
            headers = basic(f"guess{n}", f"wrong {attempt}")
            await timed(connection, request("GET", f"/api/v1/BatchTask/{task}", headers), attackers)
        await connection.close()

    crowd = [asyncio.create_task(attacker(n)) for n in range(ATTACKERS)]
    # Steady state: the opening burst (200 connections, 200 throttle reservations at once) is
    # over once the hashing threads have answered a few of them; poll with a deadline.
    deadline = time.monotonic() + 60
    while len(attackers.seconds) < 10:
        assert time.monotonic() < deadline, "the attack never got going"
        await asyncio.sleep(0.01)
    deadline = time.monotonic() + ATTACK
    while time.monotonic() < deadline:
        await timed(victim, read, during)
        await asyncio.sleep(0.005)
    stop.set()
    await asyncio.gather(*crowd)
    await victim.close()
    return before, during, attackers


def typical_p99(latencies: Latencies) -> float:
    """The median over one-second windows of each window's p99 (the samples are in time order).

    The bound is the issue's (50 ms); the median over windows keeps it about the attack, which
    lasts the whole run, and not about a burst of other work on a shared two-core machine.
    """
    windows: list[Latencies] = []
    elapsed = 0.0
    for seconds in latencies.seconds:
        if not windows or elapsed >= 1.0:
            windows.append(Latencies())
            elapsed = 0.0
        windows[-1].add(seconds, 200)
        elapsed += seconds + 0.005  # each read plus the victim's pause
    return statistics.median(window.percentile(0.99) for window in windows)


def test_wrong_basic_logins_do_not_slow_other_callers(stack: Stack) -> None:
    """C4: 200 concurrent wrong Basic logins; bob's reads keep p99 < 50 ms; memory bounded."""
    created = httpx.post(
        stack.base + "/api/v1/BatchTask", json={"Name": "attack.c4"}, headers=stack.auth("bob")
    )
    task = int(created.json())
    rss_start = rss_bytes(stack.server.pid)
    before, during, attackers = asyncio.run(attack_and_measure(stack, task))
    rss_end = rss_bytes(stack.server.pid)
    print(f"C4 {ATTACKERS} attackers {ATTACK:g} s: victim before {before.summary()}; during"
          f" {during.summary()}, typical p99 {typical_p99(during) * 1000:.1f} ms; attackers {attackers.summary()}; RSS {rss_start >> 20} ->"
          f" {rss_end >> 20} MiB; {load_average()}")  # fmt: skip
    assert set(during.statuses) == {200}
    assert set(attackers.statuses) <= {401}, attackers.statuses
    assert len(during.seconds) >= 50
    assert typical_p99(during) < 0.050
    assert rss_end - rss_start < 64 * 1024 * 1024


@pytest.mark.parametrize("engine", ENGINES)
def test_a_burst_of_identical_basic_requests_is_all_answered(
    engine: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """50 parallel requests with the same right Basic credentials on a cold cache (default
    throttle): every one is a 2xx (they share one verification and one throttle attempt)."""

    async def burst(base: str) -> list[int]:
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            answers = await asyncio.gather(*(
                client.get("/api/v1/BatchTask", headers=basic("alice", PASSWORD))
                for _ in range(50)
            ))  # fmt: skip
        return [answer.status_code for answer in answers]

    for stack in start_stack(engine, request, tmp_path_factory):
        statuses = asyncio.run(burst(stack.base))
        print(f"50 identical cold Basic requests: {sorted(set(statuses))}")
        assert statuses == [200] * 50
