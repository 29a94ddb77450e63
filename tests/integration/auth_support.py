"""Shared pieces of the authentication suites: credential headers, the 401 check, servers.

``serve`` starts the production app (as ``tests/integration/conftest.py`` does) with any settings,
on a database that may already hold users (a second API process on the same database).
``module_database`` gives a module-scoped fixture a fresh database of each engine, so suites can
share one server per engine instead of starting one per test.

``http(server)`` is the server's shared client. A new ``httpx.Client`` costs ~20 ms (it builds an
SSL context) and a kept-alive connection to the test server stalls ~40 ms per request (delayed
ACK), so the shared client opens a new connection per request and keeps no cookies: requests stay
under a millisecond and each one carries exactly the headers its test gives it.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Iterator
from contextlib import contextmanager
from http.cookiejar import CookieJar, DefaultCookiePolicy
from pathlib import Path
from typing import Any

import httpx
import pytest

from batchtask.domain.user import Role
from batchtask.storage import migration
from batchtask.storage.connect import open_database
from tests.conftest import FakeClock, _truncate
from tests.integration.conftest import PASSWORD, LiveServer, run_server, test_settings

__all__ = [
    "BEARER_CHALLENGE",
    "CHALLENGE",
    "ENGINES",
    "MISSING",
    "PASSWORD",
    "assert_authenticated",
    "assert_unauthenticated",
    "basic",
    "bearer",
    "http",
    "login",
    "module_database",
    "serve",
    "soticket",
]

#: The one id no test creates: 404 for it proves the caller was authenticated.
MISSING = "/api/v1/BatchTask/999999"
CHALLENGE = 'Basic realm="batchtask", SOTicket, Bearer'
BEARER_CHALLENGE = 'Basic realm="batchtask", SOTicket, Bearer error="invalid_token"'
ENGINES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
#: Throttle numbers that suites not about throttling never reach.
UNTHROTTLED: dict[str, Any] = {
    "throttle_free_failures": 10_000,
    "throttle_address_limit": 10_000,
    "throttle_username_limit": 10_000,
}


def basic(name: str, password: str = PASSWORD) -> dict[str, str]:
    """A Basic Authorization header (UTF-8 credentials)."""
    token = base64.b64encode(f"{name}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def soticket(ticket: str) -> dict[str, str]:
    """An SOTicket Authorization header."""
    return {"Authorization": f"SOTicket {ticket}"}


def bearer(token: str) -> dict[str, str]:
    """A Bearer Authorization header."""
    return {"Authorization": f"Bearer {token}"}


def assert_unauthenticated(response: httpx.Response, *, invalid_token: bool = False) -> None:
    """A 401 with SuperOffice's error object and the challenge for every scheme."""
    assert response.status_code == 401, response.text
    body = response.json()
    assert body["Error"] is True
    assert body["ErrorType"] == "SoAuthenticationException"
    assert body["ErrorSource"] == "batchtask"
    expected = BEARER_CHALLENGE if invalid_token else CHALLENGE
    assert response.headers.get_list("www-authenticate") == [expected]


def assert_authenticated(response: httpx.Response) -> None:
    """The 404 of the missing task: the request got past authentication."""
    assert response.status_code == 404, response.text
    assert response.json()["ErrorType"] == "SoNotFoundException"


_CLIENTS: dict[str, httpx.Client] = {}


def http(server: LiveServer) -> httpx.Client:
    """The server's shared client: one connection per request, no cookie jar."""
    return _CLIENTS[server.base_url]


def login(server: LiveServer, name: str, password: str = PASSWORD) -> tuple[str, str, str]:
    """``(ticket, session cookie, XSRF token)`` of a fresh ``/login``."""
    response = http(server).post("/login", json={"username": name, "password": password})
    assert response.status_code == 200, response.text
    return (
        response.json()["Ticket"],
        response.cookies["batchtask_session"],
        response.cookies["XSRF-TOKEN"],
    )


def _upgrade(database_url: str, clock: FakeClock) -> None:
    async def run() -> None:
        db = await open_database(database_url)
        try:
            await migration.upgrade(db, clock.now())
        finally:
            await db.close()

    asyncio.run(run())


@contextmanager
def serve(
    database_url: str, clock: FakeClock, *, users: bool = True, **overrides: Any
) -> Iterator[LiveServer]:
    """A live server with ``test_settings(**overrides)``; ``users`` adds admin, alice and bob."""
    if not database_url.startswith("sqlite"):
        _upgrade(database_url, clock)  # PostgreSQL is upgraded explicitly, as in production
    servers = run_server(test_settings(database_url, **overrides), clock)
    live = next(servers)
    _CLIENTS[live.base_url] = live.client(
        limits=httpx.Limits(max_keepalive_connections=0),
        cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
    )
    try:
        if users:
            live.add_user("admin", Role.admin)
            live.add_user("alice")
            live.add_user("bob")
        else:
            for name in ("admin", "alice", "bob"):
                live.users[name] = live.run(live.services.users.get(name))
        yield live
    finally:
        _CLIENTS.pop(live.base_url).close()
        servers.close()


def module_database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> str:
    """An empty database of the engine named by ``request.param`` (module-scoped fixtures)."""
    if request.param == "sqlite":
        directory: Path = tmp_path_factory.mktemp("auth")
        return f"sqlite:///{directory / 'batchtask.db'}"
    url: str = request.getfixturevalue("pg_server_url")
    _truncate(url)
    return url
