"""The console's static files: vendored and our own, served from the package, never a CDN.

Each file's URL carries a hash of its content (``/admin/static/console.js?v=1a2b3c4d``), so it
can be cached for a year and a new version is fetched the moment it changes. Only the files that
ship in ``static/`` are served; the list is read once.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response

from batchtask.http.errors import RouteNotFound

STATIC = Path(__file__).resolve().parent / "static"
_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}


@cache
def _files() -> dict[str, tuple[bytes, str, str]]:
    """name → (bytes, content type, short hash) of every servable file."""
    out = {}
    for entry in sorted(STATIC.iterdir()):
        kind = _TYPES.get(entry.suffix)
        if kind is None or not entry.is_file():
            continue
        data = entry.read_bytes()
        out[entry.name] = (data, kind, hashlib.sha256(data).hexdigest()[:12])
    return out


def asset_url(base: str, name: str) -> str:
    """The cache-busting URL of a static file."""
    return f"{base}/admin/static/{name}?v={_files()[name][2]}"


def asset_names() -> list[str]:
    """Every servable file."""
    return list(_files())


async def asset(request: Request) -> Response:
    """``GET /admin/static/{name}``: the file, cached for a year when the hash matches."""
    found = _files().get(request.path_params["name"])
    if found is None:
        raise RouteNotFound(path=request.url.path)
    data, kind, digest = found
    immutable = request.query_params.get("v") == digest
    return Response(
        data,
        media_type=kind,
        headers={
            "cache-control": "public, max-age=31536000, immutable" if immutable else "no-cache",
            "x-content-type-options": "nosniff",
        },
    )
