"""The emulator's request layer: faults and the request journal, in front of both lanes.

It wraps the fast lane, so ``GET BatchTask/{id}`` answered there meets the same faults and lands
in the same journal as every framework request. It exists only with ``serve --emulator``;
without it the fast lane's path is untouched.

Which tenant a request belongs to: the tenant the tenant router put in the scope
(``batchtask.tenant``, with the prefix already stripped) when there is one, else the
``/{ctx}`` prefix of the path when it names a tenant we serve, else the default tenant. Faults
match, and the journal records, the path without that prefix. The controls themselves
(``/_batchtask/…``) are never journaled or faulted.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from batchtask.domain.errors import (
    AuthenticationFailed,
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    StorageUnavailable,
    Throttled,
)
from batchtask.http.errors import error_response_parts
from batchtask.http.headers import RequestHeaders
from batchtask.http.query_string import parse_query
from batchtask.http.request_options import media_type, translator
from batchtask.serialisation.render import render_json
from batchtask.services.emulator.faults import FaultSpec
from batchtask.services.emulator.journal import JournalEntry
from batchtask.services.emulator.state import EmulatorState

CONTROL_PREFIX = "/_batchtask"
#: The ErrorType SuperOffice reports for a status, for injected faults without a Body.
_ERROR_TYPES: dict[int, type[DomainError]] = {
    400: InvalidInput,
    401: AuthenticationFailed,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    429: Throttled,
    503: StorageUnavailable,
}
_SEGMENTS_AFTER_TENANT = frozenset({"api", "admin", "login", "logout"})


def _injected_error(status: int) -> DomainError:
    """The domain error whose ErrorType SuperOffice reports for ``status``."""
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    message = f"{phrase} (a fault injected by the emulator)"
    if status == 429:
        return Throttled(retry_after=1)
    return _ERROR_TYPES.get(status, DomainError)(message)


def fault_answer(spec: FaultSpec, scope: Scope) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """Status, headers and body an injected fault answers with.

    Without a ``Body``, a status of 400 or more answers SuperOffice's error object, negotiated
    (JSON or XML, translated) like every other error, with the challenge of a 401 and the
    ``Retry-After`` of a 429; a string ``Body`` is sent as text, any other as JSON.
    """
    status = spec.status or 500
    if spec.body is None and status < 400:
        return status, [], b""
    if spec.body is None:
        headers = RequestHeaders.from_scope(scope["headers"])
        query = parse_query(scope.get("query_string", b""))
        try:
            media = media_type(headers, query)
        except DomainError:  # an Accept nothing satisfies: the fault still answers, in JSON
            media = media_type(RequestHeaders(), parse_query(b""))
        _, raw, body = error_response_parts(_injected_error(status), translator(headers), media)
        return status, raw, body
    if isinstance(spec.body, str):
        return status, [(b"content-type", b"text/plain; charset=utf-8")], spec.body.encode()
    return status, [(b"content-type", b"application/json; charset=utf-8")], render_json(spec.body)


class EmulatorLayer:
    """ASGI wrapper that fires faults and keeps the journal of each tenant."""

    def __init__(
        self,
        app: ASGIApp,
        emulator: EmulatorState,
        default_context: str,
        served: Callable[[str], bool] | None = None,
    ) -> None:
        self.app = app
        self.emulator = emulator
        self.default_context = default_context
        #: Whether a path prefix names a tenant of this server (without a tenant router).
        self.served = served or (lambda ctx: ctx.casefold() == default_context.casefold())

    def tenant_path(self, scope: Scope) -> tuple[str, str]:
        """The request's tenant and its path without the ``/{ctx}`` prefix."""
        path: str = scope["path"]
        routed = scope.get("batchtask.tenant")
        if isinstance(routed, str):
            return routed, path
        head, _, rest = path[1:].partition("/")
        after = rest.partition("/")[0].casefold()
        if rest and after in _SEGMENTS_AFTER_TENANT and self.served(head):
            return head, "/" + rest
        return self.default_context, path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].casefold().startswith(CONTROL_PREFIX):
            await self.app(scope, receive, send)
            return
        ctx, path = self.tenant_path(scope)
        controls = self.emulator.controls(ctx)
        started = time.perf_counter()
        at = controls.clock.now()
        method: str = scope["method"]
        status = 500
        recorded = False

        def record() -> None:
            nonlocal recorded
            if recorded:
                return
            recorded = True
            controls.journal.record(
                JournalEntry(
                    at=at,
                    method=method,
                    path=path,
                    query=scope.get("query_string", b"").decode("latin-1"),
                    status=status,
                    duration_ms=(time.perf_counter() - started) * 1000,
                    raw_headers=tuple(scope["headers"]),
                )
            )

        try:
            spec = controls.faults.fire(method, path)
            if spec is not None:
                if spec.latency_ms:
                    await asyncio.sleep(spec.latency_ms / 1000)
                if spec.status is not None:
                    status, raw, body = fault_answer(spec, scope)
                    await _answer(send, status, raw, body)
                    return

            async def watch(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = int(message["status"])
                    record()
                await send(message)

            await self.app(scope, receive, watch)
        finally:
            record()


async def _answer(send: Send, status: int, raw: list[tuple[bytes, bytes]], body: bytes) -> None:
    headers: list[Any] = [(b"content-length", str(len(body)).encode()), *raw]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
