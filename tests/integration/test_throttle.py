"""Failed-login throttling (Suite C2) over HTTP on both engines.

Settings: 3 free failures per (user, address), then blocks of 1, 2, 4 … s; 20 failures per address
per window; 30 attempts per name from unknown addresses, then one per 60 s. With 3 free failures the fourth failure starts a 1 s block, so the fifth attempt is
the first 429 (docs/decisions.md: "N free failures, then blocks of 1, 2, 4 … seconds").

Client addresses: the test server (uvicorn) trusts ``X-Forwarded-For`` from loopback, so each test
speaks from addresses of its own and tests do not share a budget. The hasher is observed through
``Authenticator.password_verifications``; SPEC §4.1 requires the throttle to act before hashing.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import Iterator, Sequence

import httpx
import pytest

from tests.conftest import FakeClock
from tests.integration.auth_support import (
    ENGINES,
    MISSING,
    PASSWORD,
    assert_authenticated,
    assert_unauthenticated,
    basic,
    http,
    module_database,
    serve,
)
from tests.integration.conftest import LiveServer

FREE_FAILURES = 3
WRONG = "wrong password"
ADDRESS_LIMIT = 20
USER_LIMIT = 30
USER_INTERVAL = 60
THROTTLED_BODY = (
    b'{"Error":true,"ErrorType":"SoThrottledException",'
    b'"ErrorMessage":"Too many failed attempts; try again later.","ErrorSource":"batchtask"}'
)
_addresses = itertools.count(1)


@pytest.fixture(scope="module", params=ENGINES)
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """One server per engine with small throttle numbers."""
    url = module_database(request, tmp_path_factory)
    with serve(
        url,
        FakeClock(),
        throttle_free_failures=FREE_FAILURES,
        throttle_address_limit=ADDRESS_LIMIT,
        throttle_username_limit=USER_LIMIT,
        throttle_username_interval=USER_INTERVAL,
    ) as server:
        yield server


def address() -> str:
    """A client address no other test uses."""
    n = next(_addresses)
    return f"198.51.{n // 250}.{n % 250 + 1}"


def user(live: LiveServer) -> str:
    """A new user of this test's own."""
    name = "victim-" + uuid.uuid4().hex[:10]
    live.add_user(name)
    return name


def attempt(live: LiveServer, name: str, where: str, password: str = WRONG) -> httpx.Response:
    """One Basic request from a client address."""
    return http(live).get(MISSING, headers={**basic(name, password), "X-Forwarded-For": where})


def hashes(live: LiveServer) -> int:
    """Argon2 verifications the server has started so far."""
    return live.services.auth.password_verifications


def assert_throttled(response: httpx.Response, retry_after: int | None = None) -> None:
    """A 429 with ``Retry-After`` and the throttle's error object."""
    assert response.status_code == 429, response.text
    assert response.content == THROTTLED_BODY
    assert int(response.headers["retry-after"]) >= 1
    if retry_after is not None:
        assert response.headers["retry-after"] == str(retry_after)
    assert "www-authenticate" not in response.headers


async def _burst(base_url: str, name: str, where: str, passwords: Sequence[str]) -> list[int]:
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits) as client:
        answers = await asyncio.gather(
            *(
                client.get(MISSING, headers={**basic(name, pw), "X-Forwarded-For": where})
                for pw in passwords
            )
        )
    return [answer.status_code for answer in answers]


def burst(live: LiveServer, name: str, where: str, passwords: Sequence[str]) -> list[int]:
    """Statuses of Basic requests all sent at once, one connection each."""
    return asyncio.run(_burst(live.base_url, name, where, passwords))


def fail_until_blocked(live: LiveServer, name: str, where: str) -> None:
    """The free failures plus the one that starts the first block, all plain 401s."""
    for _ in range(FREE_FAILURES + 1):
        assert_unauthenticated(attempt(live, name, where))


