"""``GET /api`` and ``GET /api/v1`` (reference §5.1, VER), and ``GET`` on agent URLs (AGI)."""

from __future__ import annotations

import pytest

from batchtask.http.app import routes
from batchtask.http.routes.agents import AGENT_CALLS, METHODS
from tests.integration.conftest import LiveServer
from tests.integration.golden_files import assert_golden
from tests.integration.test_seed_endpoint import basic, make_task

_ONLY_SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@_ONLY_SQLITE
@pytest.mark.parametrize(
    ("path", "accept", "golden"),
    [
        ("/api", "application/json", "api.json"),
        ("/api", "application/xml", "api.xml"),
        ("/api/v1", "application/json", "api-v1.json"),
        ("/api/v1", "application/xml", "api-v1.xml"),
    ],
)
def test_discovery_goldens(server: LiveServer, path: str, accept: str, golden: str) -> None:
    """The version block and the URL list, JSON and XML, byte for byte."""
    with server.client() as client:
        response = client.get(path, headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"] == f"{accept}; charset=utf-8"
    assert_golden(golden, response.content, server.base_url)


def test_api_is_html_unless_data_is_asked_for(server: LiveServer) -> None:
    """No Accept, ``*/*`` or a browser's Accept → the HTML page; ``$format`` → data."""
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    with server.client() as client:
        pages = [client.get("/api", headers={"Accept": a}) for a in ("", "*/*", browser)]
        json_format = client.get("/api/?$format=json", headers={"Accept": browser})
        tenant = client.get("/cust00000/API", headers={"Accept": "text/json"})
        unknown = client.get("/Cust99999/api", headers={"Accept": "application/json"})
    for page in pages:
        assert page.status_code == 200
        assert page.headers["content-type"] == "text/html; charset=utf-8"
        assert f'<a href="{server.base_url}/api/v1">' in page.text
    assert json_format.json()["Version"] == "v1"
    assert tenant.json()["v1"] == f"{server.base_url}/cust00000/api/v1"
    assert unknown.status_code == 404


def test_api_v1_lists_every_api_route(server: LiveServer) -> None:
    """Each ``/api/v1`` URL and method the server serves is listed (and nothing else)."""
    with server.client() as client:
        listed = client.get("/Cust00000/api/v1/").json()
    v1 = f"{server.base_url}/Cust00000/api/v1"
    assert all(url.startswith(v1 + "/") for url in listed)
    served = set()
    for route in routes():
        path = getattr(route, "path", "")
        if not path.startswith("/api/v1/"):
            continue
        for method in set(getattr(route, "methods", ())) - {"HEAD"}:
            names = METHODS if "{method}" in path else [""]
            for name in names:
                if method == "GET" and "{method}" in path:
                    continue  # the GET of an agent URL describes the POST, it is not a call
                url = path.replace("{method}", name)
                served.add((v1 + url.removeprefix("/api/v1"), method))
    assert {(url, method) for url, methods in listed.items() for method in methods} == served
    assert listed[f"{v1}/Agents/Batch/GetBatchTaskInfo"] == {
        "POST": "?id={id}   Get a BatchTaskInfo by id; null when there is none."
    }
    assert listed[f"{v1}/Agents/Batch/GetAllBatchTaskInfosByNameAndState"]["POST"].startswith(
        "?taskName={taskName}&state={state}   "
    )


@pytest.mark.parametrize("call", AGENT_CALLS, ids=lambda call: call.name)
def test_get_on_an_agent_url_describes_the_call(server: LiveServer, call: object) -> None:
    """All 15 methods: GET describes the call (not invoking it); its example body works."""
    name = call.name  # type: ignore[attr-defined]
    task_id = make_task(server, "alice")
    with server.client() as client:
        before = client.get(f"/api/v1/BatchTask/{task_id}", headers=basic("alice")).json()
        described = client.get(f"/api/v1/agents/batch/{name.lower()}/")
        xml = client.get(f"/Cust00000/api/v1/Agents/Batch/{name}", headers={"Accept": "text/xml"})
        body = described.json()
        invoked = client.post(
            f"/api/v1/Agents/Batch/{name}", json=body["Example"], headers=basic("alice")
        )
        after = client.get(f"/api/v1/BatchTask/{task_id}", headers=basic("alice")).json()
    assert described.status_code == 200
    assert body["Method"] == name
    assert body["HttpMethod"] == "POST"
    assert body["Url"] == f"{server.base_url}/api/v1/Agents/Batch/{name}"
    assert body["Description"] == call.summary  # type: ignore[attr-defined]
    assert [p["Name"] for p in body["Parameters"]] == [n for n, _ in call.parameters]  # type: ignore[attr-defined]
    assert xml.status_code == 200
    assert f"<Method>{name}</Method>" in xml.text
    assert f"/Cust00000/api/v1/Agents/Batch/{name}</Url>" in xml.text
    assert invoked.status_code in {200, 204}, invoked.text
    if name not in {"StopBatchJob", "UpdateBatchTask", "DeleteBatchTask", "DeleteBatchTasks"}:
        assert after == before  # the GETs changed nothing


def test_agent_405_and_options_list_get_and_post(server: LiveServer) -> None:
    """An agent URL serves GET (the description) and POST."""
    with server.client() as client:
        put = client.put("/api/v1/Agents/Batch/GetBatchTaskInfo", headers=basic("alice"))
    assert put.status_code == 405
    assert put.headers["allow"] == "GET, HEAD, POST, OPTIONS"
