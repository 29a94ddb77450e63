"""A JWKS fetched from a URL never holds up the server (issue 11 #5: a key server that never
answered stalled every request for the fetch's 5 s timeout, because PyJWKClient fetched on the
event loop). The fetch runs off the loop with a deadline; its failure is remembered."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from batchtask.domain.user import Role
from tests.conftest import FakeClock
from tests.integration import conftest as live
from tests.integration.test_seed_endpoint import basic

ISSUER, AUDIENCE = "https://idp.test", "batchtask-api"
MISSING = "/api/v1/BatchTask/424242"


class SilentKeyServer:
    """A loopback listener that accepts connections and never answers (until closed)."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.accepted: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        host, port = self.listener.getsockname()[:2]
        return f"http://{host}:{port}/jwks.json"

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.accepted.append(connection)

    def close(self) -> None:
        self.listener.close()
        for connection in self.accepted:
            connection.close()


@pytest.fixture
def key_server() -> Iterator[SilentKeyServer]:
    server = SilentKeyServer()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def server(key_server: SilentKeyServer, tmp_path: Path) -> Iterator[live.LiveServer]:
    """A server (SQLite; the engine plays no part) whose JWKS URL never answers."""
    url = f"sqlite:///{tmp_path / 'jwks.db'}"
    clock = FakeClock()
    settings = live.test_settings(
        url, files_dir=str(tmp_path / "files"),
        jwt_issuer=ISSUER, jwt_audience=AUDIENCE, jwt_jwks=key_server.url,
    )  # fmt: skip
    live.prepare_database(url, clock)
    for running in live.run_server(settings, clock):
        running.add_user("alice", Role.user)
        yield running


def a_token() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "alice", "iat": now, "exp": now + 600}
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "k1"})


def test_a_silent_key_server_stalls_no_other_request(
    server: live.LiveServer, key_server: SilentKeyServer
) -> None:
    """While a Bearer request waits for the key server, a Basic request is answered; the Bearer
    one ends in a 401 once the fetch's deadline passes, and the failure is remembered: the next
    JWT does not call the key server again."""
    token = a_token()
    answered: dict[str, float] = {}
    statuses: dict[str, int] = {}

    def bearer_request() -> None:
        with httpx.Client(base_url=server.base_url, timeout=60) as client:
            response = client.get(MISSING, headers={"Authorization": f"Bearer {token}"})
        statuses["bearer"] = response.status_code
        answered["bearer"] = time.monotonic()

    waiting = threading.Thread(target=bearer_request)
    waiting.start()
    deadline = time.monotonic() + 30
    while not key_server.accepted and time.monotonic() < deadline:
        time.sleep(0.01)
    assert key_server.accepted, "the server never asked the key server"
    with server.client() as client:
        assert client.get(MISSING, headers=basic("alice")).status_code == 404
    answered["basic"] = time.monotonic()
    waiting.join(timeout=60)
    assert answered["basic"] < answered["bearer"], "the Basic request waited for the key fetch"
    assert statuses["bearer"] == 401
    asked = len(key_server.accepted)
    with server.client() as client:
        again = client.get(MISSING, headers={"Authorization": f"Bearer {a_token()}"})
    assert again.status_code == 401
    assert len(key_server.accepted) == asked
