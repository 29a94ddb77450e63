"""Every request gets an id: the client's ``X-Request-ID`` when it is sensible, else a new one.

It is put in the log context (``request_id`` of JSON log lines, SPEC §10.3), so a client that
sends its own id finds the server's log lines about its request. It is not echoed in the answer:
``GET BatchTask/{id}`` is answered by the fast lane, which must stay byte-identical to the
framework route and does not pay for an id of its own.
"""

from __future__ import annotations

import re
import uuid

from starlette.types import ASGIApp, Receive, Scope, Send

from batchtask.services import log_context

_SENSIBLE = re.compile(rb"[A-Za-z0-9._:-]{1,64}")


class RequestIdMiddleware:
    """Sets ``log_context.request_id`` for the request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((v for k, v in scope["headers"] if k == b"x-request-id"), None)
        value = (
            given if given is not None and _SENSIBLE.fullmatch(given) else uuid.uuid4().hex.encode()
        )
        token = log_context.request_id.set(value.decode("ascii"))
        try:
            await self.app(scope, receive, send)
        finally:
            log_context.request_id.reset(token)
