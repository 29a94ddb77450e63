"""``GET /api`` (the version block) and ``GET /api/v1`` (the supported URLs), reference §5.1 (VER).

SuperOffice answers ``/api`` with its version block -- as HTML "if you don't ask specifically",
as JSON when asked -- and ``/api/v1`` with every URL it serves mapped to the methods and a line
of documentation each, so a client can check for features. batchtask does the same for what it
serves: the keys are absolute URLs on the host (and ``/{ContextIdentifier}`` prefix) the request
came in on, templates in braces as SuperOffice writes them, and agent calls list their simple
parameters first (``?id={id}   Get a BatchTaskInfo by id.``).

Both are anonymous, like the OpenAPI document: they describe the server, not anyone's data.
XML cannot use URLs as element names, so ``/api/v1`` in XML is a list of ``KeyValuePair``
entries (``Key`` the URL, ``Value`` one element per method); ``/api`` is one element per key.
"""

from __future__ import annotations

from html import escape

from starlette.requests import Request
from starlette.responses import Response

from batchtask import __version__
from batchtask.http.negotiation import negotiate_data
from batchtask.http.query_string import query_value
from batchtask.http.request_options import media_type
from batchtask.http.respond import base_url, headers_of, query_of, wire_response
from batchtask.http.routes.agents import AGENT_CALLS
from batchtask.serialisation.wire import KeyValues

#: The SOAP services generation the Batch agent follows (reference §0: Services88).
SERVICES = "Services88"
#: The date of this version; bumped with ``__version__`` at each release.
RELEASE_DATE = "2026-12-04"

#: REST URLs under ``/api/v1`` and what each method does (REST-IDX, ARCH, META wording).
REST_URLS: tuple[tuple[str, dict[str, str]], ...] = (
    (
        "BatchTask",
        {
            "GET": "OData list of all Batch, from the BatchTasks archive provider.",
            "POST": "Start a batch job based on BatchTaskInfo. Returns the id of the new task.",
        },
    ),
    (
        "BatchTask/{id}",
        {
            "GET": "Gets a BatchTaskInfo by id, or an array of user BatchTaskInfo when {id} is a "
            "BatchTaskState (Unknown, New, Aquired, Started, Succeeded, Failed, "
            "SucceededManualCleanup, All).",
            "PUT": "Update a BatchTask. Only State, Description, Response and Request change.",
            "DELETE": "Delete a batch task from the database.",
        },
    ),
    ("BatchTask/{id}/Stop", {"POST": "Stop a batch job by id. Returns true if it was stopped."}),
    (
        "Archive/{archiveProviderName}",
        {"GET": "Returns the archive provider (BatchTasks) in OData format."},
    ),
    (
        "Archive/{archiveProviderName}$metadata",
        {"GET": "Describes the columns of the archive provider (BatchTasks)."},
    ),
)


def version_block(v1: str) -> dict[str, str]:
    """The ``/api`` block (keys in the order of SuperOffice's current sample)."""
    major, minor, *_ = (*__version__.split("."), "0", "0")
    return {
        "v1": v1,
        "NetServerVersion": __version__,
        "NetServerAssembly": f"{major}.{minor}.0.0",
        "NetServerDate": RELEASE_DATE,
        "NetServerLabel": f"batchtask-{__version__}",
        "NetServer": f"batchtask {__version__} (SuperOffice BatchTask Web API)",
        "Services": SERVICES,
        "ServicesCurrent": SERVICES,
        "Version": "v1",
    }


def supported_urls(v1: str) -> KeyValues:
    """Every URL under ``v1`` and its methods, REST first, then the 15 agent calls."""
    entries: dict[str, dict[str, str]] = {f"{v1}/{path}": methods for path, methods in REST_URLS}
    for call in AGENT_CALLS:
        entries[f"{v1}/Agents/Batch/{call.name}"] = {"POST": call.listing}
    return KeyValues(entries)


def _html(block: dict[str, str]) -> bytes:
    rows = "".join(
        f"<tr><th>{escape(key)}</th><td>{escape(value)}</td></tr>" for key, value in block.items()
    )
    v1 = escape(block["v1"])
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>batchtask API'
        f"</title></head><body><h1>batchtask: SuperOffice BatchTask Web API</h1><table>{rows}"
        f'</table><p><a href="{v1}">{v1}</a> lists the supported URLs; <a href="/api/docs">'
        "/api/docs</a> is the interactive OpenAPI page.</p></body></html>\n"
    ).encode()


async def api(request: Request) -> Response:
    """``GET /api``: the version block; HTML unless JSON or XML is asked for explicitly."""
    block = version_block(base_url(request) + "/api/v1")
    media = negotiate_data(headers_of(request).accept, query_value(query_of(request), "$format"))
    if media is None:
        return Response(
            _html(block),
            media_type="text/html; charset=utf-8",
            headers={"vary": "Accept", "x-content-type-options": "nosniff"},
        )
    return wire_response(block, media, root="Api")


async def api_v1(request: Request) -> Response:
    """``GET /api/v1``: the supported URLs with their methods and a line of documentation."""
    media = media_type(headers_of(request), query_of(request))
    return wire_response(supported_urls(base_url(request) + "/api/v1"), media, root="Urls")
