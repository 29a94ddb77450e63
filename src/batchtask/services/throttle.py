"""Login throttling: an attempt is *reserved* before any hashing, against three budgets.

Why three keys: a per-user lockout alone lets anyone lock a victim out from anywhere, so each
(user, address) pair has its own soft back-off (``pair``: free attempts, then blocks of 1, 2, 4 …
seconds) and each address its own cap (``addr``: credential stuffing across many names). The
per-user budget (``user``) stops a distributed attack on one name without locking the owner out:
it is a *rate* — a burst, then one attempt per ``username_interval`` — and attempts from an
address the user logged in from recently (a *known* address) are not subject to it at all.

Why reserve: a check followed by a count after hashing lets every request that arrives at once
pass the check (300 parallel guesses were all hashed). ``reserve`` decides and counts in one
atomic step on the shared counters (``ThrottleRepository.change``: one transaction, rows locked),
so however many requests arrive at once, in however many processes, the budgets hold. A correct
password then refunds its reservation (``succeeded``); a wrong one leaves it counted as a failure.
``check`` answers the same question without spending anything, for requests whose credential is
already verified in a cache: the throttle decides before any cache, so a blocked caller gets a
429 for the right password too and a block is never a password oracle.

Keys are built from the *supplied* username whether or not it exists, so a block never reveals
which users exist. A supplied name can be as long as a request body, so long key parts (and any
with a NUL, which PostgreSQL text cannot hold) are stored as their SHA-256.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from batchtask.domain.clock import Clock
from batchtask.domain.errors import Throttled
from batchtask.domain.ports import ThrottleCounter, ThrottleRepository


@dataclass(frozen=True, slots=True)
class ThrottlePolicy:
    """Numbers of the throttle (settings ``BATCHTASK_THROTTLE_*``)."""

    window: int = 900
    free_failures: int = 5
    max_block: int = 900
    address_limit: int = 50
    #: Burst of attempts on one name from addresses not known for it …
    username_limit: int = 100
    #: … then one such attempt per this many seconds.
    username_interval: int = 60
    #: Seconds a successful login keeps its address known for that user.
    known_address: int = 30 * 24 * 3600

    def pair_block(self, failures: int) -> int:
        """Seconds to block a (user, address) pair after ``failures`` failures: 1, 2, 4 … capped."""
        excess = failures - self.free_failures
        if excess <= 0:
            return 0
        return int(min(self.max_block, 2 ** min(excess - 1, 30)))


@dataclass(frozen=True, slots=True)
class Reservation:
    """One attempt reserved before hashing: the pair, and the keys it was charged to."""

    pair: str
    charged: tuple[str, ...]


#: Longest user name or address kept verbatim in a throttle key; longer ones are hashed.
MAX_KEY_PART = 128


def _bounded(part: str) -> str:
    if len(part) <= MAX_KEY_PART and "\x00" not in part:
        return part
    return "sha256:" + hashlib.sha256(part.encode("utf-8", "surrogatepass")).hexdigest()


def _keys(username: str, address: str) -> tuple[str, str, str]:
    name, where = _bounded(username.casefold()), _bounded(address)
    return f"pair:{name}|{where}", f"addr:{where}", f"user:{name}"


class LoginThrottle:
    """Reserves, refuses and refunds password attempts (Basic and ``/login``)."""

    def __init__(
        self, repository: ThrottleRepository, clock: Clock, policy: ThrottlePolicy
    ) -> None:
        self._repository = repository
        self._clock = clock
        self._policy = policy

    async def check(self, username: str, address: str) -> None:
        """Raise ``Throttled`` when this attempt would be refused; spends nothing."""
        pair, addr, user = _keys(username, address)
        counters = await self._repository.read((pair, addr, user))
        now = self._clock.now()
        wait = self._refusal(counters[pair], counters[addr], counters[user], now)
        if wait is not None:
            raise Throttled(wait)

    async def reserve(self, username: str, address: str) -> Reservation:
        """Spend one attempt of every budget, or raise ``Throttled`` (before any hashing)."""
        keys = _keys(username, address)
        now = self._clock.now()
        outcome: list[int | Reservation] = []

        def spend(counters: Mapping[str, ThrottleCounter]) -> Sequence[ThrottleCounter]:
            pair, addr, user = (counters[key] for key in keys)
            wait = self._refusal(pair, addr, user, now)
            if wait is not None:
                outcome.append(wait)
                return []
            policy = self._policy
            pair = self._windowed(pair, now)
            pair.attempts += 1
            block = policy.pair_block(pair.attempts)
            if block:
                until = now + timedelta(seconds=block)
                pair.blocked_until = max(until, pair.blocked_until or until)
            addr = self._windowed(addr, now)
            addr.attempts += 1
            spent = [pair, addr]
            if not self._known(pair, now):
                user = self._drained(user, now)
                user.attempts += 1
                spent.append(user)
            outcome.append(Reservation(pair.key, tuple(c.key for c in spent[1:])))
            return spent

        await self._repository.change(keys, spend)
        result = outcome[-1]
        if isinstance(result, int):
            raise Throttled(result)
        return result

    async def succeeded(self, reservation: Reservation) -> None:
        """A correct password: the pair's back-off ends, its address becomes known for the user,
        and the attempt is given back to the address and user budgets."""
        now = self._clock.now()

        def refund(counters: Mapping[str, ThrottleCounter]) -> Sequence[ThrottleCounter]:
            pair = counters[reservation.pair]
            done = [replace(pair, attempts=0, blocked_until=None, succeeded_at=now)]
            for key in reservation.charged:
                counter = counters[key]
                done.append(replace(counter, attempts=max(0, counter.attempts - 1)))
            return done

        await self._repository.change((reservation.pair, *reservation.charged), refund)

    # ------------------------------------------------------------------ the decision (pure)

    def _refusal(
        self,
        pair: ThrottleCounter,
        addr: ThrottleCounter,
        user: ThrottleCounter,
        now: datetime,
    ) -> int | None:
        """Seconds until this attempt may be made, or ``None`` when it may be made now."""
        policy = self._policy
        known = self._known(pair, now)
        until = [c.blocked_until for c in (pair, addr) if c.blocked_until is not None]
        address = self._windowed(addr, now)
        if address.attempts >= policy.address_limit and address.window_start is not None:
            until.append(address.window_start + timedelta(seconds=policy.window))
        if not known:
            if user.blocked_until is not None:
                until.append(user.blocked_until)
            bucket = self._drained(user, now)
            if bucket.attempts >= policy.username_limit and bucket.window_start is not None:
                until.append(bucket.window_start + timedelta(seconds=policy.username_interval))
        latest = max((moment for moment in until if moment > now), default=None)
        if latest is None:
            return None
        return max(1, math.ceil((latest - now).total_seconds()))

    def _known(self, pair: ThrottleCounter, now: datetime) -> bool:
        """Whether the user logged in from this address recently."""
        seen = pair.succeeded_at
        return seen is not None and now - seen < timedelta(seconds=self._policy.known_address)

    def _windowed(self, counter: ThrottleCounter, now: datetime) -> ThrottleCounter:
        """A copy counting only the current window (a window that has passed starts over)."""
        start = counter.window_start
        if start is None or now - start >= timedelta(seconds=self._policy.window):
            return replace(counter, window_start=now, attempts=0)
        return replace(counter)

    def _drained(self, counter: ThrottleCounter, now: datetime) -> ThrottleCounter:
        """A copy of the user bucket after one attempt per ``username_interval`` has leaked out
        since ``window_start`` (which then marks the last leak)."""
        start, interval = counter.window_start, self._policy.username_interval
        if start is None:
            return replace(counter, window_start=now, attempts=0)
        leaked = int((now - start).total_seconds() // interval)
        if leaked <= 0:
            return replace(counter)
        level = max(0, counter.attempts - leaked)
        moved = now if level == 0 else start + timedelta(seconds=leaked * interval)
        return replace(counter, window_start=moved, attempts=level)
