"""Building responses: one place that sets ``Content-Type``, ``Vary`` and the error shape."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from batchtask.domain.errors import DomainError
from batchtask.http.errors import error_response_parts
from batchtask.http.headers import RequestHeaders
from batchtask.http.negotiation import CACHE_CONTROL, VARY, MediaType
from batchtask.http.query_string import Query, parse_query
from batchtask.http.request_options import media_type, translator
from batchtask.http.tenancy import PREFIX_KEY, SERVICES
from batchtask.serialisation.render import ArrayChunks, render, render_json
from batchtask.services.container import Services
from batchtask.services.tenants import TenantDirectory

T = TypeVar("T")


def headers_of(request: Request) -> RequestHeaders:
    """The request's headers, parsed once and kept on the request."""
    parsed: RequestHeaders | None = request.scope.get("batchtask.headers")
    if parsed is None:
        parsed = RequestHeaders.from_scope(
            request.scope["headers"], request.scope.get("scheme", "http")
        )
        request.scope["batchtask.headers"] = parsed
    return parsed


def query_of(request: Request) -> Query:
    """The request's query parameters (``query_string`` rules), parsed once per request."""
    parsed: Query | None = request.scope.get("batchtask.query")
    if parsed is None:
        parsed = parse_query(request.scope.get("query_string", b""))
        request.scope["batchtask.query"] = parsed
    return parsed


def base_url(request: Request) -> str:
    """``scheme://host[:port]`` as the client addressed us, plus the ``/{ContextIdentifier}``
    prefix when the path had one: the root of the absolute URLs an answer hands out."""
    prefix: str = request.scope.get(PREFIX_KEY, "")
    return f"{request.url.scheme}://{request.url.netloc}{prefix}"


def context_of(request: Request) -> Services:
    """The services of the request's tenant (``tenancy.TenantRouter``; the default tenant's when
    the router did not run)."""
    ctx: Services | None = request.scope.get(SERVICES)
    if ctx is None:
        ctx = request.app.state.ctx
    return ctx


def tenant_of(request: Request) -> str:
    """The request's ContextIdentifier (canonical spelling)."""
    return context_of(request).settings.context_identifier


def directory_of(request: Request) -> TenantDirectory:
    """Every tenant of the server (the emulator's controls create, reset and remove them)."""
    directory: TenantDirectory = request.app.state.tenants
    return directory


def client_address(request: Request) -> str:
    """The peer address (used by the login throttle)."""
    client = request.scope.get("client")
    return str(client[0]) if client else "unknown"


def wire_response(
    value: Any, media: MediaType, *, root: str, item: str | None = None, status: int = 200
) -> Response:
    """A negotiated JSON/XML response of a wire value."""
    body = render(value, xml=media.is_xml, root=root, item=item)
    return Response(
        body,
        status_code=status,
        headers={
            "content-type": media.content_type.decode(),
            "vary": VARY,
            "cache-control": CACHE_CONTROL,
        },
    )


async def wire_list_response(
    pages: AsyncIterator[list[T]],
    wire: Callable[[list[T]], list[Any]],
    media: MediaType,
    *,
    root: str,
    item: str,
) -> Response:
    """A negotiated JSON/XML array of every entry of ``pages``, each page turned by ``wire``.

    One page: an ordinary answer with ``Content-Length``. More: the array is streamed a page at a
    time (chunked), so memory holds a page or two however long the list (issue 11 #6; the bytes
    are those of the whole list rendered at once). The first two pages are read before anything
    is sent, so a failing read still gets its error answer; a read failing later cuts the stream.
    """
    first: list[T] = await anext(pages, [])
    second = await anext(pages, None)
    if second is None:
        return wire_response(wire(first), media, root=root, item=item)
    held = [first, second]
    chunks = ArrayChunks(xml=media.is_xml, root=root, item=item)

    async def body() -> AsyncIterator[bytes]:
        yield chunks.start()
        while held:
            yield chunks.page(wire(held.pop(0)))
        async for page in pages:
            yield chunks.page(wire(page))
        yield chunks.end()

    return StreamingResponse(
        body(),
        headers={
            "content-type": media.content_type.decode(),
            "vary": VARY,
            "cache-control": CACHE_CONTROL,
        },
    )


def error_response(request: Request, error: DomainError) -> Response:
    """The SuperOffice error object for ``error``, negotiated and translated for this request."""
    headers = headers_of(request)
    media = media_type(headers, query_of(request))
    ctx: Services | None = request.scope.get(SERVICES) or getattr(request.app.state, "ctx", None)
    basic = ctx.settings.basic_auth if ctx is not None else True
    status, raw, body = error_response_parts(error, translator(headers), media, basic_enabled=basic)
    response = Response(body, status_code=status)
    response.raw_headers = [h for h in response.raw_headers if h[0] != b"content-type"] + raw
    return response


def json_response(value: Any, *, status: int = 200) -> Response:
    """A JSON answer of the admin API (never cached: it is live data)."""
    return Response(
        render_json(value),
        status_code=status,
        headers={
            "content-type": "application/json; charset=utf-8",
            "vary": VARY,
            "cache-control": "no-store",
        },
    )
