"""Failed-login throttling: soft per-(user, address) back-off plus hard caps per address and user.

Why three keys: a per-user lockout alone lets anyone lock a victim out from anywhere, so the
victim's own address keeps its own budget (``pair``). The per-address cap stops credential stuffing
across many names; the per-user cap stops a distributed attack on one name. Keys are built from the
*supplied* username whether or not it exists, so a block never reveals which users exist. The
counters live in the shared database, so every API process spends one budget. A supplied name can
be as long as a request body, so long key parts are stored as their SHA-256: the row stays small
(PostgreSQL cannot index a key of several KiB) and an attacker cannot fill the table with bulk.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import timedelta

from batchtask.domain.clock import Clock
from batchtask.domain.errors import Throttled
from batchtask.domain.ports import ThrottleRepository


@dataclass(frozen=True, slots=True)
class ThrottlePolicy:
    """Numbers of the throttle (settings ``BATCHTASK_THROTTLE_*``)."""

    window: int = 900
    free_failures: int = 5
    max_block: int = 900
    address_limit: int = 50
    username_limit: int = 100

    def pair_block(self, failures: int) -> int:
        """Seconds to block a (user, address) pair after ``failures`` failures: 1, 2, 4 … capped."""
        excess = failures - self.free_failures
        if excess <= 0:
            return 0
        return int(min(self.max_block, 2 ** min(excess - 1, 30)))


#: Longest user name or address kept verbatim in a throttle key; longer ones are hashed.
MAX_KEY_PART = 128


def _bounded(part: str) -> str:
    if len(part) <= MAX_KEY_PART:
        return part
    return "sha256:" + hashlib.sha256(part.encode("utf-8", "surrogatepass")).hexdigest()


def _keys(username: str, address: str) -> tuple[str, str, str]:
    name, where = _bounded(username.casefold()), _bounded(address)
    return f"pair:{name}|{where}", f"addr:{where}", f"user:{name}"


class LoginThrottle:
    """Checks and records failed password logins (Basic and ``/login``)."""

    def __init__(
        self, repository: ThrottleRepository, clock: Clock, policy: ThrottlePolicy
    ) -> None:
        self._repository = repository
        self._clock = clock
        self._policy = policy

    async def check(self, username: str, address: str) -> None:
        """Raise ``Throttled`` when any key of this attempt is blocked (before any hashing)."""
        now = self._clock.now()
        until = await self._repository.blocked_until(_keys(username, address), now)
        if until is not None:
            raise Throttled(math.ceil((until - now).total_seconds()))

    async def failed(self, username: str, address: str) -> None:
        """Count a failure against every key and start the blocks it earns."""
        now = self._clock.now()
        pair, addr, user = _keys(username, address)
        policy = self._policy
        pair_count = await self._repository.record_failure(pair, now, policy.window)
        seconds = policy.pair_block(pair_count)
        if seconds:
            await self._repository.block(pair, now + timedelta(seconds=seconds))
        if await self._repository.record_failure(addr, now, policy.window) >= policy.address_limit:
            await self._repository.block(addr, now + timedelta(seconds=policy.window))
        if await self._repository.record_failure(user, now, policy.window) >= policy.username_limit:
            await self._repository.block(user, now + timedelta(seconds=policy.window))

    async def succeeded(self, username: str, address: str) -> None:
        """A correct password clears the pair's back-off (not the caps)."""
        await self._repository.clear(_keys(username, address)[0])
