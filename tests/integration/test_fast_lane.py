"""The fast lane and the framework's route answer GET BatchTask/{id} with identical bytes."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.conftest import LiveServer
from tests.integration.test_seed_endpoint import basic, make_task

Answer = tuple[int, list[tuple[bytes, bytes]], bytes]


async def asgi_get(app: Any, path: str, headers: dict[str, str], query: str = "") -> Answer:
    """Call an ASGI app in-process with a GET and collect the response."""
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": path, "raw_path": path.encode(), "root_path": "",
        "query_string": query.encode(), "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 80),
        "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()],
    }  # fmt: skip
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], sorted(start["headers"]), body


CASES = [
    ("/api/v1/BatchTask/{id}", {}, ""),
    ("/api/v1/BatchTask/{id}", {"Accept": "application/xml", "Accept-Language": "nb"}, ""),
    ("/api/v1/BatchTask/{id}", {"SO-TimeZone": "US-NY, includeTZOffset"}, "$select=State,Name"),
    ("/api/v1/BatchTask/{id}", {"Accept": "text/xml"}, "$format=json"),
    ("/Cust00000/api/v1/BatchTask/{id}", {"SO-Language": "de"}, ""),
    ("/Cust99999/api/v1/BatchTask/{id}", {}, ""),
    ("/api/v1/BatchTask/424242", {"Accept": "application/xml"}, ""),
    ("/api/v1/BatchTask/99999999999", {"SO-Language": "fr"}, ""),
    ("/api/v1/BatchTask/{id}", {"SO-TimeZone": "XX"}, ""),
    ("/api/v1/BatchTask/{id}", {"__no_auth__": "1"}, ""),
    ("/api/v1/BatchTask/+{id}", {}, "$select=Nope"),
]


@pytest.mark.parametrize(("path", "headers", "query"), CASES)
def test_fast_lane_matches_the_framework_route(
    server: LiveServer, path: str, headers: dict[str, str], query: str
) -> None:
    """Status, headers and body are byte-identical on both paths, errors included."""
    task_id = make_task(
        server, "alice", parameters={"a": "b"}, description="[SR_BATCH_DEMO_DESCRIPTION]"
    )
    request_headers = dict(headers)
    if not request_headers.pop("__no_auth__", None):
        request_headers.update(basic("alice"))
    target = path.replace("{id}", str(task_id))
    fast = server.call(lambda s: asgi_get(server.app, target, request_headers, query))
    framework = server.call(lambda s: asgi_get(server.app.app, target, request_headers, query))
    assert fast == framework
    assert fast[0] in {200, 400, 401, 404}


def test_other_requests_pass_through(server: LiveServer) -> None:
    """State names, HEAD and other methods still reach the framework."""
    make_task(server, "alice")
    with server.client() as client:
        listed = client.get("/api/v1/BatchTask/New", headers=basic("alice"))
        head = client.head("/api/v1/BatchTask/1", headers=basic("alice"))
    assert listed.status_code == 200
    assert isinstance(listed.json(), list)
    assert head.status_code == 200
