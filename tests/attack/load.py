"""Cheap HTTP/1.1 load from the test process: raw keep-alive connections on asyncio streams.

The server shares two cores with the test, so the client must cost little: requests are
prebuilt bytes, answers are parsed only as far as status and ``Content-Length``. Latency figures
are percentiles computed here (nearest rank), and process memory is read from ``/proc``.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.reliability.processes import descendants

#: Seconds one request may take before it counts as unanswered.
LIMIT = 30.0


def request(method: str, path: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    """The bytes of one keep-alive request."""
    lines = [f"{method} {path} HTTP/1.1", "Host: load", *(f"{k}: {v}" for k, v in headers.items())]
    if body or method in {"POST", "PUT"}:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class Connection:
    """One keep-alive connection; reopened when the server closes it."""

    def __init__(self, address: tuple[str, int]) -> None:
        self.address = address
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def send(self, data: bytes) -> tuple[int, bytes]:
        """Status and body of the answer to ``data`` (status 0: no answer within ``LIMIT`` s,
        connection lost)."""
        try:
            return await asyncio.wait_for(self._exchange(data), LIMIT)
        except (OSError, asyncio.IncompleteReadError, TimeoutError):
            await self.close()
            return 0, b""

    async def _exchange(self, data: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(*self.address)
        assert self.reader is not None
        self.writer.write(data)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        length, close = 0, False
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
            elif name.strip().lower() == "connection" and value.strip().lower() == "close":
                close = True
        body = await self.reader.readexactly(length)
        if close:
            await self.close()
        return status, body

    async def close(self) -> None:
        """Close it (a later ``send`` reconnects)."""
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None


@dataclass
class Latencies:
    """Seconds per request and the statuses seen."""

    seconds: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)

    def add(self, seconds: float, status: int) -> None:
        self.seconds.append(seconds)
        self.statuses[status] = self.statuses.get(status, 0) + 1

    def percentile(self, share: float) -> float:
        """Nearest-rank percentile (``share`` in 0..1), in seconds."""
        ordered = sorted(self.seconds)
        return ordered[max(0, math.ceil(share * len(ordered)) - 1)]

    def summary(self) -> str:
        ms = {p: self.percentile(p / 100) * 1000 for p in (50, 99)}
        return f"n={len(self.seconds)} p50={ms[50]:.1f} ms p99={ms[99]:.1f} ms {self.statuses}"


async def timed(connection: Connection, data: bytes, into: Latencies) -> tuple[int, bytes]:
    """Send one request, recording its latency and status."""
    start = time.perf_counter()
    status, body = await connection.send(data)
    into.add(time.perf_counter() - start, status)
    return status, body


def rss_bytes(pid: int) -> int:
    """Resident memory of ``pid`` and all its descendants (granian's workers), from ``/proc``."""
    total = 0
    for each in [pid, *descendants(pid)]:
        try:
            status = Path(f"/proc/{each}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) * 1024
    return total


def load_average() -> str:
    """The machine's 1-minute load average and core count, for the figures printed."""
    import os  # noqa: PLC0415

    return f"load {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores"