class TestBackOff:
    def test_fifth_attempt_is_429_with_retry_after(self, live: LiveServer) -> None:
        """Failures 1–4 are 401; the fifth attempt is a 429 with ``Retry-After: 1``."""
        name, where = user(live), address()
        fail_until_blocked(live, name, where)
        assert_throttled(attempt(live, name, where), retry_after=1)

    def test_blocked_attempts_never_reach_the_hasher(self, live: LiveServer) -> None:
        """Ten attempts during a block are 429s and start no Argon2 verification."""
        name, where = user(live), address()
        fail_until_blocked(live, name, where)
        before = hashes(live)
        for _ in range(10):
            assert_throttled(attempt(live, name, where))
        assert hashes(live) == before

    def test_correct_password_is_refused_while_blocked(self, live: LiveServer) -> None:
        """A block refuses the right password too, so a 429 is no password oracle."""
        name, where = user(live), address()
        fail_until_blocked(live, name, where)
        assert_throttled(attempt(live, name, where, PASSWORD))

    def test_block_lifts_after_retry_after_then_doubles(self, live: LiveServer) -> None:
        """After ``Retry-After`` seconds one attempt reaches the hasher; failing, it earns 2 s."""
        name, where = user(live), address()
        fail_until_blocked(live, name, where)
        live.clock.advance(1)
        before = hashes(live)
        assert_unauthenticated(attempt(live, name, where))
        assert hashes(live) == before + 1
        assert_throttled(attempt(live, name, where), retry_after=2)

    def test_success_clears_the_pair_back_off(self, live: LiveServer) -> None:
        """Three failures, a success, three failures: no block (the success reset the count)."""
        name, where = user(live), address()
        for _ in range(FREE_FAILURES):
            assert_unauthenticated(attempt(live, name, where))
        assert_authenticated(attempt(live, name, where, PASSWORD))
        for _ in range(FREE_FAILURES):
            assert_unauthenticated(attempt(live, name, where))
        assert_unauthenticated(attempt(live, name, where))

    def test_ten_minutes_of_guessing_reach_the_hasher_rarely(self, live: LiveServer) -> None:
        """C2(a): 150 wrong passwords in 10 fake minutes → ≤ 15 verifications, the rest 429."""
        name, where = user(live), address()
        before = hashes(live)
        statuses = []
        for _ in range(150):
            statuses.append(attempt(live, name, where).status_code)
            live.clock.advance(4)
        assert set(statuses) == {401, 429}
        assert hashes(live) - before == statuses.count(401)
        assert statuses.count(401) <= 15

    def test_an_hour_of_guessing_stays_under_100_verifications(self, live: LiveServer) -> None:
        """ASVS 2.2.1: one attempt every 30 s for an hour → at most 100 reach the hasher."""
        name, where = user(live), address()
        before = hashes(live)
        for _ in range(120):
            attempt(live, name, where)
            live.clock.advance(30)
        assert hashes(live) - before <= 100


class TestCaps:
    def test_credential_stuffing_is_stopped_by_the_address_cap(self, live: LiveServer) -> None:
        """C2(b): 30 names × 1 password from one address → 20 hashed 401s, then only 429s."""
        where = address()
        before = hashes(live)
        statuses = [
            attempt(live, f"stuffed-{uuid.uuid4().hex[:8]}", where).status_code for _ in range(30)
        ]
        assert statuses == [401] * ADDRESS_LIMIT + [429] * (30 - ADDRESS_LIMIT)
        assert hashes(live) - before == ADDRESS_LIMIT

    def test_address_cap_refuses_every_name_from_that_address(self, live: LiveServer) -> None:
        """Documented policy: a capped address is refused even for a valid user and password."""
        where = address()
        for _ in range(ADDRESS_LIMIT):
            attempt(live, f"stuffed-{uuid.uuid4().hex[:8]}", where)
        assert_throttled(attempt(live, user(live), where, PASSWORD))

    def test_victim_at_another_address_still_logs_in(self, live: LiveServer) -> None:
        """C2(c): while alice's name is blocked from address X, she logs in from address Y."""
        name, attacker, victim = user(live), address(), address()
        fail_until_blocked(live, name, attacker)
        assert_throttled(attempt(live, name, attacker))
        assert_authenticated(attempt(live, name, victim, PASSWORD))


class TestNoEnumeration:
    def test_unknown_and_existing_users_fail_alike(self, live: LiveServer) -> None:
        """Existing and unknown names get byte-identical 401s, then identical 429s."""
        known, unknown, where = user(live), "ghost-" + uuid.uuid4().hex[:8], address()
        for _ in range(FREE_FAILURES + 1):
            first, second = attempt(live, known, where), attempt(live, unknown, where)
            assert (first.status_code, first.content) == (401, second.content)
        first, second = attempt(live, known, where), attempt(live, unknown, where)
        assert (first.status_code, first.content) == (429, second.content)
        assert first.headers["retry-after"] == second.headers["retry-after"]

    def test_unknown_users_cost_a_verification_too(self, live: LiveServer) -> None:
        """An unknown name is checked against a dummy hash, like a known one (timing)."""
        where = address()
        before = hashes(live)
        assert_unauthenticated(attempt(live, "ghost-" + uuid.uuid4().hex[:8], where))
        assert hashes(live) == before + 1


