"""A small Server-Sent Events reader over a raw asyncio connection.

Cheap enough to hold hundreds of streams open from one test (httpx costs about a millisecond of
CPU per request and a thread per blocking stream); it speaks just what the server sends: HTTP/1.1,
chunked transfer encoding, ``id:``/``event:``/``data:`` lines and ``:`` comments.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit


@dataclass(frozen=True, slots=True)
class Event:
    """One event as received."""

    name: str
    data: Any
    id: str | None


class SseClient:
    """One open stream."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.status = 0
        self._buffer = b""
        self._ended = False

    @classmethod
    async def open(
        cls, base_url: str, path: str, headers: dict[str, str], *, receive_buffer: int | None = None
    ) -> SseClient:
        """Connect, send the request and read the status line and headers."""
        parts = urlsplit(base_url)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if receive_buffer is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, (parts.hostname, parts.port))
        limit = 2**16 if receive_buffer is None else receive_buffer
        reader, writer = await asyncio.open_connection(sock=sock, limit=limit)
        lines = [f"GET {path} HTTP/1.1", f"Host: {parts.netloc}", "Accept: text/event-stream"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        await writer.drain()
        client = cls(reader, writer)
        status_line = await reader.readline()
        client.status = int(status_line.split()[1])
        while (await reader.readline()) not in (b"\r\n", b""):
            pass
        return client

    async def _more(self) -> bool:
        """Append the next chunk of the chunked body; False at its end."""
        if self._ended:
            return False
        size_line = await self.reader.readline()
        if not size_line:
            self._ended = True
            return False
        size = int(size_line.strip() or b"0", 16)
        if size == 0:
            self._ended = True
            return False
        self._buffer += await self.reader.readexactly(size)
        await self.reader.readexactly(2)
        return True

    async def next(self, seconds: float = 10.0) -> Event | None:
        """The next event (comments skipped); ``None`` when the stream ended."""
        async with asyncio.timeout(seconds):
            while True:
                while b"\n\n" not in self._buffer:
                    if not await self._more():
                        return None
                block, self._buffer = self._buffer.split(b"\n\n", 1)
                name, data, event_id = "message", "", None
                for line in block.decode().split("\n"):
                    if line.startswith(":"):
                        continue
                    field, _, value = line.partition(":")
                    value = value[1:] if value.startswith(" ") else value
                    if field == "event":
                        name = value
                    elif field == "data":
                        data = value
                    elif field == "id":
                        event_id = value
                if data:
                    return Event(name, json.loads(data), event_id)

    async def until(self, match: Any, seconds: float = 10.0) -> Event:
        """Read until an event satisfies ``match(event)``; that event."""
        async with asyncio.timeout(seconds):
            while True:
                event = await self.next(seconds)
                if event is None:
                    raise EOFError("the stream ended")
                if match(event):
                    return event

    async def close(self) -> None:
        """Close the connection."""
        self.writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await self.writer.wait_closed()
