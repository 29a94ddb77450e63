"""``/api/openapi.json`` and ``/api/docs``: the OpenAPI document and an interactive page for it.

The page is Swagger UI from files shipped in ``http/static`` (see its README): machines running
batchtask may be offline, so nothing is loaded from a CDN. Only the assets named in ``_ASSETS`` are
served -- no path from the request ever reaches the file system. Asset URLs carry a hash of their
content (``?v=…``), so they are cached for a year as immutable and a new release is still fetched
at once; the page and the document themselves are revalidated on every load.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from html import escape
from importlib.resources import files

from starlette.requests import Request
from starlette.responses import Response

from batchtask.http.errors import RouteNotFound
from batchtask.http.openapi import openapi_json
from batchtask.http.respond import context_of

STATIC_PATH = "/api/docs/static/"
OPENAPI_PATH = "/api/openapi.json"

_ASSETS = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "docs.js": "text/javascript; charset=utf-8",
    "favicon-32x32.png": "image/png",
    "swagger-ui-bundle.js.LICENSE.txt": "text/plain; charset=utf-8",
    "LICENSE.swagger-ui": "text/plain; charset=utf-8",
    "NOTICE.swagger-ui": "text/plain; charset=utf-8",
}
_IMMUTABLE = "public, max-age=31536000, immutable"
_REVALIDATE = "no-cache"
#: Swagger UI needs inline styles and ``data:`` images; scripts and fetches stay same-origin.
_PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'"
)


@dataclass(frozen=True, slots=True)
class Asset:
    """One static file, read once per process."""

    body: bytes
    media_type: str
    #: Strong validator and cache-busting token: the first 16 hex digits of its SHA-256.
    digest: str

    @property
    def etag(self) -> str:
        """The ``ETag`` header value."""
        return f'"{self.digest}"'


@cache
def asset_named(name: str) -> Asset | None:
    """The shipped asset called ``name``; ``None`` for any name not in the whitelist."""
    media_type = _ASSETS.get(name)
    if media_type is None:
        return None
    body = (files("batchtask.http") / "static" / name).read_bytes()
    return Asset(body, media_type, hashlib.sha256(body).hexdigest()[:16])


def _url(name: str) -> str:
    found = asset_named(name)
    assert found is not None  # noqa: S101 - only whitelisted names are linked
    return escape(f"{STATIC_PATH}{name}?v={found.digest}")


@cache
def docs_page() -> bytes:
    """The HTML of ``/api/docs``: local assets only, and no inline script."""
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>batchtask API</title>
<link rel="icon" type="image/png" href="{_url("favicon-32x32.png")}">
<link rel="stylesheet" href="{_url("swagger-ui.css")}">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{OPENAPI_PATH}"></div>
<script src="{_url("swagger-ui-bundle.js")}"></script>
<script src="{_url("docs.js")}"></script>
</body>
</html>
""".encode()


def _not_modified(request: Request, etag: str) -> bool:
    wanted = request.headers.get("if-none-match", "")
    return etag in (tag.strip() for tag in wanted.split(",")) or wanted.strip() == "*"


async def openapi(request: Request) -> Response:
    """``GET /api/openapi.json``: the document for this server's settings (built once)."""
    settings = context_of(request).settings
    body = openapi_json(settings.context_identifier, basic_auth=settings.basic_auth)
    return Response(
        body,
        media_type="application/json; charset=utf-8",
        headers={"cache-control": _REVALIDATE},
    )


async def page(request: Request) -> Response:
    """``GET /api/docs``: Swagger UI on ``/api/openapi.json``."""
    return Response(
        docs_page(),
        media_type="text/html; charset=utf-8",
        headers={
            "cache-control": _REVALIDATE,
            "content-security-policy": _PAGE_POLICY,
            "x-content-type-options": "nosniff",
            "referrer-policy": "no-referrer",
        },
    )


async def asset(request: Request) -> Response:
    """``GET /api/docs/static/{name}``: one shipped asset, or the 404 error body."""
    found = asset_named(request.path_params["name"])
    if found is None:
        raise RouteNotFound(path=request.url.path)
    headers = {"cache-control": _IMMUTABLE, "etag": found.etag, "x-content-type-options": "nosniff"}
    if _not_modified(request, found.etag):
        return Response(status_code=304, headers=headers)
    return Response(found.body, media_type=found.media_type, headers=headers)
