"""URLs match as SuperOffice's ASP.NET routing does: any case, an optional trailing slash (SPEC §1).

Every route of the app is requested in its documented spelling, in lower and upper case, and with
a trailing slash, and must answer the same each time; the tenant twins of the API too. Then the
``Allow`` header of a 405 lists every method the URL serves (issue 12, item 10).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from batchtask.http.app import routes
from tests.integration.conftest import PASSWORD, LiveServer
from tests.integration.test_seed_endpoint import basic, make_task


@dataclass(frozen=True)
class Call:
    """One request: the literal parts of ``path`` are re-cased, ``{…}`` values never."""

    method: str
    path: str
    status: int
    json: Any = None
    headers: Callable[[LiveServer], dict[str, str]] = field(default=lambda s: basic("alice"))


def _ticket_of_new_login(server: LiveServer) -> dict[str, str]:
    with server.client() as client:
        ticket = client.post("/login", json={"username": "bob", "password": PASSWORD})
    return {"Authorization": f"SOTicket {ticket.json()['Ticket']}"}


CALLS = [
    Call("GET", "/api/v1/BatchTask", 200),
    Call("POST", "/api/v1/BatchTask", 200, json={"Name": "batchtask.sleep"}),
    Call("GET", "/api/v1/BatchTask/{id}", 200),
    Call("GET", "/api/v1/BatchTask/{state}", 200),
    Call("PUT", "/api/v1/BatchTask/{id}", 200, json={"Description": "changed"}),
    Call("DELETE", "/api/v1/BatchTask/{new}", 204),
    Call("POST", "/api/v1/BatchTask/{id}/Stop", 200),
    Call("POST", "/api/v1/Agents/Batch/{method}", 200, json={"Id": "{id}"}),
    Call("GET", "/api/v1/Agents/Batch/{method}", 200),
    Call("GET", "/api/v1/Archive/{archiveProviderName}", 200),
    Call("GET", "/api/v1/Archive/{archiveProviderName}$metadata", 200),
    Call("GET", "/api", 200),
    Call("GET", "/api/v1", 200),
    Call("POST", "/login", 200, json={"username": "alice", "password": PASSWORD}),
    Call("POST", "/logout", 204, headers=_ticket_of_new_login),
    Call("GET", "/healthz", 200),
    Call("GET", "/readyz", 200),
    Call("GET", "/metrics", 200),
    Call("GET", "/api/openapi.json", 200),
    Call("GET", "/api/docs", 200),
    Call("GET", "/api/docs/static/{asset}", 200),
    Call("GET", "/admin/api/tasks", 200),
    Call("POST", "/admin/api/tasks", 201, json={"Name": "batchtask.sleep"}),
    Call("POST", "/admin/api/tasks/bulk", 200, json={"Action": "Stop", "Ids": [424242]}),
    Call("GET", "/admin/api/tasks/{id}", 200),
    Call("PUT", "/admin/api/tasks/{id}", 200, json={"Description": "changed"}),
    Call("DELETE", "/admin/api/tasks/{new}", 204),
    Call("POST", "/admin/api/tasks/{id}/stop", 200),
    Call("POST", "/admin/api/tasks/{id}/retry", 409),
    Call("GET", "/admin/api/tasks/{id}/file", 404),
    Call("GET", "/admin/api/definitions", 200),
    Call("GET", "/admin/api/workers", 200),
    Call("GET", "/admin/api/stats", 200),
    # The console's pages: without a session they send the visitor to the login page.
    Call("GET", "/", 302),
    Call("GET", "/admin/", 303),
    Call("GET", "/admin/login", 200),
    Call("GET", "/admin/tasks", 303),
    Call("GET", "/admin/tasks/{id}", 303),
    Call("GET", "/admin/definitions", 303),
    Call("GET", "/admin/workers", 303),
    Call("GET", "/admin/static/{console_asset}", 200),
    # Streams never end on their own: a malformed Last-Event-ID shows the route matched (400).
    Call(
        "GET", "/admin/api/stream", 400, headers=lambda s: {**basic("alice"), "Last-Event-ID": "x"}
    ),
    Call(
        "GET",
        "/admin/api/tasks/{id}/stream",
        400,
        headers=lambda s: {**basic("alice"), "Last-Event-ID": "x"},
    ),
]
TENANT_PREFIXES = ["", "/Cust00000", "/cust00000", "/CUST00000"]


def _spellings(path: str) -> list[str]:
    """The documented spelling, lower and upper case (literals only), each with a trailing slash."""

    def recase(change: Callable[[str], str]) -> str:
        parts = path.split("/")
        return "/".join(p if p.startswith("{") else change(p) for p in parts)

    cased = [path, recase(str.lower), recase(str.upper), recase(str.swapcase)]
    return [*cased, *(each + "/" for each in cased if not each.endswith("/"))]


def _fill(path: str, server: LiveServer, task_id: int) -> str:
    values = {
        "{id}": str(task_id),
        "{new}": str(make_task(server, "alice")),
        "{state}": "New",
        "{method}": "GetBatchTaskInfo",
        "{asset}": "docs.js",
        "{console_asset}": "console.js",
        "{archiveProviderName}": "BatchTasks",
    }
    for key, value in values.items():
        if key in path:
            path = path.replace(key, value)
    return path


def test_every_route_is_in_the_table() -> None:
    """The table covers every method of every route of the app (a new route must be added)."""
    aliases = {"{new}": "{id}", "{state}": "{id}", "{asset}": "{name}", "{console_asset}": "{name}"}

    def template(path: str) -> str:
        for alias, name in aliases.items():
            path = path.replace(alias, name)
        return path

    covered = {(call.method, template(call.path)) for call in CALLS}
    served = {
        (method, route.path)  # type: ignore[attr-defined]
        for route in routes()
        for method in getattr(route, "methods", set()) - {"HEAD"}
    }
    assert served == covered


@pytest.mark.parametrize("call", CALLS, ids=lambda c: f"{c.method} {c.path}")
def test_every_route_matches_in_any_case_and_with_a_trailing_slash(
    server: LiveServer, call: Call
) -> None:
    """Each spelling answers like the documented one (and tenant twins of the API too)."""
    task_id = make_task(server, "alice")
    api = call.path.startswith(("/api/v1", "/admin/api/")) or call.path == "/api"
    prefixes = TENANT_PREFIXES if api else [""]
    with server.client() as client:
        for prefix in prefixes:
            for spelling in _spellings(call.path):
                target = prefix + _fill(spelling, server, task_id)
                body = call.json
                if isinstance(body, dict) and body.get("Id") == "{id}":
                    body = {"Id": task_id}
                response = client.request(
                    call.method, target, json=body, headers=call.headers(server)
                )
                assert response.status_code == call.status, (target, response.text[:300])


def test_sdk_style_create_update_delete(server: LiveServer) -> None:
    """The SuperOffice Python SDK's calls: POST …/BatchTask/, then PUT and DELETE …/BatchTask/{id}/."""
    with server.client(headers=basic("alice")) as client:
        created = client.post("/api/v1/BatchTask/", json={"Name": "batchtask.sleep"})
        assert created.status_code == 200
        task_id = created.json()
        updated = client.put(f"/api/v1/batchtask/{task_id}/", json={"Description": "via sdk"})
        assert updated.json()["Description"] == "via sdk"
        info = client.post("/api/v1/Agents/Batch/GetBatchTaskInfo/", json={"Id": task_id}).json()
        assert info["Description"] == "via sdk"
        assert client.delete(f"/API/V1/BATCHTASK/{task_id}/").status_code == 204
        assert client.get(f"/api/v1/BatchTask/{task_id}").status_code == 404


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PATCH", "/api/v1/BatchTask", "GET, HEAD, POST, OPTIONS"),
        ("DELETE", "/api/v1/batchtask/", "GET, HEAD, POST, OPTIONS"),
        ("PATCH", "/api/v1/BatchTask/7", "GET, HEAD, PUT, DELETE, OPTIONS"),
        ("POST", "/Cust00000/api/v1/BatchTask/7/", "GET, HEAD, PUT, DELETE, OPTIONS"),
        ("GET", "/api/v1/BatchTask/7/Stop", "POST, OPTIONS"),
        ("PUT", "/login", "POST, OPTIONS"),
        ("POST", "/healthz", "GET, HEAD, OPTIONS"),
    ],
)
def test_405_lists_every_method_of_the_url(
    server: LiveServer, method: str, path: str, allow: str
) -> None:
    """``Allow`` names each method the URL serves, with the error object."""
    with server.client() as client:
        response = client.request(method, path, headers=basic("alice"))
        options = client.options(path)
    assert response.status_code == 405
    assert response.headers["allow"] == allow
    assert response.json()["ErrorType"] == "SoMethodNotAllowedException"
    assert options.status_code == 204
    assert options.headers["allow"] == allow


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/BatchTask//",
        "/api/v1//BatchTask",
        "/api/v1/BatchTask/1/Stop/x",
        "/api/v1/BatchTask/1%0A",
        "/api/v1/Agents/Batch/",
        "/apix/v1/BatchTask",
        "/api/v1/BatchTas\u212a/1",  # a Kelvin sign is not a "k"
    ],
)
def test_near_misses_are_404(server: LiveServer, path: str) -> None:
    """Only case and one trailing slash are forgiven; anything else is the 404 error object."""
    with server.client() as client:
        response = client.get(path, headers=basic("alice"))
    assert response.status_code == 404
    assert response.json()["ErrorType"] == "SoNotFoundException"
