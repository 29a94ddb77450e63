"""The fast lane and the framework's route answer GET BatchTask/{id} with identical bytes.

Parity covers every authentication scheme, URL spellings (case, trailing slash, a final newline),
repeated query parameters, and failures that are not ``DomainError`` (a closed SQLite connection,
a PostgreSQL table gone): both lanes answer with the same status, headers and body, count the
request in ``/metrics`` and log the error.
"""

from __future__ import annotations

import logging
from typing import Any

import asyncpg
import pytest

from batchtask.http.tenancy import TenantRouter
from batchtask.services.container import Services
from tests.conftest import sql_store
from tests.integration.conftest import LiveServer
from tests.integration.test_seed_endpoint import basic, make_task

Answer = tuple[int, list[tuple[bytes, bytes]], bytes]


def framework_lane(server: LiveServer) -> Any:
    """What the fast lane hands every other request to: CORS in front of Starlette, behind the
    tenant router (which strips ``/{ContextIdentifier}`` before either lane sees the path).

    ``server.app`` is the connection guard, its ``.app`` the tenant router, whose ``.app`` is the
    fast lane, whose ``.app`` is the framework lane.
    """
    return TenantRouter(server.app.app.app.app, server.app.state)


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
    # URL spellings (SPEC §1): ASP.NET routing ignores case and a trailing slash.
    ("/api/v1/batchtask/{id}", {}, ""),
    ("/API/V1/BATCHTASK/{id}/", {"Accept": "application/xml"}, ""),
    ("/cust00000/Api/v1/BatchTask/{id}/", {}, ""),
    ("/api/v1/BatchTask/{id}//", {}, ""),
    # A final newline (``%0A``) is not part of the id: Python's ``$`` matched before it.
    ("/api/v1/BatchTask/{id}\n", {}, ""),
    ("/api/v1/BatchTask/{id}\r\n", {}, ""),
    ("/api/v1/BatchTask/\n{id}", {}, ""),
    # Repeated query parameters: the first of each name wins, whatever its case, on both lanes.
    ("/api/v1/BatchTask/{id}", {}, "$format=xml&$format=json"),
    ("/api/v1/BatchTask/{id}", {}, "$Format=json&$format=xml"),
    ("/api/v1/BatchTask/{id}", {}, "$select=Name&$select=State&$SELECT=Nope"),
    ("/api/v1/BatchTask/{id}", {}, "$select=Nope&$select=Name"),
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
    framework = server.call(
        lambda s: asgi_get(framework_lane(server), target, request_headers, query)
    )
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


def _scheme_headers(server: LiveServer, scheme: str) -> dict[str, str]:
    """Credentials of alice in ``scheme``: Basic, SOTicket, Bearer or a browser session."""
    user = server.users["alice"]
    if scheme == "basic":
        return basic("alice")
    if scheme == "soticket":
        return {"Authorization": f"SOTicket {server.ticket('alice')}"}
    if scheme == "bearer":
        token, _ = server.call(lambda s: s.auth.issue_token(user))
        return {"Authorization": f"Bearer {token}"}
    login = server.call(lambda s: s.auth.login("alice", "correct horse battery", "127.0.0.1"))
    return {
        "Cookie": f"batchtask_session={login.session}; XSRF-TOKEN={login.xsrf}",
        "X-XSRF-TOKEN": login.xsrf,
        "Host": "127.0.0.1",
    }


@pytest.mark.parametrize("scheme", ["basic", "soticket", "bearer", "session"])
@pytest.mark.parametrize("query", ["", "$format=xml&$select=Name,State"])
def test_every_scheme_answers_alike_on_both_lanes(
    server: LiveServer, scheme: str, query: str
) -> None:
    """Each credential scheme gets byte-identical answers, for its task and a missing one."""
    task_id = make_task(server, "alice")
    headers = _scheme_headers(server, scheme)
    for target in (f"/api/v1/BatchTask/{task_id}", "/api/v1/BatchTask/424242"):
        fast = server.run(asgi_get(server.app, target, headers, query))
        framework = server.run(asgi_get(framework_lane(server), target, headers, query))
        assert fast == framework
        assert fast[0] in {200, 404}, fast
    assert fast[0] == 404


