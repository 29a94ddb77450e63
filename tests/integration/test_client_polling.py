"""``wait()`` against a server without the live stream (an older batchtask, a proxy that buffers):
the client falls back to polling ``GET BatchTask/{id}``, blocking and awaitable alike.

The server here is a small loopback fake whose task moves one state per ``GET``.
"""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from typing import ClassVar

import pytest

from batchtask.client import AsyncClient, BatchTaskState, Client, WaitTimeout

pytestmark = pytest.mark.anyio
TASK = 5


class _NoStream(http.server.BaseHTTPRequestHandler):
    """``GET /api/v1/BatchTask/5``: the next of ``states`` each time (the last one repeats);
    ``GET …/stream``: a plain-text page, not an event stream."""

    states: ClassVar[list[str]] = []
    gets: ClassVar[int] = 0

    def do_GET(self) -> None:
        if self.path.endswith("/stream"):
            body, kind = b"no live stream here", "text/plain"
        else:
            cls = type(self)
            state = cls.states[min(cls.gets, len(cls.states) - 1)]
            cls.gets += 1
            carrier = {"Id": TASK, "Name": "batchtask.sleep", "State": state,
                       "ProgressPercent": 100 if state == "Succeeded" else 10}  # fmt: skip
            body, kind = json.dumps(carrier).encode(), "application/json"
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        del format, args


def _serve(states: list[str]) -> Iterator[str]:
    handler = type("Handler", (_NoStream,), {"states": states, "gets": 0})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def finishing() -> Iterator[str]:
    """A task that is New, then Started twice, then Succeeded."""
    yield from _serve(["New", "Started", "Started", "Succeeded"])


@pytest.fixture
def stuck() -> Iterator[str]:
    """A task that stays Started."""
    yield from _serve(["Started"])


def test_wait_polls_when_the_server_has_no_stream(finishing: str) -> None:
    """Every change reaches ``on_progress``; the end is the last snapshot."""
    seen: list[BatchTaskState] = []
    with Client(finishing, ticket="7T:x") as client:
        last = client.wait(TASK, timeout=30, on_progress=lambda info: seen.append(info.state))
    assert last.state is BatchTaskState.Succeeded
    assert seen == [BatchTaskState.New, BatchTaskState.Started, BatchTaskState.Succeeded]


def test_polling_gives_up_after_the_timeout(stuck: str) -> None:
    """A task that never ends: ``WaitTimeout`` with the last snapshot."""
    with Client(stuck, ticket="7T:x") as client, pytest.raises(WaitTimeout) as waited:
        client.wait(TASK, timeout=0.3)
    assert waited.value.last.state is BatchTaskState.Started


async def test_async_wait_polls_when_the_server_has_no_stream(finishing: str) -> None:
    """The awaitable client falls back the same way."""
    async with AsyncClient(finishing, ticket="7T:x") as client:
        last = await client.wait(TASK, timeout=30)
    assert last.state is BatchTaskState.Succeeded


async def test_async_polling_gives_up_after_the_timeout(stuck: str) -> None:
    """…and gives up the same way."""
    async with AsyncClient(stuck, ticket="7T:x") as client:
        with pytest.raises(WaitTimeout) as waited:
            await client.wait(TASK, timeout=0.3)
    assert waited.value.last.state is BatchTaskState.Started
