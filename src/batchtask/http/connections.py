"""Connection deadlines and the connection cap: what granian does not do for us.

Why this exists: granian (hyper) holds one of ``backpressure`` permits per open connection and
never closes a connection that has not sent its first byte, so ~1,024 silent sockets froze the
server; it has no deadline for a request body either (a body trickled one byte every 2 s held a
connection for ever). Its ``header_read_timeout`` does bound a header block once it has begun,
and an idle kept-alive connection; the rest is done here, in the worker process:

* **Body deadline** (ASGI): the whole body must arrive within ``body_timeout`` of the request's
  start, else the request fails with a 408 (``BodyTimeout``) and the connection is closed.
* **Idle deadline** (a watchdog thread): a connection with no request in flight for
  ``idle_timeout`` — silent since it was accepted, idle after an answer, or trickling bytes after
  one — is shut down.
* **Connection cap** (the same watchdog): beyond ``max_connections`` open connections, idle ones
  are refused at once, newest first, with a 503 error object and ``Connection: close``. granian's
  own permit count is set above the cap (``Settings.http_accept_limit``), so there is room to
  accept connections only to refuse them.

The watchdog reads the process's own sockets from ``/proc/self/fd`` (Linux): a connection is a TCP
socket whose local port is the port of a listening socket of this process. It works on a
duplicate of the descriptor and only ever calls ``shutdown`` (and ``send`` for the refusal) on it:
hyper then sees the end of the stream, drops the connection and closes its own descriptor, so no
descriptor is ever closed behind its back. Requests in flight are known from the ASGI side by the
peer address, which is unique per open connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from batchtask.http.errors import BodyTimeout, ServerBusy
from batchtask.i18n.catalogue import resource
from batchtask.serialisation.error_body import error_body
from batchtask.serialisation.render import render_json

log = logging.getLogger("batchtask.http")

Peer = tuple[str, int]
#: Seconds between two looks at the open connections.
SCAN_INTERVAL = 0.5
#: A connection is refused or closed only after it was first seen at least this long ago, so a
#: client that has just connected has time to send its request.
GRACE = 1.0


@dataclass(frozen=True, slots=True)
class ConnectionLimits:
    """Deadlines and the cap (settings ``BATCHTASK_HTTP_*``)."""

    max_connections: int = 1024
    idle_timeout: float = 10.0
    body_timeout: float = 30.0


def refusal_bytes() -> bytes:
    """The whole 503 answer written to a connection refused over the cap."""
    error = ServerBusy()
    body = render_json(error_body(error.error_type, resource("en", error.resource) or str(error)))
    head = (
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json; charset=utf-8\r\n"
        f"content-length: {len(body)}\r\nretry-after: 1\r\ncache-control: no-store\r\n"
        "connection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


class ConnectionGuard:
    """Requests in flight per connection (ASGI side) and the watchdog that acts on the rest."""

    def __init__(
        self, limits: ConnectionLimits, *, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self.limits = limits
        self._monotonic = monotonic
        #: Requests in flight per peer; read by the watchdog thread (dict reads are atomic).
        self._busy: dict[Peer, int] = {}
        #: When a request on a peer last started or ended.
        self._active: dict[Peer, float] = {}
        #: When the watchdog first saw each socket (by inode: unique while the socket lives).
        self._seen: dict[str, float] = {}
        self._stop = threading.Event()
        self._refusal = refusal_bytes()
        #: Counts of the watchdog's actions (tests and metrics read them).
        self.closed_idle = 0
        self.refused = 0

    # ------------------------------------------------------------------ ASGI side (event loop)

    def wrap(self, app: ASGIApp, framework: Any) -> GuardedApp:
        """``app`` with in-flight tracking and the body deadline; ``framework`` is the Starlette
        application inside (its ``state`` and lifespan)."""
        return GuardedApp(app, framework, self)

    def begin(self, peer: Peer | None) -> None:
        """A request on ``peer`` started."""
        if peer is not None:
            self._busy[peer] = self._busy.get(peer, 0) + 1
            self._active[peer] = self._monotonic()

    def end(self, peer: Peer | None) -> None:
        """A request on ``peer`` ended."""
        if peer is None:
            return
        left = self._busy.get(peer, 1) - 1
        if left > 0:
            self._busy[peer] = left
        else:
            self._busy.pop(peer, None)
        self._active[peer] = self._monotonic()

    # ------------------------------------------------------------------ watchdog (its own thread)

    def start_watching(self) -> threading.Thread:
        """Run the watchdog in a daemon thread of this process (Linux only: ``/proc``)."""
        thread = threading.Thread(target=self._watch, name="batchtask-connections", daemon=True)
        thread.start()
        return thread

    def stop_watching(self) -> None:
        """Let the watchdog thread end."""
        self._stop.set()

    def _watch(self) -> None:
        if not os.path.isdir("/proc/self/fd"):
            log.warning("connection deadlines need /proc (Linux); idle connections stay open")
            return
        while not self._stop.wait(SCAN_INTERVAL):
            try:
                self.sweep()
            except Exception:  # the watchdog must outlive any surprise
                log.exception("connection watchdog sweep failed")

    def sweep(self) -> None:
        """One look at every open connection: close the idle, refuse the excess."""
        now = self._monotonic()
        connections = list(_connections())
        try:
            seen: dict[str, float] = {}
            idle: list[tuple[float, socket.socket]] = []
            for inode, peer, sock in connections:
                first = seen[inode] = self._seen.get(inode, now)
                if peer in self._busy:
                    continue
                since = max(first, self._active.get(peer, first))
                if now - first >= GRACE:
                    idle.append((since, sock))
            self._seen = seen
            peers = {peer for _, peer, _ in connections}
            for peer in list(self._active):  # a copy: the event loop adds peers meanwhile
                if peer not in peers:
                    self._active.pop(peer, None)
            excess = len(connections) - self.limits.max_connections
            idle.sort(key=lambda item: item[0], reverse=True)  # newest first
            for since, sock in idle:
                if excess > 0:
                    excess -= 1
                    self.refused += 1
                    _send_quietly(sock, self._refusal)
                    _shutdown(sock)
                elif now - since >= self.limits.idle_timeout:
                    self.closed_idle += 1
                    _shutdown(sock)
        finally:
            for _, _, sock in connections:
                sock.close()


class GuardedApp:
    """The outermost ASGI layer: marks requests in flight and puts a deadline on the body."""

    def __init__(self, app: ASGIApp, framework: Any, guard: ConnectionGuard) -> None:
        self.app = app
        #: The Starlette application inside (its router runs the lifespan).
        self.framework = framework
        #: The framework app's state (``state.ctx`` holds the services once started).
        self.state = framework.state
        self.guard = guard

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        peer = (str(client[0]), int(client[1])) if client else None
        guard = self.guard
        guard.begin(peer)
        try:
            await self.app(scope, _body_deadline(receive, guard.limits.body_timeout), send)
        finally:
            guard.end(peer)


def _body_deadline(receive: Receive, timeout: float) -> Receive:
    """``receive`` that raises ``BodyTimeout`` once the body is not complete ``timeout`` seconds
    after the request started; after the body it passes through (disconnect listeners wait)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    done = False

    async def timed() -> Message:
        nonlocal done
        if done:
            return await receive()
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise BodyTimeout(seconds=f"{timeout:g}")
        try:
            message = await asyncio.wait_for(receive(), remaining)
        except TimeoutError:
            raise BodyTimeout(seconds=f"{timeout:g}") from None
        done = message["type"] != "http.request" or not message.get("more_body", False)
        return message

    return timed


