"""Raw HTTP/1.1 over a loopback socket: send exact bytes, read back whole answers.

The protocol probes must see what the server does with malformed framing, so no HTTP client
library sits in between. :func:`converse` sends a probe and reads answers until the server closes
the connection; if it keeps the connection open after an answer, a follow-up ``GET /healthz`` is
sent on it and the conversation ends with that answer. So a server that ran a smuggled second
request shows it as an extra answer, and no outcome depends on waiting for silence.
"""

from __future__ import annotations

import select
import socket
import time
from dataclasses import dataclass, field

#: Far past every deadline the suites configure: a connection still open then is a failure.
POLL = 30.0
FOLLOW_UP = b"GET /healthz HTTP/1.1\r\nHost: probe\r\nX-Probe: follow-up\r\n\r\n"
HEALTHY = b'{"status":"ok"}'


@dataclass
class Answer:
    """One HTTP response read off the wire."""

    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def closes(self) -> bool:
        """It announces the end of the connection."""
        return self.headers.get("connection", "").lower() == "close"


@dataclass
class Outcome:
    """What one probe got: every answer in order and how the conversation ended."""

    answers: list[Answer] = field(default_factory=list)
    #: ``closed`` (the server ended the connection), ``follow-up`` (the follow-up request was
    #: answered on the same connection) or ``open`` (nothing within ``POLL``).
    end: str = "open"
    seconds: float = 0.0

    @property
    def statuses(self) -> list[int]:
        """Statuses of the answers to the probe (the follow-up's answer excluded)."""
        answers = self.answers[:-1] if self.end == "follow-up" else self.answers
        return [answer.status for answer in answers]

    def line(self) -> str:
        """The outcome as one golden-file line (no timings, no ids)."""
        statuses = " ".join(str(status) for status in self.statuses) or "no answer"
        return f"{statuses} | {self.end}"


class Reader:
    """Answers from a socket, parsed by ``Content-Length``, chunked coding or end of stream."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self.sock = sock
        self.deadline = deadline
        self.buffer = b""
        self.eof = False

    def _fill(self) -> bool:
        """Read more bytes; ``False`` at end of stream, on a reset or past the deadline."""
        if self.eof:
            return False
        while True:
            left = self.deadline - time.monotonic()
            if left <= 0:
                return False
            ready, _, _ = select.select([self.sock], [], [], min(left, 0.5))
            if not ready:
                continue
            try:
                chunk = self.sock.recv(65536)
            except OSError:
                chunk = b""
            if not chunk:
                self.eof = True
                return False
            self.buffer += chunk
            return True

    def _until(self, marker: bytes) -> int | None:
        while (at := self.buffer.find(marker)) < 0:
            if not self._fill():
                return None
        return at

    def _take(self, count: int) -> bytes | None:
        while len(self.buffer) < count:
            if not self._fill():
                return None
        data, self.buffer = self.buffer[:count], self.buffer[count:]
        return data

    def answer(self) -> Answer | None:
        """The next whole answer; ``None`` when the connection ended (or stayed silent)."""
        end = self._until(b"\r\n\r\n")
        if end is None:
            return None
        head, self.buffer = self.buffer[:end].decode("latin-1"), self.buffer[end + 4 :]
        first, *lines = head.split("\r\n")
        status = int(first.split()[1])
        headers = {}
        for line in lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if "content-length" in headers:
            body = self._take(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            body = self._chunked()
        else:
            while self._fill():
                pass
            body, self.buffer = self.buffer, b""
        return Answer(status, headers, body or b"")

    def _chunked(self) -> bytes | None:
        body = b""
        while True:
            end = self._until(b"\r\n")
            if end is None:
                return None
            size = int(self.buffer[:end].split(b";")[0], 16)
            self.buffer = self.buffer[end + 2 :]
            data = self._take(size + 2)
            if data is None:
                return None
            if size == 0:
                return body
            body += data[:-2]


def send_quietly(sock: socket.socket, data: bytes) -> bool:
    """Send ``data``; ``False`` when the server already closed its side."""
    try:
        sock.sendall(data)
    except OSError:
        return False
    return True


def answered(sock: socket.socket) -> bool:
    """The server has sent something (or closed) without our waiting."""
    ready, _, _ = select.select([sock], [], [], 0)
    return bool(ready)


def converse(
    address: tuple[str, int],
    probe: bytes,
    *,
    stream: list[bytes] | None = None,
    trickle: float | None = None,
) -> Outcome:
    """Send ``probe`` (then each piece of ``stream``, stopping once the server answers; one
    piece per ``trickle`` seconds if given) and read the answers as the module says."""
    start = time.monotonic()
    outcome = Outcome()
    with socket.create_connection(address, timeout=POLL) as sock:
        reader = Reader(sock, start + POLL)
        if send_quietly(sock, probe):
            for piece in stream or []:
                if trickle is not None:
                    select.select([sock], [], [], trickle)
                if answered(sock) or not send_quietly(sock, piece):
                    break
        while (answer := reader.answer()) is not None:
            outcome.answers.append(answer)
            if outcome.end == "follow-up" and answer.body == HEALTHY:
                break
            if not answer.closes and outcome.end != "follow-up":
                outcome.end = "follow-up"
                if not send_quietly(sock, FOLLOW_UP):
                    # The server closed the connection after its answer (without saying so).
                    outcome.end = "closed"
                    break
        else:
            if reader.eof:
                outcome.end = "closed"
        if outcome.end == "follow-up" and not (
            outcome.answers and outcome.answers[-1].body == HEALTHY
        ):
            outcome.end = "closed" if reader.eof else "open"
    outcome.seconds = time.monotonic() - start
    return outcome
