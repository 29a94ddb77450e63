"""A real ``batchtask serve`` (granian) on a fresh database of either engine, with its users.

The attack suites talk to the production server over loopback only, as an outside client would:
raw sockets for the protocol probes, httpx for everything else. Users: ``alice`` and ``bob``
(plain users; alice owns the tasks under attack) and ``admin``.
"""

from __future__ import annotations

import asyncio
import os
import resource
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from batchtask.bootstrap import close_services, open_services
from batchtask.config import Settings
from batchtask.domain.user import Role
from tests.reliability.conftest import fresh_database
from tests.reliability.processes import Child, ServeProcess, environment, free_port

PASSWORD = "a long password"
USERS = {"alice": "user", "bob": "user", "admin": "admin"}


@dataclass
class Stack:
    """The database, the server process and one SOTicket per user."""

    database: str
    server: ServeProcess
    tickets: dict[str, str] = field(default_factory=dict)
    #: The settings the server was started with (a restart keeps them).
    settings: dict[str, str] = field(default_factory=dict)

    @property
    def base(self) -> str:
        """The server's base URL."""
        return self.server.base

    @property
    def address(self) -> tuple[str, int]:
        """Host and port for raw sockets."""
        return "127.0.0.1", self.server.port

    def auth(self, user: str) -> dict[str, str]:
        """The ``Authorization`` header of ``user``'s ticket."""
        return {"Authorization": f"SOTicket {self.tickets[user]}"}

    def restart(self) -> None:
        """Start a new server process on the same port and database (the old one is gone)."""
        self.server.stop()
        self.server = ServeProcess(self.database, port=self.server.port, **self.settings)
        asyncio.run(self.server.ready())


class ServerImage(ServeProcess):
    """The process image ``batchtask serve`` execs once the database is prepared
    (``python -m batchtask.cli.http_server HOST PORT``: granian and its worker; no task runner, as
    ``serve --no-worker``): a restart on a
    prepared database without the CLI's start-up, half a second less per restart."""

    def __init__(self, database: str, **settings: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = environment(database, **{"cookie_secure": "false", "worker": "false", **settings})
        command = [sys.executable, "-m", "batchtask.cli.http_server", "127.0.0.1", str(self.port)]
        Child.__init__(self, command, env)


def prepare(database: str) -> dict[str, str]:
    """Migrate ``database``, add the users; one fresh ticket per user.

    In this process, through the services the CLI uses (``batchtask db upgrade``, ``user add``,
    ``ticket``): seven CLI processes cost ~10 s per server on a loaded two-core machine.
    """

    async def run() -> dict[str, str]:
        settings = Settings.from_env({"BATCHTASK_DATABASE_URL": database})
        services = await open_services(settings, auto_migrate=True)
        try:
            tickets = {}
            for name, role in USERS.items():
                user = await services.users.add(name, PASSWORD, Role(role))
                tickets[name], _ = await services.auth.issue_ticket(user)
            return tickets
        finally:
            await close_services(services)

    return asyncio.run(run())


def start_stack(
    engine: str,
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    **settings: str,
) -> Iterator[Stack]:
    """A prepared database of ``engine`` and a server on it with ``settings``; stopped after."""
    database = fresh_database(engine, request, tmp_path_factory)
    tickets = prepare(database)
    server = ServeProcess(database, port=None, **settings)
    stack = Stack(database, server, tickets, dict(settings))
    try:
        asyncio.run(server.ready())
        yield stack
    finally:
        stack.server.stop()


def raise_file_limit(needed: int) -> None:
    """Let this process hold ``needed`` sockets (skip when the hard limit forbids)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= needed:
        return
    if hard != resource.RLIM_INFINITY and hard < needed:
        pytest.skip(f"open-file hard limit {hard} < {needed}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))


DEEP = bool(os.environ.get("BATCHTASK_DEEP"))
