"""``/api/openapi.json`` and ``/api/docs``: a valid OpenAPI 3.1 document that real responses obey.

The document is checked by ``openapi-spec-validator``; then real responses of the live server
(every status the routes return, JSON and XML) are held to it: the status must be documented for
the operation, the media type listed, the required headers present and valid, and a JSON body must
validate against the documented schema with ``jsonschema``. The schemathesis run in
``test_schemathesis.py`` adds generated requests on top.
"""

from __future__ import annotations

import base64
import re
from typing import Any

import httpx
import pytest
from defusedxml import ElementTree
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_openapi
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from batchtask.domain.task import NewTask
from batchtask.http.app import routes
from batchtask.http.errors import CHALLENGE
from batchtask.http.openapi import openapi_document
from batchtask.http.routes.agents import METHODS as AGENT_METHODS
from batchtask.serialisation.carrier import FIELDS
from batchtask.services.container import Services
from tests.conftest import FakeClock
from tests.integration import conftest as live
from tests.integration.conftest import PASSWORD, LiveServer

DOCUMENT = openapi_document()
_URN = "urn:batchtask:openapi"
_REGISTRY: Registry[Any] = Registry().with_resource(
    _URN, Resource.from_contents(DOCUMENT, default_specification=DRAFT202012)
)
_XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"
#: Served but deliberately not in the document: the document itself and its page.
#: The document itself, its page, and "/" (a redirect to the console).
_UNDOCUMENTED = {"/api/openapi.json", "/api/docs", "/api/docs/static/{name}", "/"}
_ONLY_SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def basic(name: str, password: str = PASSWORD) -> dict[str, str]:
    """A Basic Authorization header."""
    token = base64.b64encode(f"{name}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def make_task(server: LiveServer, owner: str, **fields: Any) -> int:
    """Create a task owned by ``owner`` through the repository."""
    new = NewTask(name="batchtask.sleep", associate_id=server.users[owner].associate_id, **fields)
    return server.call(lambda s: s.store.tasks.create(new, now=server.clock.now(), actor="test"))


def start_task(server: LiveServer, task_id: int) -> None:
    """Claim and start ``task_id`` as a worker would, so it has a LastStarted and a StartCount."""

    async def run(services: Services) -> None:
        task = await services.store.tasks.get(task_id)
        assert task is not None
        assert task.definition_id is not None
        now = server.clock.now()
        [attempt] = await services.store.runs.claim(
            [task.definition_id], owner="test", limit=1, now=now, lease=30
        )
        assert attempt.task_id == task_id, "claims take the oldest task: start it first"
        assert await services.store.runs.start(attempt, now=now, lease=30)

    server.call(run)


def resolve(node: dict[str, Any]) -> dict[str, Any]:
    """Follow local ``$ref``s of the document."""
    while "$ref" in node:
        target: Any = DOCUMENT
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _absolute(node: Any) -> Any:
    """``node`` with its local ``$ref``s pointing into the registered document."""
    if isinstance(node, dict):
        return {
            key: _URN + value if key == "$ref" else _absolute(value) for key, value in node.items()
        }
    if isinstance(node, list):
        return [_absolute(item) for item in node]
    return node


def schema_validator(schema: dict[str, Any]) -> Draft202012Validator:
    """A validator for a schema of the document (its ``$ref``s resolve inside the document)."""
    return Draft202012Validator(_absolute(schema), registry=_REGISTRY)


def xml_names(schema: dict[str, Any]) -> set[str]:
    """The root element names a schema allows (through ``oneOf``/``anyOf``)."""
    schema = resolve(schema)
    names = {schema["xml"]["name"]} if "xml" in schema and "name" in schema["xml"] else set()
    for key in ("oneOf", "anyOf"):
        for option in schema.get(key, []):
            names |= xml_names(option)
    return names


def conform_to(response: httpx.Response, spec: dict[str, Any]) -> Any:
    """Hold ``response`` to a response object of the document; the parsed body, if any."""
    spec = resolve(spec)
    for name, declared in spec.get("headers", {}).items():
        header = resolve(declared)
        value = response.headers.get(name)
        if value is None:
            assert not header.get("required"), f"required header {name} missing"
            continue
        typed: Any = int(value) if header["schema"].get("type") == "integer" else value
        schema_validator(header["schema"]).validate(typed)
    content = spec.get("content")
    if content is None:
        assert response.content == b"", "a response documented without content has a body"
        return None
    media = response.headers["content-type"].partition(";")[0].strip()
    assert media in content, f"{media} is not documented for {response.status_code}"
    schema = content[media]["schema"]
    if media.endswith("xml"):
        root = ElementTree.fromstring(response.content)
        assert root.tag in xml_names(schema), f"unexpected root {root.tag}"
        return root
    if media in {"text/plain", "text/html"}:
        schema_validator(schema).validate(response.text)
        return response.text
    body = response.json()
    errors = [error.message for error in schema_validator(schema).iter_errors(body)]
    assert not errors, errors
    return body


def conform(response: httpx.Response, method: str, template: str) -> Any:
    """Hold ``response`` to the operation ``method template``: its status must be documented."""
    responses = DOCUMENT["paths"][template][method.lower()]["responses"]
    status = str(response.status_code)
    assert status in responses, f"{status} is not documented for {method} {template}"
    return conform_to(response, responses[status])


GET_TASK = "/api/v1/BatchTask/{id}"

# ---------------------------------------------------------------------------------- the document


@pytest.mark.parametrize(
    ("context_identifier", "basic_auth"), [("Cust00000", True), ("Acme42", False)]
)
def test_document_is_valid_openapi_31(context_identifier: str, basic_auth: bool) -> None:
    """The document validates as OpenAPI 3.1 for every shape of the settings it depends on."""
    document = openapi_document(context_identifier, basic_auth=basic_auth)
    validate_openapi(document)
    assert document["openapi"].startswith("3.1.")
    schemes = document["components"]["securitySchemes"]
    assert {"Basic", "SOTicket", "Bearer", "Session"} <= set(schemes)
    security = document["paths"][GET_TASK]["get"]["security"]
    assert ({"Basic": []} in security) is basic_auth


def test_document_lists_every_served_route() -> None:
    """Each route of the app is documented with its methods: the document describes what is served.

    A new route fails here until ``http/openapi`` describes it. The one agent route is documented
    as one path per method name. The admin API is documented (SPEC §10: every console action is
    an OpenAPI call); the console's HTML pages are not API.
    """
    served: set[tuple[str, str]] = set()
    for route in routes():
        path: str = getattr(route, "path", "")
        page = "/admin" in path and "/admin/api/" not in path
        if path in _UNDOCUMENTED or page:
            continue
        tenants = ["", "/{ContextIdentifier}"] if getattr(route, "tenant", False) else [""]
        paths = [
            tenant + (path.replace("{method}", name) if "{method}" in path else path)
            for tenant in tenants
            for name in (AGENT_METHODS if "{method}" in path else [""])
        ]
        served |= {
            (each, method.lower())
            for each in paths
            for method in getattr(route, "methods", None) or ()
            if method != "HEAD"
        }
    documented = {(path, method) for path, item in DOCUMENT["paths"].items() for method in item}
    assert documented == served


def test_seed_headers_and_carrier_are_described() -> None:
    """The seed page's headers and all 24 carrier fields, in wire order, are in the document."""
    parameters = [resolve(p) for p in DOCUMENT["paths"][GET_TASK]["get"]["parameters"]]
    names = {(p["in"], p["name"]) for p in parameters}
    for header in ("Accept", "Accept-Language", "SO-Language", "SO-Culture", "SO-TimeZone",
                   "SO-AppToken", "X-XSRF-TOKEN"):  # fmt: skip
        assert ("header", header) in names
    assert {("query", "$select"), ("query", "$format"), ("path", "id")} <= names
    info = DOCUMENT["components"]["schemas"]["BatchTaskInfo"]
    assert list(info["properties"]) == list(FIELDS) == info["required"]
    assert len(FIELDS) == 24


# --------------------------------------------------------------------------- real responses


def test_served_document_is_the_one_for_the_settings(server: LiveServer) -> None:
    """``GET /api/openapi.json`` serves the document for the server's settings, as JSON."""
    with server.client() as client:
        response = client.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == openapi_document(
        server.settings.context_identifier, basic_auth=server.settings.basic_auth
    )


@_ONLY_SQLITE
def test_served_document_follows_other_settings(database_url: str, clock: FakeClock) -> None:
    """Another ContextIdentifier and Basic switched off show in the served document."""
    settings = live.test_settings(database_url, context_identifier="Acme42", basic_auth=False)
    for other in live.run_server(settings, clock):
        with other.client() as client:
            document = client.get("/api/openapi.json").json()
    parameter = document["components"]["parameters"]["ContextIdentifier"]
    assert parameter["schema"]["default"] == "Acme42"
    assert re.fullmatch(parameter["schema"]["pattern"], "aCME42")
    assert {"Basic": []} not in document["paths"][GET_TASK]["get"]["security"]


def test_carrier_responses_conform(server: LiveServer) -> None:
    """Full, other-user, started (zoned), ``$select`` and XML carriers all match the schemas."""
    server.clock.advance(1.25)
    started = make_task(server, "bob")
    server.clock.advance(2.5)
    start_task(server, started)
    own = make_task(server, "alice", parameters={"a": "b", "ключ": "<&>"}, description="d")
    with server.client(headers=basic("alice")) as client:
        full = conform(client.get(f"/api/v1/BatchTask/{own}"), "GET", GET_TASK)
        other = conform(client.get(f"/api/v1/BatchTask/{started}"), "GET", GET_TASK)
        zoned = client.get(
            f"/Cust00000/api/v1/BatchTask/{started}",
            headers={"SO-TimeZone": "US-NY, includeTZOffset", "Accept": "text/json"},
        )
        zoned_body = conform(zoned, "GET", "/{ContextIdentifier}/api/v1/BatchTask/{id}")
        selected = conform(
            client.get(f"/api/v1/BatchTask/{own}", params={"$select": "Name,state"}), "GET",
            GET_TASK,
        )  # fmt: skip
        xml = conform(client.get(f"/api/v1/BatchTask/{own}?$format=xml"), "GET", GET_TASK)
        xml_selected = conform(
            client.get(f"/api/v1/BatchTask/{own}", params={"$select": "Name"},
                       headers={"Accept": "text/xml"}), "GET", GET_TASK,
        )  # fmt: skip
    assert None not in full.values()
    assert None not in other.values()
    assert full["ParameterObject"] == {"a": "b", "ключ": "<&>"}
    assert other["TableRight"]["Mask"] == "Select"
    assert zoned_body["LastStarted"] == "2026-11-28T07:00:03.75-0500"
    assert zoned_body["Created"] == "2026-11-28T12:00:01.25Z"
    assert [name for name, value in selected.items() if value is not None] == [
        "Id",
        "Name",
        "State",
    ]
    assert [child.tag for child in xml] == list(FIELDS)
    pairs = xml.find("ParameterObject")
    assert pairs is not None
    assert [pair.tag for pair in pairs] == ["KeyValuePair", "KeyValuePair"]
    nil = [child.tag for child in xml_selected if child.get(_XSI_NIL) == "true"]
    assert nil == [name for name in FIELDS if name not in {"Id", "Name"}]


def test_error_responses_conform(server: LiveServer) -> None:
    """404, 401 (with the challenge), 400s and 405 are the documented error object."""
    with server.client() as client:
        missing = client.get("/api/v1/BatchTask/999999", headers=basic("alice"))
        other_tenant = client.get("/Cust12345/api/v1/BatchTask/1", headers=basic("alice"))
        anonymous = client.get("/api/v1/BatchTask/1")
        bad_ticket = client.get("/api/v1/BatchTask/1", headers={"Authorization": "SOTicket 7T:x"})
        out_of_range = client.get("/api/v1/BatchTask/2147483648", headers=basic("alice"))
        bad_select = client.get("/api/v1/BatchTask/1?$select=Nope", headers=basic("alice"))
        bad_zone = client.get(
            "/api/v1/BatchTask/1", headers={**basic("alice"), "SO-TimeZone": "Mars/Olympus"}
        )
        wrong_method = client.patch("/api/v1/BatchTask/1", headers={"Accept": "application/xml"})
    for response, status in ((missing, 404), (anonymous, 401), (bad_ticket, 401),
                             (out_of_range, 400), (bad_select, 400), (bad_zone, 400)):  # fmt: skip
        assert response.status_code == status
        assert conform(response, "GET", GET_TASK)["Error"] is True
    assert other_tenant.status_code == 404
    conform(other_tenant, "GET", "/{ContextIdentifier}/api/v1/BatchTask/{id}")
    assert anonymous.headers["www-authenticate"] == CHALLENGE
    assert wrong_method.status_code == 405
    root = conform_to(wrong_method, DOCUMENT["components"]["responses"]["MethodNotAllowed"])
    assert root.findtext("Error") == "true"


def test_session_responses_conform(server: LiveServer) -> None:
    """/login (JSON, XML, form; 200, 400, 401, 415) and /logout (204, then 401) match."""
    with server.client() as client:
        login = client.post("/login", json={"username": "alice", "password": PASSWORD})
        body = conform(login, "POST", "/login")
        xml = client.post(
            "/login?$format=xml", content=b"<Login><Username>bob</Username>"
            + f"<Password>{PASSWORD}</Password></Login>".encode(),
            headers={"Content-Type": "text/xml"},
        )  # fmt: skip
        form = client.post("/login", data={"username": "bob", "password": PASSWORD})
        missing = client.post("/login", json={"username": "bob"})
        wrong = client.post("/login", json={"username": "bob", "password": "nope"})
        unsupported = client.post("/login", content=b"x", headers={"Content-Type": "text/plain"})
        ticket = {"Authorization": f"SOTicket {body['Ticket']}"}
        logout = client.post("/logout", headers=ticket)
        again = client.post("/logout", headers=ticket)
    assert body["AssociateId"] == server.users["alice"].associate_id
    assert conform(xml, "POST", "/login").findtext("Ticket").startswith("7T:")
    conform(form, "POST", "/login")
    for response, status in ((missing, 400), (wrong, 401), (unsupported, 415)):
        assert response.status_code == status
        conform(response, "POST", "/login")
    assert logout.status_code == 204
    conform(logout, "POST", "/logout")
    assert again.status_code == 401
    conform(again, "POST", "/logout")


def test_operations_responses_conform(server: LiveServer) -> None:
    """/healthz, /readyz and /metrics match their documented responses."""
    with server.client() as client:
        for path in ("/healthz", "/readyz", "/metrics"):
            response = client.get(path)
            assert response.status_code == 200
            conform(response, "GET", path)


TASKS = "/api/v1/BatchTask"


def agent(name: str) -> str:
    """The documented path of an agent method."""
    return f"/api/v1/Agents/Batch/{name}"


def test_rest_write_responses_conform(server: LiveServer) -> None:
    """POST, PUT, DELETE and Stop on BatchTask, and GET BatchTask/{state}, match the document."""
    others = make_task(server, "bob")
    with server.client(headers=basic("alice")) as client:
        created = client.post(
            TASKS, json={"Name": "batchtask.sleep", "ParameterObject": {"a": "b"}}
        )
        new_id = conform(created, "POST", TASKS)
        xml_created = client.post(
            TASKS + "?$format=xml",
            content=b"<BatchTaskInfo><Name>x</Name></BatchTaskInfo>",
            headers={"Content-Type": "application/xml"},
        )
        statuses = {
            "nameless": client.post(TASKS, json={"Description": "no name"}),
            "system": client.post(TASKS, json={"Name": "x", "IsSystemTask": True}),
            "bad_type": client.post(TASKS, content=b"x", headers={"Content-Type": "text/plain"}),
        }
        updated = client.put(
            f"{TASKS}/{new_id}", json={"Description": "changed", "State": "failed"}
        )
        forbidden = client.put(f"{TASKS}/{others}", json={"Description": "mine now"})
        missing = client.put(f"{TASKS}/99999", json={"Description": "x"})
        in_state = client.get(f"{TASKS}/new", params={"$select": "Name"})
        in_state_xml = client.get(f"{TASKS}/New", headers={"Accept": "text/xml"})
        stopped = client.post(f"{TASKS}/{others}/Stop")
        not_a_number = client.post(f"{TASKS}/abc/Stop?$format=xml")
        deleted = client.delete(f"{TASKS}/{new_id}")
        delete_other = client.delete(f"{TASKS}/{others}")
    assert created.status_code == 200
    assert isinstance(new_id, int)
    assert conform(xml_created, "POST", TASKS).tag == "int"
    assert {name: r.status_code for name, r in statuses.items()} == {
        "nameless": 400,
        "system": 403,
        "bad_type": 415,
    }
    for response in statuses.values():
        conform(response, "POST", TASKS)
    assert conform(updated, "PUT", GET_TASK)["Description"] == "changed"
    for response, status in ((forbidden, 403), (missing, 404)):
        assert response.status_code == status
        conform(response, "PUT", GET_TASK)
    assert sorted(task["Name"] for task in conform(in_state, "GET", GET_TASK)) == [
        "batchtask.sleep",
        "x",
    ]
    assert conform(in_state_xml, "GET", GET_TASK).tag == "ArrayOfBatchTaskInfo"
    assert conform(stopped, "POST", GET_TASK + "/Stop") is False
    assert conform(not_a_number, "POST", GET_TASK + "/Stop").text == "false"
    assert deleted.status_code == 204
    conform(deleted, "DELETE", GET_TASK)
    assert delete_other.status_code == 403
    conform(delete_other, "DELETE", GET_TASK)


def test_list_responses_conform(server: LiveServer) -> None:
    """The OData list (Slim, Full, Display, jsonSafe, XML, paged, bad options) matches."""
    for _ in range(3):
        make_task(server, "alice", parameters={"k": "v"})
    with server.client(headers=basic("alice")) as client:
        pages = {
            "slim": client.get(TASKS, params={"$top": "2"}),
            "full": client.get(TASKS, params={"$mode": "full", "$select": "definitionName,state"}),
            "display": client.get(
                TASKS, params={"$output": "Display"}, headers={"SO-Language": "de"}
            ),
            "safe": client.get(TASKS, params={"$jsonSafe": "true"}),
            "xml": client.get(TASKS, params={"$format": "xml"}),
        }
        bad = [
            client.get(TASKS, params=params)
            for params in (
                {"$top": "-1"},
                {"$filter": "state eq"},
                {"$select": "nope"},
                {"$mode": "x"},
            )
        ]
    assert {name: page.status_code for name, page in pages.items()} == dict.fromkeys(pages, 200)
    body = {name: conform(page, "GET", TASKS) for name, page in pages.items()}
    assert body["slim"]["odata.nextLink"] is not None
    assert len(body["slim"]["value"]) == 2
    assert set(body["full"]["value"][0]["Column"]) == {"DefinitionName", "State"}
    assert "odata_metadata" in body["safe"]
    assert body["xml"].tag == "ODataResponse"
    for response in bad:
        assert response.status_code == 400
        conform(response, "GET", TASKS)


def test_agent_responses_conform(server: LiveServer) -> None:
    """Agent answers (carrier or null, lists, int, bool, 204, invalid request, 404) match."""
    task_id = make_task(server, "alice")
    with server.client(headers=basic("alice")) as client:
        found = client.post(agent("GetBatchTaskInfo"), json={"Id": task_id})
        missing = client.post(agent("GetBatchTaskInfo") + "?Id=99999")
        missing_xml = client.post(agent("GetBatchTaskInfo") + "?Id=99999&$format=xml")
        owned = client.post(agent("GetBatchTaskInfosByAssociates"), json={"AssociateIds": []})
        by_state = client.post(
            agent("GetBatchTaskInfosByNameAndState") + "?$select=State",
            content=b"<p><Name>batchtask.sleep</Name><State>New</State></p>",
            headers={"Content-Type": "text/xml"},
        )
        started = client.post(agent("StartBatchJob"), json={"BatchTaskInfo": {"Name": "x"}})
        updated = client.post(
            agent("UpdateBatchTask"), json={"BatchTaskInfo": {"Id": task_id, "Request": "r"}}
        )
        stopped = client.post(agent("StopBatchJob"), data={"Id": str(task_id)})
        deleted = client.post(agent("DeleteBatchTasks") + "?BatchTaskIds=1,2")
        no_state = client.post(agent("GetBatchTaskInfosByState"), json={})
        unknown = client.post("/api/v1/Agents/Batch/NoSuchMethod", json={})
    assert conform(found, "POST", agent("GetBatchTaskInfo"))["Id"] == task_id
    assert conform(missing, "POST", agent("GetBatchTaskInfo")) is None
    assert conform(missing_xml, "POST", agent("GetBatchTaskInfo")).get(_XSI_NIL) == "true"
    assert len(conform(owned, "POST", agent("GetBatchTaskInfosByAssociates"))) == 1
    assert len(conform(by_state, "POST", agent("GetBatchTaskInfosByNameAndState"))) == 1
    assert isinstance(conform(started, "POST", agent("StartBatchJob")), int)
    assert conform(updated, "POST", agent("UpdateBatchTask"))["Request"] == "r"
    assert conform(stopped, "POST", agent("StopBatchJob")) is True
    assert deleted.status_code == 204
    conform(deleted, "POST", agent("DeleteBatchTasks"))
    assert no_state.status_code == 200
    assert conform(no_state, "POST", agent("GetBatchTaskInfosByState"))["Message"] == (
        "The request is invalid."
    )
    assert unknown.status_code == 404
    conform_to(unknown, DOCUMENT["components"]["responses"]["NotFound"])


# ---------------------------------------------------------------------------------- docs page


@_ONLY_SQLITE
def test_docs_page_uses_only_local_assets(server: LiveServer) -> None:
    """``/api/docs`` is HTML whose every asset is local and served with long caching."""
    with server.client() as client:
        page = client.get("/api/docs")
        assert page.status_code == 200
        assert page.headers["content-type"] == "text/html; charset=utf-8"
        html = page.text
        urls = re.findall(r'(?:src|href)="([^"]+)"', html)
        assert "//" not in html  # no absolute or CDN URL
        assert 'data-openapi-url="/api/openapi.json"' in html
        assert len(urls) == 4
        for url in urls:
            assert url.startswith("/api/docs/static/")
            asset = client.get(url)
            assert asset.status_code == 200, url
            assert "max-age=31536000" in asset.headers["cache-control"]
            assert asset.content
            again = client.get(url, headers={"If-None-Match": asset.headers["etag"]})
            assert again.status_code == 304
        types = {url.split("?")[0].rsplit("/", 1)[1]: client.get(url).headers["content-type"]
                 for url in urls}  # fmt: skip
        unknown = client.get("/api/docs/static/..%2F..%2Fopenapi.py")
    assert types["swagger-ui-bundle.js"].startswith("text/javascript")
    assert types["swagger-ui.css"].startswith("text/css")
    assert types["favicon-32x32.png"] == "image/png"
    assert unknown.status_code == 404
    assert unknown.json()["Error"] is True


def test_discovery_archive_and_descriptions_conform(server: LiveServer) -> None:
    """/api (HTML, JSON, XML), /api/v1, the Archive list and metadata, an agent's GET."""
    make_task(server, "alice")
    with server.client(headers=basic("alice")) as client:
        checks = [
            (client.get("/api"), "/api"),
            (client.get("/api", headers={"Accept": "application/json"}), "/api"),
            (client.get("/Cust00000/api?$format=xml"), "/{ContextIdentifier}/api"),
            (client.get("/api/v1"), "/api/v1"),
            (client.get("/api/v1", headers={"Accept": "text/xml"}), "/api/v1"),
            (client.get("/api/v1/Archive/BatchTasks"), "/api/v1/Archive/{archiveProviderName}"),
            (
                client.get("/api/v1/Archive/BatchTasks?$metadata=ALL&$format=xml"),
                "/api/v1/Archive/{archiveProviderName}",
            ),
            (
                client.get("/api/v1/Archive/BatchTasks$metadata", headers={"SO-Language": "sv"}),
                "/api/v1/Archive/{archiveProviderName}$metadata",
            ),
            (client.get("/api/v1/Archive/Nope"), "/api/v1/Archive/{archiveProviderName}"),
            (client.get(agent("StartBatchJob")), agent("StartBatchJob")),
            (client.get(agent("StartBatchJob") + "?$format=xml"), agent("StartBatchJob")),
            (client.post(agent("DeleteBatchTask"), json={}), agent("DeleteBatchTask")),
        ]
    for response, template in checks:
        method = "POST" if response.request.method == "POST" else "GET"
        conform(response, method, template)
    assert checks[0][0].headers["content-type"].startswith("text/html")
    assert checks[8][0].status_code == 404
