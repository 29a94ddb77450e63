"""Connection deadlines and the connection cap against a real ``batchtask serve`` (granian).

Issue 11 #3: ~1,030 silent sockets froze the server (granian holds one of its 1,024 permits per
connection and closes a socket that never sends a byte never); a keep-alive socket and a body
trickled one byte at a time held a connection indefinitely. Every test speaks raw TCP over
loopback to a real server process, and polls with a deadline well past the configured one.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.test_cli_and_serve import cli, serve

pytestmark = pytest.mark.e2e

#: Far past every deadline the tests configure: a socket still open then is never closed.
POLL = 30.0
SHORT = {"BATCHTASK_HTTP_IDLE_TIMEOUT": "2", "BATCHTASK_HTTP_BODY_TIMEOUT": "2"}


@pytest.fixture
def database(tmp_path: object) -> str:
    """A migrated SQLite database."""
    url = f"sqlite:///{tmp_path}/connections.db"
    assert cli("db", "upgrade", database=url).returncode == 0
    return url


def served(database: str, settings: dict[str, str]) -> Iterator[str]:
    """A serve process with ``settings``; yields its base URL."""
    for base, _ in serve(database, env=settings):
        yield base


def address(base: str) -> tuple[str, int]:
    """Host and port of a base URL."""
    host, port = base.removeprefix("http://").split(":")
    return host, int(port)


def wait_closed(sock: socket.socket) -> tuple[float | None, bytes]:
    """Seconds until the server closed ``sock`` (``None``: still open after ``POLL``), and
    everything it sent before closing."""
    sock.settimeout(0.2)
    start, received = time.monotonic(), b""
    while time.monotonic() - start < POLL:
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            continue
        except ConnectionResetError:
            return time.monotonic() - start, received
        if not chunk:
            return time.monotonic() - start, received
        received += chunk
    return None, received


def test_eleven_hundred_silent_sockets_do_not_stop_healthz(database: str) -> None:
    """1,100 connections that never send a byte; ``/healthz`` still answers 200 (defaults)."""
    for base in served(database, {}):
        silent = [socket.create_connection(address(base)) for _ in range(1100)]
        try:
            start = time.monotonic()
            answer = httpx.get(base + "/healthz", timeout=POLL)
            print(f"1,100 silent sockets: /healthz {answer.status_code}"
                  f" after {time.monotonic() - start:.2f} s")  # fmt: skip
            assert answer.status_code == 200
        finally:
            for sock in silent:
                sock.close()


def test_a_silent_socket_is_closed_after_the_idle_deadline(database: str) -> None:
    """A socket that never sends a byte is closed (idle deadline 2 s)."""
    for base in served(database, SHORT):
        with socket.create_connection(address(base)) as sock:
            after, _ = wait_closed(sock)
        print(f"silent socket closed after {after}")
        assert after is not None


def test_an_idle_keep_alive_socket_is_closed_after_the_idle_deadline(database: str) -> None:
    """After an answer, a kept-alive socket that sends nothing more is closed (2 s)."""
    for base in served(database, SHORT):
        with socket.create_connection(address(base)) as sock:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
            after, received = wait_closed(sock)
        print(f"kept-alive socket closed after {after}")
        assert received.startswith(b"HTTP/1.1 200")
        assert after is not None


def test_a_trickled_body_is_answered_408_and_closed(database: str) -> None:
    """A body sent one byte every 0.5 s gets a 408 with the error object once the body deadline
    (2 s) passes, and the connection is closed."""
    for base in served(database, SHORT):
        with socket.create_connection(address(base)) as sock:
            sock.sendall(
                b"POST /login HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
                b"Content-Length: 1000\r\n\r\n"
            )
            sock.settimeout(0.5)
            start, received, closed = time.monotonic(), b"", False
            while time.monotonic() - start < POLL and not closed:
                try:
                    sock.sendall(b" ")
                    chunk = sock.recv(65536)
                except TimeoutError:
                    continue
                except (BrokenPipeError, ConnectionResetError):
                    closed = True
                    break
                received += chunk
                closed = not chunk
        print(f"trickled body: {received[:30]!r}, closed={closed},"
              f" after {time.monotonic() - start:.1f} s")  # fmt: skip
        assert received.startswith(b"HTTP/1.1 408"), received
        assert b'"ErrorType":"SoRequestTimeoutException"' in received
        assert closed


def test_idle_connections_beyond_the_cap_are_refused_with_503(database: str) -> None:
    """With a cap of 20, ten of 30 silent sockets get a 503 with the error object and are
    closed; the server keeps answering."""
    settings = {"BATCHTASK_HTTP_MAX_CONNECTIONS": "20"}
    for base in served(database, settings):
        silent = [socket.create_connection(address(base)) for _ in range(30)]
        try:
            deadline = time.monotonic() + POLL
            refused: list[bytes] = []
            for sock in silent:
                sock.settimeout(max(0.01, deadline - time.monotonic()) if not refused else 0.5)
                try:
                    data = sock.recv(65536)
                except TimeoutError:
                    continue
                if data:
                    refused.append(data)
            print(f"30 silent sockets, cap 20: {len(refused)} refused")
            assert len(refused) >= 10
            for data in refused:
                assert data.startswith(b"HTTP/1.1 503 Service Unavailable\r\n")
                assert b"connection: close" in data.lower()
                assert b'"ErrorType":"SoServerBusyException"' in data
            assert httpx.get(base + "/healthz", timeout=POLL).status_code == 200
        finally:
            for sock in silent:
                sock.close()