async def _break_storage(services: Services, database_url: str) -> Any:
    """Make every read fail with an error that is not a ``DomainError``; return an undo."""
    if database_url.startswith("sqlite"):
        db: Any = sql_store(services.store).db
        db._reader.close()  # sqlite3.ProgrammingError: Cannot operate on a closed database
        return None
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute("ALTER TABLE batchtask RENAME TO batchtask_gone")
    finally:
        await conn.close()
    return "ALTER TABLE batchtask_gone RENAME TO batchtask"


def _count_500s(server: LiveServer) -> int:
    with server.client() as client:
        text = client.get("/metrics").text
    prefix = 'batchtask_http_requests_total{method="GET",route="get_batch_task",status="500"}'
    lines = [line for line in text.splitlines() if line.startswith(prefix)]
    return int(float(lines[0].rsplit(" ", 1)[1])) if lines else 0


def test_unexpected_errors_leave_both_lanes_alike(
    server: LiveServer, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A failure outside ``DomainError`` is the 500 error object, a metric and a log on both lanes.

    Before the fix the fast lane let it escape to the server: a bare 500 with no body, no
    ``batchtask_http_requests`` count and no ``batchtask.http`` log record.
    """
    task_id = make_task(server, "alice")
    headers = {**basic("alice"), "Accept": "application/xml"}
    target = f"/api/v1/BatchTask/{task_id}"
    server.call(lambda s: asgi_get(server.app, target, headers))  # cache the Basic credential
    undo = server.call(lambda s: _break_storage(s, database_url))
    try:
        before = _count_500s(server)
        with caplog.at_level(logging.ERROR, logger="batchtask.http"):
            fast = server.call(lambda s: _answer_or_raise(server.app, target, headers))
            fast_logs = [r for r in caplog.records if r.name == "batchtask.http"]
            caplog.clear()
            framework = server.call(
                lambda s: _answer_or_raise(framework_lane(server), target, headers)
            )
            framework_logs = [r for r in caplog.records if r.name == "batchtask.http"]
        assert fast == framework
        assert fast[0] == 500
        assert b"<ErrorInfo" in fast[2]
        assert b"SoException" in fast[2]
        assert len(fast_logs) == len(framework_logs) == 1
        assert fast_logs[0].exc_info is not None
        assert _count_500s(server) == before + 2
    finally:
        if undo is not None:
            server.call(lambda s: _restore(database_url, undo))


async def _answer_or_raise(app: Any, path: str, headers: dict[str, str]) -> Answer | str:
    try:
        return await asgi_get(app, path, headers)
    except Exception as exc:  # the failure under test escaping the lane
        return f"escaped: {type(exc).__name__}"


async def _restore(database_url: str, sql: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/BatchTask/{id}",  # the fast lane
        "/api/v1/BatchTask/New",  # the framework's state route
        "/api/v1/BatchTask",  # the framework's list
        "/api/v1/BatchTask/{id}/Nope",  # the framework's 404
    ],
)
def test_repeated_query_parameters_follow_one_rule_everywhere(
    server: LiveServer, path: str
) -> None:
    """The first of repeated parameters wins (any case) on every route, not only GET by id."""
    task_id = make_task(server, "alice")
    target = path.replace("{id}", str(task_id))
    answers = [
        server.run(asgi_get(server.app, target, basic("alice"), query))
        for query in ("$format=xml&$format=json", "$FORMAT=xml&$format=json&$Format=json")
    ]
    for status, headers, _ in answers:
        assert status in {200, 404}
        assert dict(headers)[b"content-type"] == b"application/xml; charset=utf-8"
