"""The login throttle against a real store on both engines, with the fake clock.

Client addresses are plain strings here, so the cases HTTP on loopback cannot reach are covered:
the victim at another address (C2 c), the distributed attack on one name, and long keys. A failure
is a reservation that is never refunded; a success is a reservation followed by ``succeeded``.
"""

from __future__ import annotations

import asyncio
import secrets

import pytest

from batchtask.domain.errors import Throttled
from batchtask.services.throttle import LoginThrottle, ThrottlePolicy
from batchtask.storage.store import SqlStore
from tests.conftest import FakeClock

POLICY = ThrottlePolicy(
    window=900,
    free_failures=3,
    max_block=900,
    address_limit=20,
    username_limit=30,
    username_interval=60,
)
ATTACKER, VICTIM = "203.0.113.7", "198.51.100.9"


@pytest.fixture
def throttle(store: SqlStore, clock: FakeClock) -> LoginThrottle:
    """The throttle over the store's shared counters."""
    return LoginThrottle(store.throttle, clock, POLICY)


async def fail(
    throttle: LoginThrottle,
    name: str,
    address: str,
    times: int = 1,
    clock: FakeClock | None = None,
) -> None:
    """Record ``times`` failures (reservations never refunded); with ``clock``, each block is
    waited out as a patient attacker would."""
    for _ in range(times):
        try:
            await throttle.reserve(name, address)
        except Throttled as blocked:
            if clock is None:
                raise
            clock.advance(blocked.retry_after)
            await throttle.reserve(name, address)


async def succeed(throttle: LoginThrottle, name: str, address: str) -> None:
    """A correct password: reserve, then refund."""
    await throttle.succeeded(await throttle.reserve(name, address))


async def retry_after(throttle: LoginThrottle, name: str, address: str) -> int | None:
    """The ``Retry-After`` a check would give, or ``None`` when not blocked."""
    try:
        await throttle.check(name, address)
    except Throttled as blocked:
        return blocked.retry_after
    return None


class TestPolicy:
    @pytest.mark.parametrize("failures", [0, 1, 2, 3])
    def test_free_failures_earn_no_block(self, failures: int) -> None:
        """Up to ``free_failures`` failures the pair is never blocked."""
        assert POLICY.pair_block(failures) == 0

    def test_blocks_double_after_the_free_failures(self) -> None:
        """Failures 4, 5, 6, 7 earn 1, 2, 4, 8 seconds."""
        assert [POLICY.pair_block(n) for n in range(4, 8)] == [1, 2, 4, 8]

    def test_blocks_are_capped(self) -> None:
        """The block never exceeds ``max_block``, even after a million failures."""
        assert POLICY.pair_block(14) == 900
        assert POLICY.pair_block(1_000_000) == 900


