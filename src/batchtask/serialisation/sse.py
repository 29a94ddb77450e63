"""Server-Sent Events framing (the WHATWG ``text/event-stream`` format) of the live stream.

Each event is ``id:`` (task events only: the change number a client resumes from), ``event:``
and one ``data:`` line of compact JSON (JSON never contains a raw newline). Comments keep idle
connections open through proxies.
"""

from __future__ import annotations

from typing import Any

from batchtask.serialisation.render import render_json

#: Sent first: how long a browser waits before reconnecting (milliseconds).
RETRY = b"retry: 2000\n\n"
KEEPALIVE = b": keepalive\n\n"


def frame(kind: str, data: Any, event_id: int | None = None) -> bytes:
    """One event, ready to write."""
    head = b"" if event_id is None else b"id: %d\n" % event_id
    return head + b"event: " + kind.encode("ascii") + b"\ndata: " + render_json(data) + b"\n\n"
