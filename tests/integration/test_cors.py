"""CORS (reference §5.2: ``CORSEnable``, ``CORSOrigin``): preflights, simple requests, a browser.

Origins listed by name get themselves back with credentials allowed; ``*`` gets ``*`` and never
credentials; other origins get no CORS headers (and a 403 preflight). Both lanes decorate alike.
The browser test (``tests/browser/test_cors.py``) serves a page from another loopback port that
reads a task with a ticket.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from batchtask.domain.user import Role
from tests.conftest import FakeClock
from tests.integration import conftest as live_support
from tests.integration.conftest import LiveServer, run_server
from tests.integration.test_fast_lane import asgi_get, framework_lane
from tests.integration.test_seed_endpoint import make_task

ALLOWED = "http://app.example:8080"
OTHER = "http://evil.example"


@contextmanager
def cors_server(
    database_url: str, clock: FakeClock, tmp_path: Path, origins: tuple[str, ...], **more: Any
) -> Iterator[LiveServer]:
    """A live server with CORS origins (SQLite only: CORS is not about storage)."""
    settings = live_support.test_settings(
        database_url, files_dir=str(tmp_path / "files"), cors_origins=origins, **more
    )
    for live in run_server(settings, clock):
        live.add_user("alice")
        live.add_user("admin", Role.admin)
        yield live


_ONLY_SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def named(database_url: str, clock: FakeClock, tmp_path: Path) -> Iterator[LiveServer]:
    """A server allowing ``ALLOWED`` by name."""
    with cors_server(database_url, clock, tmp_path, (ALLOWED,)) as live:
        yield live


def _preflight(
    server: LiveServer, origin: str, method: str = "PUT", path: str = "/api/v1/BatchTask/1"
) -> Any:
    with server.client() as client:
        return client.options(
            path,
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": method,
                "Access-Control-Request-Headers": "authorization, content-type, so-language",
            },
        )


@_ONLY_SQLITE
def test_preflight_from_a_named_origin(named: LiveServer) -> None:
    """204 with the origin itself, credentials, the methods and headers the API reads."""
    response = _preflight(named, ALLOWED)
    assert response.status_code == 204
    assert response.content == b""
    headers = response.headers
    assert headers["access-control-allow-origin"] == ALLOWED
    assert headers["access-control-allow-credentials"] == "true"
    assert headers["access-control-allow-methods"] == "GET, HEAD, POST, PUT, DELETE"
    allowed = {h.strip().lower() for h in headers["access-control-allow-headers"].split(",")}
    assert {
        "authorization",
        "content-type",
        "so-language",
        "so-timezone",
        "x-xsrf-token",
    } <= allowed
    assert headers["access-control-max-age"] == "600"
    assert "Origin" in headers["vary"]


@_ONLY_SQLITE
def test_preflight_from_another_origin_is_refused(named: LiveServer) -> None:
    """403 with the error object and no CORS header: the browser will not send the request."""
    response = _preflight(named, OTHER)
    assert response.status_code == 403
    assert response.json()["ErrorType"] == "SoAccessDeniedException"
    assert OTHER in response.json()["ErrorMessage"]
    assert not any(name.startswith("access-control-") for name in response.headers)


@_ONLY_SQLITE
@pytest.mark.parametrize("lane", ["fast", "framework"])
def test_simple_requests_on_both_lanes(named: LiveServer, lane: str) -> None:
    """Allowed origin: its name, credentials, exposed headers, ``Vary: …, Origin``; others: none."""
    task_id = make_task(named, "alice")
    app = named.app if lane == "fast" else framework_lane(named)
    ticket = {"Authorization": f"SOTicket {named.ticket('alice')}"}
    for origin, allowed in ((ALLOWED, True), (OTHER, False), (ALLOWED.upper(), True)):
        status, raw, _ = named.run(
            asgi_get(app, f"/api/v1/BatchTask/{task_id}", {**ticket, "Origin": origin})
        )
        headers = {name.decode(): value.decode() for name, value in raw}
        assert status == 200
        if allowed:
            assert headers["access-control-allow-origin"] == origin
            assert headers["access-control-allow-credentials"] == "true"
            assert headers["access-control-expose-headers"] == (
                "WWW-Authenticate, Retry-After, Allow, Content-Disposition"
            )
            assert headers["vary"].endswith(", Origin")
        else:
            assert not any(name.startswith("access-control-") for name in headers)
            assert "Origin" not in headers["vary"]


@_ONLY_SQLITE
def test_both_lanes_decorate_alike(named: LiveServer) -> None:
    """The fast lane and the framework give the same bytes to a cross-origin read and a 401."""
    task_id = make_task(named, "alice")
    target = f"/api/v1/BatchTask/{task_id}"
    for headers in (
        {"Authorization": f"SOTicket {named.ticket('alice')}", "Origin": ALLOWED},
        {"Authorization": "SOTicket 7T:wrong", "Origin": ALLOWED},
        {"Origin": OTHER},
    ):
        fast = named.run(asgi_get(named.app, target, headers))
        framework = named.run(asgi_get(framework_lane(named), target, headers))
        assert fast == framework


@_ONLY_SQLITE
def test_errors_and_writes_carry_cors_headers(named: LiveServer) -> None:
    """A 401 (its challenge readable), a 404 and a POST answer the allowed origin too."""
    with named.client(headers={"Origin": ALLOWED}) as client:
        unauthorised = client.get("/api/v1/BatchTask/1")
        missing = client.get(
            "/api/v1/Nope", headers={"Authorization": f"SOTicket {named.ticket('alice')}"}
        )
        created = client.post(
            "/api/v1/BatchTask/", json={"Name": "x"},
            headers={"Authorization": f"SOTicket {named.ticket('alice')}"},
        )  # fmt: skip
    for response, status in ((unauthorised, 401), (missing, 404), (created, 200)):
        assert response.status_code == status
        assert response.headers["access-control-allow-origin"] == ALLOWED
    assert "WWW-Authenticate" in unauthorised.headers["access-control-expose-headers"]


@_ONLY_SQLITE
def test_wildcard_never_allows_credentials(
    database_url: str, clock: FakeClock, tmp_path: Path
) -> None:
    """``*``: any origin reads with ``*`` and no credentials; a named origin still gets its name."""
    with cors_server(database_url, clock, tmp_path, ("*", ALLOWED)) as live:
        anyone = _preflight(live, OTHER)
        named = _preflight(live, ALLOWED)
        with live.client() as client:
            simple = client.get("/healthz", headers={"Origin": OTHER})
    assert anyone.status_code == 204
    assert anyone.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in anyone.headers
    assert simple.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in simple.headers
    assert named.headers["access-control-allow-origin"] == ALLOWED
    assert named.headers["access-control-allow-credentials"] == "true"


@_ONLY_SQLITE
@pytest.mark.parametrize(("enable", "origins"), [(False, (ALLOWED,)), (True, ())])
def test_disabled_or_unlisted_means_no_cors(
    database_url: str, clock: FakeClock, tmp_path: Path, enable: bool, origins: tuple[str, ...]
) -> None:
    """``CORS_ENABLE=false`` or no origins: a preflight is a plain OPTIONS (204, ``Allow``)."""
    with cors_server(database_url, clock, tmp_path, origins, cors_enable=enable) as live:
        response = _preflight(live, ALLOWED)
    assert response.status_code == 204
    assert response.headers["allow"] == "GET, HEAD, PUT, DELETE, OPTIONS"
    assert not any(name.startswith("access-control-") for name in response.headers)


@_ONLY_SQLITE
def test_credentials_from_an_allowed_origin_still_authenticate_as_before(named: LiveServer) -> None:
    """CORS only lets the page read: a cookie session from another origin is still 403, a ticket works."""
    task_id = make_task(named, "alice")
    with named.client() as client:
        login = client.post(
            "/login", json={"username": "alice", "password": "correct horse battery"}
        )
        session = login.cookies["batchtask_session"]
        xsrf = login.cookies["XSRF-TOKEN"]
        cookie = client.get(
            f"/api/v1/BatchTask/{task_id}",
            headers={"Origin": ALLOWED, "Cookie": f"batchtask_session={session}; XSRF-TOKEN={xsrf}",
                     "X-XSRF-TOKEN": xsrf},
        )  # fmt: skip
        ticket = client.get(
            f"/api/v1/BatchTask/{task_id}",
            headers={"Origin": ALLOWED, "Authorization": f"SOTicket {login.json()['Ticket']}"},
        )
    assert cookie.status_code == 403
    assert ticket.status_code == 200
    for response in (cookie, ticket):
        assert response.headers["access-control-allow-origin"] == ALLOWED
        assert response.headers["access-control-allow-credentials"] == "true"


@_ONLY_SQLITE
def test_cors_answers_match_the_openapi_document(named: LiveServer) -> None:
    """A decorated answer (``Vary: …, Origin``) still conforms to the documented headers."""
    from tests.integration.test_openapi import GET_TASK, conform  # noqa: PLC0415

    task_id = make_task(named, "alice")
    with named.client() as client:
        response = client.get(
            f"/api/v1/BatchTask/{task_id}",
            headers={"Origin": ALLOWED, "Authorization": f"SOTicket {named.ticket('alice')}"},
        )
    assert conform(response, "GET", GET_TASK)["Id"] == task_id