@pytest.mark.anyio
class TestThrottle:
    async def test_free_failures_are_not_blocked(self, throttle: LoginThrottle) -> None:
        """Three failures leave the next attempt free."""
        await fail(throttle, "alice", ATTACKER, 3)
        assert await retry_after(throttle, "alice", ATTACKER) is None

    async def test_fourth_failure_blocks_the_pair_for_a_second(
        self, throttle: LoginThrottle
    ) -> None:
        """The fourth failure starts a 1 s block of that (name, address)."""
        await fail(throttle, "alice", ATTACKER, 4)
        assert await retry_after(throttle, "alice", ATTACKER) == 1

    async def test_block_ends_when_its_time_is_up(
        self, throttle: LoginThrottle, clock: FakeClock
    ) -> None:
        """One second later the pair may try again."""
        await fail(throttle, "alice", ATTACKER, 4)
        clock.advance(1)
        assert await retry_after(throttle, "alice", ATTACKER) is None

    async def test_retry_after_rounds_the_rest_up(
        self, throttle: LoginThrottle, clock: FakeClock
    ) -> None:
        """2.5 s left on a block is announced as 3 s, never less than what is left."""
        await fail(throttle, "alice", ATTACKER, 7, clock)  # 8 s block
        clock.advance(5.5)
        assert await retry_after(throttle, "alice", ATTACKER) == 3

    async def test_victim_at_another_address_is_not_blocked(
        self, throttle: LoginThrottle, clock: FakeClock
    ) -> None:
        """C2(c): a name blocked from the attacker's address is free from the victim's."""
        await fail(throttle, "alice", ATTACKER, 10, clock)
        assert await retry_after(throttle, "alice", ATTACKER) is not None
        assert await retry_after(throttle, "alice", VICTIM) is None

    async def test_name_matches_ignoring_case(self, throttle: LoginThrottle) -> None:
        """``ALICE`` is the same name as ``alice`` (user names are case-insensitive)."""
        await fail(throttle, "alice", ATTACKER, 4)
        assert await retry_after(throttle, "ALICE", ATTACKER) == 1

    async def test_address_cap_blocks_every_name(self, throttle: LoginThrottle) -> None:
        """C2(b): 20 failures over 20 names block the address for the window, any name."""
        for n in range(20):
            await fail(throttle, f"name-{n}", ATTACKER)
        assert await retry_after(throttle, "someone-else", ATTACKER) == 900

    async def test_address_cap_spares_other_addresses(self, throttle: LoginThrottle) -> None:
        """A capped address does not block the same names elsewhere."""
        for n in range(20):
            await fail(throttle, f"name-{n}", ATTACKER)
        assert await retry_after(throttle, "name-0", VICTIM) is None

    async def test_name_rate_slows_a_distributed_attack(
        self, throttle: LoginThrottle, clock: FakeClock
    ) -> None:
        """30 failures for one name from 30 addresses spend its burst: a 31st address waits for
        the next slot (60 s), then gets exactly one attempt."""
        for n in range(30):
            await fail(throttle, "alice", f"192.0.2.{n}")
        assert await retry_after(throttle, "alice", VICTIM) == 60
        clock.advance(60)
        await fail(throttle, "alice", "192.0.2.200")
        assert await retry_after(throttle, "alice", "192.0.2.201") == 60

    async def test_name_rate_spares_an_address_the_owner_logged_in_from(
        self, throttle: LoginThrottle
    ) -> None:
        """A known address is not subject to the name rate (the owner is not locked out)."""
        await succeed(throttle, "alice", VICTIM)
        for n in range(30):
            await fail(throttle, "alice", f"192.0.2.{n}")
        assert await retry_after(throttle, "alice", "192.0.2.250") is not None
        assert await retry_after(throttle, "alice", VICTIM) is None

    async def test_known_address_expires(self, throttle: LoginThrottle, clock: FakeClock) -> None:
        """A success 30 days ago no longer makes the address known."""
        await succeed(throttle, "alice", VICTIM)
        clock.advance(POLICY.known_address)
        for n in range(30):
            await fail(throttle, "alice", f"192.0.2.{n}")
        assert await retry_after(throttle, "alice", VICTIM) == 60

    async def test_success_clears_the_pair_only(self, throttle: LoginThrottle) -> None:
        """A correct password resets the pair's count and refunds its own attempt; the address
        count of the failures stays."""
        await fail(throttle, "alice", ATTACKER, 3)
        await succeed(throttle, "alice", ATTACKER)
        await fail(throttle, "alice", ATTACKER, 3)
        assert await retry_after(throttle, "alice", ATTACKER) is None
        for n in range(14):
            await fail(throttle, f"other-{n}", ATTACKER)
        assert await retry_after(throttle, "alice", ATTACKER) == 900

    async def test_successes_do_not_spend_the_address_cap(self, throttle: LoginThrottle) -> None:
        """Many users logging in from one address (a NAT) never reach its cap."""
        for n in range(50):
            await succeed(throttle, f"user-{n}", ATTACKER)
        assert await retry_after(throttle, "someone", ATTACKER) is None

    async def test_a_refused_attempt_spends_nothing(self, throttle: LoginThrottle) -> None:
        """Attempts refused while blocked are not counted (the block does not grow by itself)."""
        await fail(throttle, "alice", ATTACKER, 4)
        for _ in range(10):
            with pytest.raises(Throttled):
                await throttle.reserve("alice", ATTACKER)
        assert await retry_after(throttle, "alice", ATTACKER) == 1

    async def test_parallel_reservations_hold_the_pair_budget(
        self, throttle: LoginThrottle
    ) -> None:
        """100 reservations at once: exactly free failures + 1 pass, the rest are refused."""
        results = await asyncio.gather(
            *(throttle.reserve("alice", ATTACKER) for _ in range(100)), return_exceptions=True
        )
        refused = [r for r in results if isinstance(r, Throttled)]
        assert len(results) - len(refused) == POLICY.free_failures + 1
        assert len(refused) == 100 - POLICY.free_failures - 1

    async def test_failures_outside_the_window_are_forgotten(
        self, throttle: LoginThrottle, clock: FakeClock
    ) -> None:
        """Three failures, a window later three more: the count restarted, no block."""
        await fail(throttle, "alice", ATTACKER, 3)
        clock.advance(901)
        await fail(throttle, "alice", ATTACKER, 3)
        assert await retry_after(throttle, "alice", ATTACKER) is None

    async def test_unknown_names_are_counted_like_known_ones(self, throttle: LoginThrottle) -> None:
        """The throttle never looks users up: any supplied name gets the same treatment."""
        name = "nobody-" + secrets.token_hex(4)
        await fail(throttle, name, ATTACKER, 4)
        assert await retry_after(throttle, name, ATTACKER) == 1

    async def test_very_long_names_and_addresses_are_counted(self, throttle: LoginThrottle) -> None:
        """A 100 000-character name (and address) is stored bounded and still throttled."""
        name, address = secrets.token_hex(50_000), secrets.token_hex(5_000)
        await fail(throttle, name, address, 4)
        assert await retry_after(throttle, name, address) == 1
        assert await retry_after(throttle, name[:-1] + "x", address) is None
