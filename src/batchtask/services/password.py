"""Argon2id password hashing, kept off the event loop and bounded in concurrency.

Verifying a hash is slow on purpose (tens of milliseconds), so it runs in a thread and at most
``parallel`` verifications run at once: a flood of wrong Basic passwords cannot starve the loop or
the CPU. Unknown users are checked against a dummy hash so timing does not reveal which names exist.
"""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher as Argon2Hasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

#: Longest password accepted; longer input is refused before hashing (hashing cost is linear).
MAX_PASSWORD_LENGTH = 1024


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
            ok = await asyncio.to_thread(self._check, target, password)
        return ok and password_hash is not None

    def _check(self, password_hash: str, password: str) -> bool:
        try:
            return self._argon2.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
