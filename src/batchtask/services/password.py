"""Argon2id password hashing, kept off the event loop and bounded in concurrency.

Verifying a hash is slow on purpose (tens of milliseconds), so it runs in this hasher's own pool of
``parallel`` threads (not the loop's default executor, which storage and file reads share), and
those threads run at a lower CPU priority (``nice`` + ``NICENESS``, Linux: per thread): a flood of
wrong Basic passwords queues for the pool, while the event loop — every other caller's request —
keeps the CPU it needs (suite C4: 200 concurrent wrong logins and other callers' reads). Unknown
users are checked against a dummy hash so timing does not reveal which names exist.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from concurrent.futures import ThreadPoolExecutor

from argon2 import PasswordHasher as Argon2Hasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

#: Longest password accepted; longer input is refused before hashing (hashing cost is linear).
MAX_PASSWORD_LENGTH = 1024
#: How much lower the hashing threads' CPU priority is than the server's.
NICENESS = 10


def _lower_priority() -> None:
    """Run in each hashing thread once: on Linux ``nice`` applies to the calling thread only."""
    with contextlib.suppress(OSError, AttributeError):
        os.nice(NICENESS)


class PasswordHasher:
    """Argon2id with explicit parameters (OWASP minimum by default)."""

    def __init__(
        self,
        *,
        time_cost: int = 2,
        memory_cost: int = 19456,
        parallelism: int = 1,
        parallel: int = 2,
    ) -> None:
        self._argon2 = Argon2Hasher(
            time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism
        )
        self._slots = asyncio.Semaphore(parallel)
        self._pool = ThreadPoolExecutor(
            parallel, thread_name_prefix="batchtask-argon2", initializer=_lower_priority
        )
        self._dummy = self._argon2.hash("batchtask-dummy-password")
        #: Number of verifications started (exposed for tests and metrics).
        self.verifications = 0

    def hash(self, password: str) -> str:
        """A new Argon2id hash (synchronous: used by the CLI and user management)."""
        return self._argon2.hash(password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """Whether ``password`` matches; ``None`` checks against a dummy hash and fails."""
        if len(password) > MAX_PASSWORD_LENGTH:
            return False
        target = password_hash or self._dummy
        async with self._slots:
            self.verifications += 1
            loop = asyncio.get_running_loop()
            ok = await loop.run_in_executor(self._pool, self._check, target, password)
        return ok and password_hash is not None

    def _check(self, password_hash: str, password: str) -> bool:
        try:
            return self._argon2.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
