"""The login throttle across real server processes (issue 11 #2).

Two ``batchtask serve`` processes (granian) share one database; 300 guesses for one name are sent
at once, alternating between them. The attempt is reserved in the database before any hashing, so
the pair budget holds across processes: at most ``free failures + 1`` guesses are hashed (401),
every other one is refused (429). Every guess comes from 127.0.0.1, so one pair and one address.
"""

from __future__ import annotations

import asyncio
import base64
from contextlib import ExitStack

import httpx
import pytest

from tests.e2e.test_cli_and_serve import cli, serve

pytestmark = pytest.mark.e2e

FREE_FAILURES = 3
PASSWORD = "a long password"
SETTINGS = {
    "BATCHTASK_THROTTLE_FREE_FAILURES": str(FREE_FAILURES),
    "BATCHTASK_ARGON2_TIME_COST": "1",
    "BATCHTASK_ARGON2_MEMORY_COST": "64",
}


def header(password: str) -> dict[str, str]:
    """Basic credentials of alice."""
    return {"Authorization": "Basic " + base64.b64encode(f"alice:{password}".encode()).decode()}


async def guesses(bases: list[str], passwords: list[str]) -> list[int]:
    """Statuses of one Basic request per password, all sent at once, spread over ``bases``."""
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=0)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        answers = await asyncio.gather(
            *(
                client.get(f"{bases[n % len(bases)]}/api/v1/BatchTask/999999", headers=header(pw))
                for n, pw in enumerate(passwords)
            )
        )
    return [answer.status_code for answer in answers]


def test_parallel_guesses_across_two_processes_hold_the_budget(database_url: str) -> None:
    """300 guesses at once over two processes: ≤ 4 hashed, the rest 429, on both engines."""
    assert cli("db", "upgrade", database=database_url).returncode == 0
    cli("user", "add", "alice", "--password", PASSWORD, database=database_url)
    with ExitStack() as stack:
        bases = [stack.enter_context(_served(database_url)) for _ in range(2)]
        passwords = [
            f"wrong password {n}" for n in range(299)
        ]  # distinct: identical ones share a flight
        passwords.insert(150, PASSWORD)
        statuses = asyncio.run(guesses(bases, passwords))
    hashed = statuses.count(401) + statuses.count(404)
    print(f"two processes, 300 parallel guesses: {statuses.count(401)}x401"
          f" {statuses.count(429)}x429 right one {'accepted' if 404 in statuses else 'refused'}")  # fmt: skip
    assert set(statuses) <= {401, 404, 429}
    assert hashed <= FREE_FAILURES + 1


class _served:
    """``serve`` as a context manager (the generator form is awkward to stack)."""

    def __init__(self, database: str) -> None:
        self._servers = serve(database, env=SETTINGS)

    def __enter__(self) -> str:
        base, _ = next(self._servers)
        return base

    def __exit__(self, *exc: object) -> None:
        self._servers.close()
