"""``TenantRouter``: which tenant a request addresses, and its path without the tenant prefix.

SuperOffice Online puts the customer in the path: ``/Cust12345/api/v1/BatchTask/7``. Every other
layer should not have to know that, so this ASGI layer, the first after the connection guard,

* reads ``/{ContextIdentifier}`` off the front of ``/{ctx}/api/…``, ``/{ctx}/admin/…``,
  ``/{ctx}/login`` and ``/{ctx}/logout`` (any case, as ASP.NET compares paths) and strips it from
  ``scope["path"]`` and ``scope["raw_path"]``, so the fast lane, the routes and the emulator's
  layers all match the same unprefixed templates (one matcher, ``routing.py``);
* puts the tenant in the scope: ``scope["batchtask.tenant"]`` (the canonical ContextIdentifier),
  ``scope["batchtask.services"]`` (its ``Services``) and ``scope["batchtask.prefix"]`` (``"/Cust12345"``
  as sent, or ``""``); every other path is the default tenant's;
* answers an unknown tenant itself: 404 with SuperOffice's error body.

A first segment the server itself uses (``api``, ``admin``, …; ``domain.tenant.RESERVED``) is never
a ContextIdentifier, so ``/admin/api/tasks`` is the default tenant's admin API, not tenant
``admin``'s ``/api/tasks``.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from batchtask.domain.errors import DomainError
from batchtask.domain.tenant import RESERVED
from batchtask.http.errors import RouteNotFound, error_response_parts
from batchtask.http.headers import RequestHeaders
from batchtask.http.query_string import parse_query
from batchtask.http.request_options import media_type, translator
from batchtask.http.task_read import unexpected_error

#: ``/{ctx}`` then one of the server's tenant-scoped roots.
PREFIX = re.compile(
    r"/(?P<context>[A-Za-z0-9]+)(?P<rest>/(?:api|admin)(?:/.*)?|/login/?|/logout/?)",
    re.IGNORECASE | re.ASCII | re.DOTALL,
)
TENANT = "batchtask.tenant"
SERVICES = "batchtask.services"
PREFIX_KEY = "batchtask.prefix"


def split_tenant(path: str) -> tuple[str, str] | None:
    """``(ctx, rest)`` of a tenant-prefixed path, or ``None`` for a path of the default tenant."""
    found = PREFIX.fullmatch(path)
    if found is None or found.group("context").lower() in RESERVED:
        return None
    return found.group("context"), found.group("rest")


class TenantRouter:
    """ASGI layer: resolve the tenant, strip its prefix, or answer 404 for an unknown one."""

    def __init__(self, app: ASGIApp, state: Any) -> None:
        self.app = app
        #: The framework app's state: ``state.tenants`` is the ``TenantDirectory`` once started.
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        directory = getattr(self.state, "tenants", None)
        if scope["type"] != "http" or directory is None:
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        split = None if path.startswith(("/api/", "/admin/")) else split_tenant(path)
        if split is None:
            scope[TENANT] = directory.default_context
            scope[SERVICES] = directory.default
            scope[PREFIX_KEY] = ""
            await self.app(scope, receive, send)
            return
        context, rest = split
        services = directory.cached(context)
        if services is None:
            try:
                services = await directory.get(context)
            except DomainError as error:
                if error.code == "tenant_not_found":
                    error = RouteNotFound(path=path)
                await _answer(scope, send, error)
                return
            except Exception as exc:  # the directory's database failed: the 500 error object
                await _answer(scope, send, exc)
                return
        scope[TENANT] = services.settings.context_identifier
        scope[SERVICES] = services
        scope[PREFIX_KEY] = path[: len(path) - len(rest)]
        scope["path"] = rest
        raw = scope.get("raw_path")
        if raw:
            scope["raw_path"] = raw[raw.find(b"/", 1) :]
        await self.app(scope, receive, send)


async def _answer(scope: Scope, send: Send, error: Exception) -> None:
    headers = RequestHeaders.from_scope(scope["headers"])
    query = parse_query(scope.get("query_string", b""))
    if isinstance(error, DomainError):
        status, raw, body = error_response_parts(
            error, translator(headers), media_type(headers, query)
        )
    else:
        status, raw, body = unexpected_error(
            scope["method"], scope["path"], error, headers, query, basic_enabled=True
        )
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-length", str(len(body)).encode()), *raw],
        }
    )
    await send({"type": "http.response.body", "body": body})
