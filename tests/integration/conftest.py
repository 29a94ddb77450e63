"""A real server on loopback for HTTP tests: the production app under uvicorn in a thread.

The app is built by the composition root exactly as in production, with a fake clock and cheap
Argon2 parameters. ``LiveServer.call`` runs a coroutine on the server's own event loop, so tests
can create users and tasks through the very services the server uses.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
import uvicorn

from batchtask.bootstrap import create_app
from batchtask.config import Settings
from batchtask.domain.user import Role, User
from batchtask.services.container import Services
from tests.conftest import FakeClock

T = TypeVar("T")
PASSWORD = "correct horse battery"


@dataclass
class LiveServer:
    """A running server and ways to reach it."""

    base_url: str
    loop: asyncio.AbstractEventLoop
    app: Any
    clock: FakeClock
    settings: Settings
    users: dict[str, User] = field(default_factory=dict)

    @property
    def services(self) -> Services:
        """The server's services (use them only through ``call``)."""
        services: Services = self.app.state.ctx
        return services

    def call(self, make: Callable[[Services], Awaitable[T]]) -> T:
        """Run ``make(services)`` on the server's loop and return its result."""
        future = asyncio.run_coroutine_threadsafe(_wrap(make, self.services), self.loop)
        return future.result(timeout=30)

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Await ``coroutine`` on the server's loop and return its result (no lambda to bind)."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=30)

    def client(self, **kwargs: Any) -> httpx.Client:
        """An HTTP client for this server."""
        return httpx.Client(base_url=self.base_url, timeout=10, **kwargs)

    def add_user(self, name: str, role: Role = Role.user, password: str = PASSWORD) -> User:
        """Create a user through the server's services."""
        user = self.call(lambda s: s.users.add(name, password, role))
        self.users[name] = user
        return user

    def ticket(self, name: str) -> str:
        """A fresh SOTicket for a user."""
        user = self.users[name]
        ticket, _ = self.call(lambda s: s.auth.issue_ticket(user))
        return ticket


async def _wrap(make: Callable[[Services], Awaitable[T]], services: Services) -> T:
    return await make(services)


def run_server(
    settings: Settings, clock: FakeClock, *, send_buffer: int | None = None
) -> Generator[LiveServer, None, None]:
    """Start the app under uvicorn on a free loopback port; stop it afterwards.

    ``send_buffer`` caps the kernel's send buffer of every connection (Linux would otherwise let
    it grow to megabytes), so a test can make a client that stops reading fill it quickly.
    """
    app = create_app(settings, clock=clock)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # accepted sockets inherit it
    if send_buffer is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, send_buffer)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="on", access_log=False)
    server = uvicorn.Server(config)
    loop = asyncio.new_event_loop()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(server.serve(sockets=[sock]))

    thread = threading.Thread(target=serve, name="live-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", loop, app, clock, settings)
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        loop.close()
        sock.close()


def test_settings(database_url: str, **overrides: Any) -> Settings:
    """Settings for tests: the given database, cheap Argon2, plain-HTTP cookies."""
    values: dict[str, Any] = {
        "database_url": database_url,
        "argon2_time_cost": 1,
        "argon2_memory_cost": 64,
        "cookie_secure": False,
        "sqlite_synchronous": "NORMAL",
        "worker": False,
    }
    values.update(overrides)
    return Settings(**values)


def prepare_database(database_url: str, clock: FakeClock) -> None:
    """Upgrade a PostgreSQL database explicitly, as in production (SQLite migrates on start)."""
    if database_url.startswith("sqlite"):
        return
    from batchtask.storage import migration  # noqa: PLC0415
    from batchtask.storage.connect import open_database  # noqa: PLC0415

    async def upgrade() -> None:
        db = await open_database(database_url)
        try:
            await migration.upgrade(db, clock.now())
        finally:
            await db.close()

    asyncio.run(upgrade())


@pytest.fixture
def server(database_url: str, clock: FakeClock, tmp_path: Path) -> Iterator[LiveServer]:
    """A live server on each engine with users ``admin`` (admin), ``alice`` and ``bob``."""
    settings = test_settings(database_url, files_dir=str(tmp_path / "files"))
    prepare_database(database_url, clock)
    for live in run_server(settings, clock):
        live.add_user("admin", Role.admin)
        live.add_user("alice")
        live.add_user("bob")
        yield live
