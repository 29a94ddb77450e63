"""URL matching as SuperOffice's ASP.NET routing does it, for the framework and the fast lane alike.

ASP.NET matches route templates case-insensitively and ignores one trailing slash, and clients
depend on both: the SuperOffice Python SDK posts to ``…/api/v1/BatchTask/``, hand-written
clients send ``/api/v1/batchtask/1`` (SPEC §1). So every route is compiled here, by one function,
into one pattern that

* ignores ASCII case only (``re.ASCII``: ``K`` never matches the Kelvin sign, ``s`` never ``ſ``),
* accepts one optional trailing slash,
* takes a parameter as one non-empty segment (anything but ``/``), and
* must match the *whole* path (``fullmatch``: ``$`` would also match before a final newline, so
  ``/BatchTask/1%0A`` would be task 1),

The ``/{ContextIdentifier}`` prefix of SuperOffice Online is not part of any template: the tenant
router (``tenancy.py``) strips it before routing, so one template serves every tenant. The fast lane matches ``GET BatchTask/{id}`` with the very pattern of the framework's
route (``TASK_PATTERN``), so the two lanes cannot disagree about which paths they serve.

A :class:`Resource` is one URL template with every method it serves. Starlette's ``Route`` is one
method set per object, so a 405 listed only the methods of the first route that matched the path
(``PATCH /api/v1/BatchTask`` answered ``Allow: GET, HEAD``); one object per URL lists them all.
``OPTIONS`` is answered for every resource (204 with ``Allow``); CORS preflights are answered
before routing (``cors.py``).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, NoMatchFound, request_response
from starlette.types import ASGIApp, Receive, Scope, Send

Endpoint = Callable[[Request], Awaitable[Response]]

_PARAMETER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
#: The order methods are listed in ``Allow``.
_ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def compile_template(template: str) -> re.Pattern[str]:
    """The pattern of ``template`` (``/api/v1/BatchTask/{id}``); use it with ``fullmatch``."""
    parts: list[str] = []
    position = 0
    for found in _PARAMETER.finditer(template):
        parts.append(re.escape(template[position : found.start()]))
        parts.append(f"(?P<{found.group(1)}>[^/]+)")
        position = found.end()
    rest = template[position:].rstrip("/")
    parts.append(re.escape(rest) + "/?")
    return re.compile("".join(parts), re.IGNORECASE | re.ASCII)


def path_parameters(pattern: re.Pattern[str], path: str) -> dict[str, str] | None:
    """The parameters of ``path``, or ``None``."""
    found = pattern.fullmatch(path)
    if found is None:
        return None
    return {key: value for key, value in found.groupdict().items() if value is not None}


TASK_TEMPLATE = "/api/v1/BatchTask/{id}"
#: ``GET BatchTask/{id}``'s pattern, shared by the framework route and the fast lane.
TASK_PATTERN = compile_template(TASK_TEMPLATE)


@dataclass(frozen=True, slots=True)
class _Method:
    endpoint: Endpoint
    app: ASGIApp


class Resource(BaseRoute):
    """One URL template and the endpoint of each method it serves."""

    def __init__(
        self,
        path: str,
        endpoints: Mapping[str, Endpoint],
        *,
        tenant: bool = False,
        pattern: re.Pattern[str] | None = None,
    ) -> None:
        self.path = path
        #: Documented under ``/{ContextIdentifier}`` too (the OpenAPI twins). The prefix itself is
        #: the tenant router's (``tenancy.py``), never part of ``pattern``.
        self.tenant = tenant
        self.pattern = pattern or compile_template(path)
        methods = {name.upper(): _Method(endpoint, request_response(endpoint))
                   for name, endpoint in endpoints.items()}  # fmt: skip
        if "GET" in methods and "HEAD" not in methods:
            methods["HEAD"] = methods["GET"]
        self._methods = methods
        #: The methods with an endpoint (``HEAD`` with ``GET``; ``OPTIONS`` is implicit).
        self.methods = set(methods)
        self.allow = ", ".join(m for m in _ORDER if m in methods or m == "OPTIONS")
        self._fallback = next(iter(methods.values())).endpoint

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        """FULL when the path matches and the method is served, PARTIAL for another method."""
        if scope["type"] != "http":
            return Match.NONE, {}
        params = path_parameters(self.pattern, scope["path"])
        if params is None:
            return Match.NONE, {}
        method = self._methods.get(scope["method"])
        endpoint = method.endpoint if method is not None else self._fallback
        child = {"endpoint": endpoint, "path_params": params}
        if method is None and scope["method"] != "OPTIONS":
            return Match.PARTIAL, child
        return Match.FULL, child

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The method's endpoint; 204 with ``Allow`` for ``OPTIONS``; else 405."""
        method = self._methods.get(scope["method"])
        if method is not None:
            await method.app(scope, receive, send)
            return
        if scope["method"] == "OPTIONS":
            await Response(status_code=204, headers={"allow": self.allow})(scope, receive, send)
            return
        raise HTTPException(status_code=405, headers={"Allow": self.allow})

    def url_path_for(self, name: str, /, **path_params: Any) -> Any:
        """Reverse routing is not used: no name ever matches."""
        raise NoMatchFound(name, path_params)

    def __repr__(self) -> str:
        return f"Resource(path={self.path!r}, methods={sorted(self.methods)!r})"
