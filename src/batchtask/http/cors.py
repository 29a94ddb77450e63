"""CORS: browser pages on other origins calling the API (reference §5.2, ``CORSEnable``/``CORSOrigin``).

SuperOffice's Web API answers cross-origin calls when ``CORSEnable`` is on (the default) for the
origins listed in ``CORSOrigin`` (space-separated, ``*`` allowed). batchtask reads the same two
knobs as ``BATCHTASK_CORS_ENABLE`` and ``BATCHTASK_CORS_ORIGINS``; with no origins listed nothing
is allowed, so a default server stays closed to other origins.

What a browser gets:

* an origin listed by name gets itself back in ``Access-Control-Allow-Origin`` with
  ``Access-Control-Allow-Credentials: true`` (clients that set ``withCredentials`` work) and
  ``Vary: Origin``;
* an origin allowed only through ``*`` gets ``*`` and **never** ``Allow-Credentials``: a wildcard
  with credentials would hand every site the caller's cookies;
* ``Access-Control-Expose-Headers`` names the non-safelisted headers clients read (the 401
  challenge, ``Retry-After`` of a 429, the ``Allow`` of a 405, file names);
* a preflight (``OPTIONS`` with ``Access-Control-Request-Method``) from an allowed origin is
  answered 204 with the methods and request headers the API understands, cached for ten
  minutes; from any other origin it is the 403 error object without CORS headers.

CORS only tells the browser whether a page may *read* an answer; it never authenticates. A
cross-site request carrying a session cookie or Basic credentials is still refused by
``authentication.py`` whatever this policy says; a ticket or token is what a page on another
origin sends.

The fast lane decorates its answers with the same :meth:`CorsPolicy.decorate` as the middleware,
and only when the request has an ``Origin`` header, so requests without one pay nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from batchtask.domain.errors import Forbidden
from batchtask.http.errors import error_response_parts
from batchtask.http.headers import RequestHeaders
from batchtask.http.query_string import parse_query
from batchtask.http.request_options import media_type, translator

RawHeaders = list[tuple[bytes, bytes]]

METHODS = "GET, HEAD, POST, PUT, DELETE"
#: Request headers the API reads (the safelisted ones need no mention, but clients name them).
REQUEST_HEADERS = (
    "Authorization, Accept, Accept-Language, Content-Type, SO-Language, SO-Culture, "
    "SO-TimeZone, SO-AppToken, X-XSRF-TOKEN, X-Requested-With"
)
EXPOSED = "WWW-Authenticate, Retry-After, Allow, Content-Disposition"
MAX_AGE = "600"


def normalise_origin(origin: str) -> str:
    """``scheme://host[:port]`` in lower case, without a trailing slash (how browsers send it)."""
    return origin.strip().rstrip("/").lower()


@dataclass(frozen=True, slots=True)
class CorsPolicy:
    """Which origins may read answers, and the headers that tell the browser so."""

    enabled: bool = False
    #: Origins listed by name (normalised).
    named: frozenset[str] = frozenset()
    #: ``*`` was listed: any origin may read, without credentials.
    wildcard: bool = False

    @classmethod
    def of(cls, enabled: bool, origins: Iterable[str]) -> CorsPolicy:
        """The policy for the settings ``CORS_ENABLE`` and ``CORS_ORIGINS``."""
        listed = {normalise_origin(origin) for origin in origins}
        return cls(enabled and bool(listed), frozenset(listed - {"*"}), "*" in listed)

    def allow_origin(self, origin: str) -> bytes | None:
        """The ``Access-Control-Allow-Origin`` value for ``origin``, or ``None`` when refused."""
        if not self.enabled:
            return None
        normal = normalise_origin(origin)
        if normal in self.named:
            return origin.strip().encode("latin-1")
        if self.wildcard:
            return b"*"
        return None

    def decorate(self, headers: RawHeaders, origin: str) -> RawHeaders:
        """``headers`` of an answer to ``origin``, with the CORS headers when it is allowed."""
        allowed = self.allow_origin(origin)
        if allowed is None:
            return headers
        out = [(b"access-control-allow-origin", allowed),
               (b"access-control-expose-headers", EXPOSED.encode())]  # fmt: skip
        if allowed != b"*":
            out.append((b"access-control-allow-credentials", b"true"))
            return _vary_origin(headers) + out
        return headers + out

    def preflight(self, origin: str) -> RawHeaders | None:
        """Headers of the 204 answering a preflight from ``origin``; ``None`` when refused."""
        allowed = self.allow_origin(origin)
        if allowed is None:
            return None
        headers = [
            (b"access-control-allow-origin", allowed),
            (b"access-control-allow-methods", METHODS.encode()),
            (b"access-control-allow-headers", REQUEST_HEADERS.encode()),
            (b"access-control-max-age", MAX_AGE.encode()),
            (b"vary", b"Origin, Access-Control-Request-Method, Access-Control-Request-Headers"),
        ]
        if allowed != b"*":
            headers.append((b"access-control-allow-credentials", b"true"))
        return headers


def _vary_origin(headers: RawHeaders) -> RawHeaders:
    out: RawHeaders = []
    seen = False
    for name, value in headers:
        if name.lower() == b"vary":
            seen = True
            out.append((name, value + b", Origin" if value.strip() else b"Origin"))
        else:
            out.append((name, value))
    if not seen:
        out.append((b"vary", b"Origin"))
    return out


class CorsRefused(Forbidden):
    """This origin may not call the API from a browser."""

    resource = "SR_ERROR_CORS_ORIGIN_REFUSED"


class CorsMiddleware:
    """Answers preflights and decorates the framework's answers to requests with an ``Origin``."""

    def __init__(self, app: ASGIApp, state: object) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        policy: CorsPolicy | None = getattr(self.state, "cors", None)
        origin = _origin(scope) if scope["type"] == "http" and policy is not None else None
        if origin is None or policy is None or not policy.enabled:
            await self.app(scope, receive, send)
            return
        if scope["method"] == "OPTIONS" and _has(scope, b"access-control-request-method"):
            await _preflight(policy, origin, scope, send)
            return

        async def decorated(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = policy.decorate(list(message.get("headers", [])), origin)
            await send(message)

        await self.app(scope, receive, decorated)


async def _preflight(policy: CorsPolicy, origin: str, scope: Scope, send: Send) -> None:
    headers = policy.preflight(origin)
    body = b""
    status = 204
    if headers is None:
        request = RequestHeaders.from_scope(scope["headers"])
        query = parse_query(scope.get("query_string", b""))
        status, headers, body = error_response_parts(
            CorsRefused(
                f"The origin {origin[:200]} may not call this API from a browser.",
                origin=origin[:200],
            ),
            translator(request),
            media_type(request, query),
        )
    headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _origin(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"origin":
            return bytes(value).decode("latin-1")
    return None


def _has(scope: Scope, wanted: bytes) -> bool:
    return any(name == wanted for name, _ in scope["headers"])
