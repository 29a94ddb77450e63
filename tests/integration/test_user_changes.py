"""A password change, a disabled or removed user takes effect at once in the process that made
it (issue 11 #11: ``forget_user`` was never called, so this process kept trusting the cached user
row and credentials for ``CREDENTIAL_CACHE_TTL``), on both engines."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from batchtask.domain.user import Role
from batchtask.services.container import Services
from tests.conftest import FakeClock
from tests.integration import conftest as live
from tests.integration.test_seed_endpoint import basic

NEW_PASSWORD = "a new password 42"
TASK = "/api/v1/BatchTask/424242"


@pytest.fixture
def cached(database_url: str, clock: FakeClock, tmp_path: Path) -> Iterator[live.LiveServer]:
    """A server that trusts what it verified for five minutes (so only forgetting can help)."""
    settings = live.test_settings(
        database_url, files_dir=str(tmp_path / "files"), credential_cache_ttl=300
    )
    live.prepare_database(database_url, clock)
    for server in live.run_server(settings, clock):
        server.add_user("alice", Role.user)
        yield server


@pytest.mark.parametrize(
    "change",
    [
        lambda s: s.users.set_password("alice", NEW_PASSWORD),
        lambda s: s.users.set_active("alice", False),
        lambda s: s.users.remove("alice"),
    ],
    ids=["password", "disabled", "removed"],
)
def test_a_changed_user_is_not_trusted_from_the_cache(
    cached: live.LiveServer, change: Callable[[Services], object]
) -> None:
    """Basic and ticket credentials that worked a moment ago are refused right after the change."""
    ticket = cached.ticket("alice")
    with cached.client() as client:
        assert client.get(TASK, headers=basic("alice")).status_code == 404
        assert client.get(TASK, headers={"Authorization": f"SOTicket {ticket}"}).status_code == 404
        cached.call(change)  # type: ignore[arg-type]
        assert client.get(TASK, headers=basic("alice")).status_code == 401
        by_ticket = client.get(TASK, headers={"Authorization": f"SOTicket {ticket}"})
        assert by_ticket.status_code == 401
