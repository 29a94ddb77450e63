"""The pytest plugin (entry point ``pytest11``): a batchtask emulator for your integration tests.

Installing ``batchtask`` makes three fixtures available to any test suite (SPEC §12)::

    def test_my_export(batchtask_client):
        task = batchtask_client.start("SuperOffice.Export")
        ...

* ``batchtask_server`` (session): ``batchtask serve --emulator`` on a free loopback port with a
  temporary SQLite file, stopped after the session. With ``BATCHTASK_TEST_URL`` set, that
  running server is used instead (and ``BATCHTASK_EMULATOR_TOKEN``, if set, is sent to it).
* ``batchtask_tenant``: a fresh tenant for one test, deleted afterwards.
* ``batchtask_client``: a :class:`~batchtask.client.Client` logged in as that tenant's admin,
  its journal emptied after the login so a test sees only its own requests.

Parallel tests are safe: under pytest-xdist each worker process starts its own server, and every
test has its own tenant (its own ids, clock, faults, journal and scripts) in any case.

The server is made for tests: cheap password hashing, relaxed SQLite durability, fast polling.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from batchtask.client import Client
from batchtask.client.emulator import Tenant

#: Use this running server instead of starting one.
URL_VARIABLE = "BATCHTASK_TEST_URL"
TOKEN_VARIABLE = "BATCHTASK_EMULATOR_TOKEN"  # noqa: S105 - a variable name
#: Seconds the server gets to answer its health check.
START_TIMEOUT = 60.0
#: Settings of the server the plugin starts (each may be overridden by the environment).
SERVER_SETTINGS = {
    "BATCHTASK_ARGON2_TIME_COST": "1",
    "BATCHTASK_ARGON2_MEMORY_COST": "64",
    "BATCHTASK_SQLITE_SYNCHRONOUS": "NORMAL",
    "BATCHTASK_COOKIE_SECURE": "false",
    "BATCHTASK_POLL_INTERVAL": "0.05",
}


@dataclass
class BatchtaskServer:
    """A batchtask emulator the tests talk to."""

    #: ``http://127.0.0.1:PORT``.
    url: str
    #: The emulator token the server wants (``None``: none).
    emulator_token: str | None = None
    #: The server process, when the plugin started it.
    process: subprocess.Popen[bytes] | None = None
    #: Its output (when the plugin started it).
    log: Path | None = None

    def client(self, **options: Any) -> Client:
        """A client of this server (``tenant=``, credentials… as :class:`Client` takes them)."""
        options.setdefault("emulator_token", self.emulator_token)
        return Client(self.url, **options)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_healthy(server: BatchtaskServer) -> None:
    headers = {"X-Batchtask-Emulator-Token": server.emulator_token} if server.emulator_token else {}
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            answer = httpx.get(f"{server.url}/_batchtask/health", headers=headers, timeout=2)
            if answer.status_code == 200:
                return
        except httpx.HTTPError:
            pass
        process = server.process
        if (process is not None and process.poll() is not None) or time.monotonic() > deadline:
            output = server.log.read_text(errors="replace") if server.log else ""
            raise RuntimeError(f"the batchtask emulator did not start:\n{output}")
        time.sleep(0.05)


def start_server(folder: Path) -> BatchtaskServer:
    """``batchtask serve --emulator`` on a free loopback port with a SQLite file in ``folder``."""
    port = _free_port()
    env = {**SERVER_SETTINGS, **os.environ}
    env["BATCHTASK_DATABASE_URL"] = f"sqlite:///{folder / 'batchtask.db'}"
    env["BATCHTASK_FILES_DIR"] = str(folder / "files")
    log = folder / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "batchtask", "serve", "--emulator",
             "--host", "127.0.0.1", "--port", str(port)],
            env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    server = BatchtaskServer(
        f"http://127.0.0.1:{port}", env.get(TOKEN_VARIABLE) or None, process, log
    )
    try:
        _wait_until_healthy(server)
    except BaseException:
        stop_server(server)
        raise
    return server


def stop_server(server: BatchtaskServer) -> None:
    """End a server the plugin started (SIGTERM, then SIGKILL after a grace)."""
    process = server.process
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="session")
def batchtask_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BatchtaskServer]:
    """A batchtask emulator for the whole session (one per xdist worker)."""
    given = os.environ.get(URL_VARIABLE)
    if given:
        server = BatchtaskServer(given.rstrip("/"), os.environ.get(TOKEN_VARIABLE) or None)
        _wait_until_healthy(server)
        yield server
        return
    server = start_server(tmp_path_factory.mktemp("batchtask"))
    try:
        yield server
    finally:
        stop_server(server)


@pytest.fixture
def batchtask_tenant(batchtask_server: BatchtaskServer) -> Iterator[Tenant]:
    """A fresh tenant for this test (its own ids, users, clock, faults, journal, scripts)."""
    with batchtask_server.client() as control:
        tenant = control.emulator.create_tenant()
        try:
            yield tenant
        finally:
            control.emulator.delete_tenant(tenant.context_identifier)


@pytest.fixture
def batchtask_client(
    batchtask_server: BatchtaskServer, batchtask_tenant: Tenant
) -> Iterator[Client]:
    """A :class:`Client` of the test's tenant, logged in as its admin (a fresh journal)."""
    with batchtask_server.client(
        tenant=batchtask_tenant.context_identifier,
        username=batchtask_tenant.admin.name,
        password=batchtask_tenant.admin.password,
    ) as client:
        client.login()
        client.emulator.clear_requests()
        yield client