def _connections() -> Iterator[tuple[str, Peer, socket.socket]]:
    """``(inode, peer, duplicate socket)`` of every TCP connection accepted by this process."""
    sockets: list[tuple[str, socket.socket]] = []
    ports: set[int] = set()
    for name in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{name}")
        except OSError:
            continue
        if not target.startswith("socket:"):
            continue
        try:
            duplicate = os.dup(int(name))
        except OSError:
            continue
        try:
            sock = socket.socket(fileno=duplicate)
        except OSError:
            os.close(duplicate)
            continue
        if sock.family not in (socket.AF_INET, socket.AF_INET6) or sock.type != socket.SOCK_STREAM:
            sock.close()
            continue
        try:
            if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN):
                ports.add(int(sock.getsockname()[1]))
                sock.close()
                continue
        except OSError:
            sock.close()
            continue
        sockets.append((target, sock))
    for inode, sock in sockets:
        try:
            local, remote = sock.getsockname(), sock.getpeername()
        except OSError:
            sock.close()
            continue
        if int(local[1]) in ports:
            yield inode, (str(remote[0]), int(remote[1])), sock
        else:
            sock.close()


def _send_quietly(sock: socket.socket, data: bytes) -> None:
    with contextlib.suppress(OSError):
        sock.send(data)


def _shutdown(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