class TestSharedBudget:
    def test_login_and_basic_share_one_budget(self, live: LiveServer) -> None:
        """Blocked through Basic, the same name and address get 429 from ``/login`` too."""
        name, where = user(live), address()
        fail_until_blocked(live, name, where)
        response = http(live).post(
            "/login",
            json={"username": name, "password": "wrong password"},
            headers={"X-Forwarded-For": where},
        )
        assert_throttled(response)

    def test_two_processes_share_one_budget(self, live: LiveServer) -> None:
        """C2(d): attempts alternating between two API processes are blocked as if one."""
        name, where = user(live), address()
        with serve(live.settings.database_url, live.clock, users=False,
                   throttle_free_failures=FREE_FAILURES,
                   throttle_address_limit=ADDRESS_LIMIT) as other:  # fmt: skip
            servers = [live, other]
            before = [hashes(server) for server in servers]
            statuses = [attempt(servers[i % 2], name, where).status_code for i in range(10)]
            spent = sum(
                hashes(server) - start for server, start in zip(servers, before, strict=True)
            )
        assert statuses == [401] * (FREE_FAILURES + 1) + [429] * (10 - FREE_FAILURES - 1)
        assert spent == FREE_FAILURES + 1


class TestNoCacheBypass:
    def test_cached_right_password_is_refused_while_blocked(self, live: LiveServer) -> None:
        """Issue 11 #1: the victim's verified Basic credential is cached on this process; an
        attacker blocked on (name, address) still gets 429 for the right password."""
        name, victim, attacker = user(live), address(), address()
        assert_authenticated(attempt(live, name, victim, PASSWORD))
        fail_until_blocked(live, name, attacker)
        assert_throttled(attempt(live, name, attacker))
        assert_throttled(attempt(live, name, attacker, PASSWORD))

    def test_cached_right_password_is_refused_from_a_capped_address(self, live: LiveServer) -> None:
        """The address cap is decided before the cache too."""
        name, where = user(live), address()
        assert_authenticated(attempt(live, name, where, PASSWORD))
        for _ in range(ADDRESS_LIMIT):
            attempt(live, f"stuffed-{uuid.uuid4().hex[:8]}", where)
        assert_throttled(attempt(live, name, where, PASSWORD))


class TestParallelGuesses:
    def test_three_hundred_guesses_at_once_reach_the_hasher_at_most_free_plus_one(
        self, live: LiveServer
    ) -> None:
        """Issue 11 #2: 300 guesses sent at once (the right one among them) reserve their attempt
        before hashing: at most ``FREE_FAILURES + 1`` are hashed, every other one is a 429.

        The guesses differ: identical credentials in flight at once share one verification
        (single flight, ``services/auth.py``) and one attempt — they are one guess."""
        name, where = user(live), address()
        passwords = [f"{WRONG} {n}" for n in range(299)]
        passwords.insert(150, PASSWORD)
        before = hashes(live)
        statuses = burst(live, name, where, passwords)
        print(f"300 parallel guesses: {statuses.count(401)}x401 {statuses.count(429)}x429"
              f" right one {'accepted' if 404 in statuses else 'refused'}")  # fmt: skip
        assert set(statuses) <= {401, 404, 429}
        assert statuses.count(401) + statuses.count(404) <= FREE_FAILURES + 1
        assert statuses.count(429) >= 300 - FREE_FAILURES - 1
        assert hashes(live) - before <= FREE_FAILURES + 1

    def test_a_burst_from_one_address_does_not_lock_the_owner_out(self, live: LiveServer) -> None:
        """The burst spends the attacker's pair and address budgets, not the owner's elsewhere."""
        name, attacker, owner = user(live), address(), address()
        burst(live, name, attacker, [WRONG] * 300)
        assert_authenticated(attempt(live, name, owner, PASSWORD))


class TestUserRate:
    def test_distributed_attack_is_slowed_to_the_user_rate(self, live: LiveServer) -> None:
        """Guesses from ever new addresses: ``USER_LIMIT`` reach the hasher, then one per
        ``USER_INTERVAL`` seconds, however many addresses the attacker has."""
        name = user(live)
        statuses = [attempt(live, name, address()).status_code for _ in range(USER_LIMIT + 10)]
        assert statuses == [401] * USER_LIMIT + [429] * 10
        live.clock.advance(USER_INTERVAL)
        assert_unauthenticated(attempt(live, name, address()))
        assert_throttled(attempt(live, name, address()), retry_after=USER_INTERVAL)

    def test_owner_at_a_known_address_is_not_subject_to_the_user_rate(
        self, live: LiveServer
    ) -> None:
        """The owner logged in from home before the attack; during it she still logs in from
        home (with a fresh and with a cached credential), while new addresses get 429."""
        name, home = user(live), address()
        assert_authenticated(attempt(live, name, home, PASSWORD))
        for _ in range(USER_LIMIT + 5):
            attempt(live, name, address())
        assert_throttled(attempt(live, name, address(), PASSWORD))
        assert_authenticated(attempt(live, name, home, PASSWORD))
        response = http(live).post(
            "/login",
            json={"username": name, "password": PASSWORD},
            headers={"X-Forwarded-For": home},
        )
        assert response.status_code == 200, response.text
