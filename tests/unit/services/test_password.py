"""Argon2id password hashing: results, the dummy hash for unknown users, limits, concurrency."""

from __future__ import annotations

import asyncio
import os
import threading
import time

import pytest

from batchtask.services.password import MAX_PASSWORD_LENGTH, NICENESS, PasswordHasher

CHEAP = {"time_cost": 1, "memory_cost": 64, "parallelism": 1}


@pytest.fixture(scope="module")
def hasher_hash() -> tuple[PasswordHasher, str]:
    """A cheap hasher and the hash of ``right password``."""
    hasher = PasswordHasher(**CHEAP)
    return hasher, hasher.hash("right password")


def verify(hasher: PasswordHasher, password_hash: str | None, password: str) -> bool:
    """``verify`` run to completion."""
    return asyncio.run(hasher.verify(password_hash, password))


def test_defaults_are_the_owasp_minimum() -> None:
    """Without arguments hashes are Argon2id, 19 MiB, 2 passes, 1 lane (OWASP, ASVS)."""
    assert PasswordHasher().hash("x").startswith("$argon2id$v=19$m=19456,t=2,p=1$")


def test_right_password_verifies(hasher_hash: tuple[PasswordHasher, str]) -> None:
    """The password a hash was made from verifies."""
    hasher, password_hash = hasher_hash
    assert verify(hasher, password_hash, "right password") is True


def test_wrong_password_does_not_verify(hasher_hash: tuple[PasswordHasher, str]) -> None:
    """Any other password does not."""
    hasher, password_hash = hasher_hash
    assert verify(hasher, password_hash, "right passworD") is False


def test_salts_differ(hasher_hash: tuple[PasswordHasher, str]) -> None:
    """Hashing the same password twice gives two different hashes."""
    hasher, password_hash = hasher_hash
    assert hasher.hash("right password") != password_hash


def test_unknown_user_costs_a_verification_and_fails() -> None:
    """With no stored hash the dummy hash is verified (same work) and the answer is no."""
    hasher = PasswordHasher(**CHEAP)
    assert verify(hasher, None, "batchtask-dummy-password") is False
    assert hasher.verifications == 1


def test_each_verification_is_counted(hasher_hash: tuple[PasswordHasher, str]) -> None:
    """``verifications`` counts every verification started."""
    hasher, password_hash = hasher_hash
    before = hasher.verifications
    verify(hasher, password_hash, "a")
    verify(hasher, password_hash, "right password")
    assert hasher.verifications == before + 2


def test_over_long_password_is_refused_without_hashing(
    hasher_hash: tuple[PasswordHasher, str],
) -> None:
    """A password over the limit fails at once: hashing cost grows with its length."""
    hasher, password_hash = hasher_hash
    before = hasher.verifications
    assert verify(hasher, password_hash, "p" * (MAX_PASSWORD_LENGTH + 1)) is False
    assert hasher.verifications == before


def test_longest_allowed_password_works() -> None:
    """A password of exactly the limit is hashed and verified unchanged."""
    hasher = PasswordHasher(**CHEAP)
    password = "ü" * MAX_PASSWORD_LENGTH
    assert verify(hasher, hasher.hash(password), password) is True


@pytest.mark.parametrize("stored", ["", "not-a-hash", "$argon2id$v=19$m=64,t=1,p=1$broken"])
def test_malformed_stored_hash_fails_without_raising(
    hasher_hash: tuple[PasswordHasher, str], stored: str
) -> None:
    """A corrupt hash in the database is a failed login, not an exception."""
    hasher, _ = hasher_hash
    assert verify(hasher, stored, "right password") is False


def test_concurrent_verifications_are_bounded_and_off_the_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Eight verifications at once run two at a time, in threads, while the loop stays free."""
    hasher = PasswordHasher(**CHEAP, parallel=2)
    lock = threading.Lock()
    pair = threading.Barrier(2, timeout=20)  # passes only when two checks run at once
    running, peak, ticks = 0, 0, 0

    def slow_check(password_hash: str, password: str) -> bool:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        pair.wait()
        seen, deadline = ticks, time.monotonic() + 20
        while ticks < seen + 2:  # the event loop goes on while this check runs
            assert time.monotonic() < deadline, "the event loop is blocked by the check"
            time.sleep(0.001)
        with lock:
            running -= 1
        return False

    monkeypatch.setattr(hasher, "_check", slow_check)

    async def scenario() -> None:
        async def ticker() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.001)

        task = asyncio.create_task(ticker())
        await asyncio.gather(*(hasher.verify("h", "p") for _ in range(8)))
        task.cancel()

    asyncio.run(scenario())
    assert peak == 2


def test_verifications_run_in_the_hashers_own_lower_priority_threads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Hashing runs in the hasher's own pool, niced below the loop's thread (Linux)."""
    hasher = PasswordHasher(**CHEAP, parallel=1)
    seen: list[tuple[str, int]] = []

    def check(password_hash: str, password: str) -> bool:
        seen.append((threading.current_thread().name, os.nice(0)))
        return False

    monkeypatch.setattr(hasher, "_check", check)
    verify(hasher, None, "p")
    name, niceness = seen[0]
    assert name.startswith("batchtask-argon2")
    assert niceness >= min(19, os.nice(0) + NICENESS)
