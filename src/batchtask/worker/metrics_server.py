"""``batchtask worker --metrics-port N``: the worker's own ``/metrics`` (SPEC §10.3).

A worker without the HTTP API still has numbers worth scraping: its claims, retries, lost leases
and attempt durations, and the queue figures (read from the database at scrape time). A few lines
of asyncio serve ``GET /metrics`` on the worker's own event loop, so the figures are read with
the same connection pool and nothing runs in another thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from batchtask.serialisation.prometheus import QueueCollector, RuntimeCollector
from batchtask.services.runtime_metrics import QueueSnapshot, RuntimeMetrics

log = logging.getLogger("batchtask.worker")
#: Longest request line and headers read from a scraper.
_LIMIT = 8192


class MetricsServer:
    """``GET /metrics`` on ``host:port``; anything else is a 404."""

    def __init__(self, metrics: RuntimeMetrics, snapshot: QueueSnapshot) -> None:
        self._snapshot = snapshot
        self.registry = CollectorRegistry()
        self.registry.register(RuntimeCollector(metrics))
        self.registry.register(QueueCollector(snapshot))
        self._server: asyncio.base_events.Server | None = None

    async def start(self, host: str, port: int) -> int:
        """Listen; the port actually bound (``port`` 0 picks a free one)."""
        self._server = await asyncio.start_server(self._answer, host, port, limit=_LIMIT)
        bound: int = self._server.sockets[0].getsockname()[1]
        return bound

    async def close(self) -> None:
        """Stop listening."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await asyncio.wait_for(reader.readline(), 10)
            while (await asyncio.wait_for(reader.readline(), 10)) not in (b"\r\n", b"\n", b""):
                pass
            parts = request.split()
            if len(parts) >= 2 and parts[0] == b"GET" and parts[1].split(b"?")[0] == b"/metrics":
                try:
                    await self._snapshot.refresh()
                except Exception as exc:  # database away: serve the worker's own counters
                    log.warning("queue figures not read for /metrics (%s)", exc)
                body, status = generate_latest(self.registry), b"200 OK"
                kind = CONTENT_TYPE_LATEST.encode()
            else:
                body, status, kind = b"not found\n", b"404 Not Found", b"text/plain"
            writer.write(
                b"HTTP/1.1 " + status + b"\r\nContent-Type: " + kind
                + b"\r\nContent-Length: " + str(len(body)).encode()
                + b"\r\nConnection: close\r\n\r\n" + body
            )  # fmt: skip
            await writer.drain()
        except (TimeoutError, ConnectionError, asyncio.LimitOverrunError, ValueError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
