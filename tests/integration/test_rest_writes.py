"""POST, PUT, DELETE and GET-by-state on /api/v1/BatchTask over real HTTP, both engines."""

from __future__ import annotations

import base64
import json

import pytest

from tests.integration.conftest import LiveServer
from tests.integration.test_seed_endpoint import basic, make_task

JSON = {"Content-Type": "application/json"}


def post(server: LiveServer, user: str, body: object, headers: dict[str, str] | None = None) -> int:
    """POST a task as ``user`` and return the new id."""
    with server.client() as client:
        response = client.post(
            "/api/v1/BatchTask",
            content=json.dumps(body),
            headers={**basic(user), **JSON, **(headers or {})},
        )
    assert response.status_code == 200, response.text
    task_id = response.json()
    assert isinstance(task_id, int)
    return task_id


def test_post_returns_a_bare_id_and_ignores_server_owned_fields(server: LiveServer) -> None:
    """The new id comes back bare; Id, AssociateId, State, StartCount … in the body are ignored."""
    task_id = post(
        server, "alice",
        {"Id": 999, "Name": "batchtask.sleep", "AssociateId": 42, "State": "Succeeded",
         "StartCount": 7, "ProgressPercent": 50, "Description": "d", "Request": "r",
         "Context": "c", "ParameterObject": {"seconds": "1"}, "Created": "garbage",
         "TableRight": {"Mask": "FULL"}, "Unknown": 1},
    )  # fmt: skip
    with server.client() as client:
        body = client.get(f"/api/v1/BatchTask/{task_id}", headers=basic("alice")).json()
    assert task_id != 999
    assert body["AssociateId"] == server.users["alice"].associate_id
    assert (body["State"], body["StartCount"], body["ProgressPercent"]) == ("New", 0, 0)
    assert (body["Description"], body["Request"], body["Context"]) == ("d", "r", "c")
    assert body["ParameterObject"] == {"seconds": "1"}
    assert body["DetailsTable"] == 205
    assert body["DatabaseSerialNumber"] == "0000000"


def test_post_in_xml_and_form(server: LiveServer) -> None:
    """XML and form bodies create tasks too; the XML answer is <int>."""
    xml = (
        "<BatchTaskInfo><Name>batchtask.sleep</Name><Description>x &amp; y</Description>"
        "<ParameterObject><KeyValuePair><Key>steps</Key><Value>2</Value></KeyValuePair>"
        "</ParameterObject><IsInternalTask>false</IsInternalTask></BatchTaskInfo>"
    )
    with server.client() as client:
        created = client.post(
            "/api/v1/BatchTask", content=xml,
            headers={**basic("alice"), "Content-Type": "application/xml", "Accept": "application/xml"},
        )  # fmt: skip
        form = client.post(
            "/api/v1/BatchTask", data={"Name": "batchtask.sleep", "ParameterObject[a]": "b"},
            headers=basic("alice"),
        )  # fmt: skip
        assert created.status_code == 200
        assert created.text.endswith("<int>1</int>")
        assert form.json() == 2
        first = client.get("/api/v1/BatchTask/1", headers=basic("alice")).json()
        second = client.get("/api/v1/BatchTask/2", headers=basic("alice")).json()
    assert (first["Description"], first["ParameterObject"]) == ("x & y", {"steps": "2"})
    assert second["ParameterObject"] == {"a": "b"}


def test_system_tasks_need_an_admin(server: LiveServer) -> None:
    """IsSystemTask from a plain user is 403; from an admin it creates an AssociateId-0 task."""
    with server.client() as client:
        refused = client.post(
            "/api/v1/BatchTask", json={"Name": "x", "IsSystemTask": True}, headers=basic("alice")
        )
        assert refused.status_code == 403
        task_id = client.post(
            "/api/v1/BatchTask", json={"Name": "x", "IsSystemTask": True}, headers=basic("admin")
        ).json()
        body = client.get(f"/api/v1/BatchTask/{task_id}", headers=basic("alice")).json()
    assert (body["AssociateId"], body["IsSystemTask"]) == (0, True)
    assert body["TableRight"]["Mask"] == "Select"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "Name"),
        ({"Name": ""}, "Name"),
        ({"Name": "x" * 255}, "Name"),
        ({"Name": 5}, "Name"),
        ({"Name": "x", "Description": "d" * 255}, "Description"),
        ({"Name": "x", "IsSystemTask": "yes"}, "IsSystemTask"),
        ({"Name": "x", "DetailsTable": 40000}, "DetailsTable"),
        ({"Name": "x", "DetailsRecord": 2**31}, "DetailsRecord"),
        ({"Name": "x", "DetailsRecord": "--5"}, "DetailsRecord"),
        ({"Name": "x", "ParameterObject": {"a": 1}}, "ParameterObject"),
        ({"Name": "x", "ParameterObject": ["a"]}, "ParameterObject"),
        ({"Name": "x", "State": "Bogus"}, "State"),
        ([1, 2], "body"),
    ],
)
def test_bad_bodies_are_400_naming_the_field(server: LiveServer, body: object, field: str) -> None:
    """Wrong types, lengths and enum names are 400 with the field in the message; nothing stored."""
    with server.client() as client:
        response = client.post(
            "/api/v1/BatchTask", content=json.dumps(body), headers={**basic("alice"), **JSON}
        )
        assert response.status_code == 400, response.text
        assert field in response.json()["ErrorMessage"]
        assert client.get("/api/v1/BatchTask/1", headers=basic("alice")).status_code == 404


JSON_BOMBS = [
    b"[" * 100_000 + b"]" * 100_000,
    b'{"Name": ' + b"[" * 1025 + b"]" * 1025 + b"}",
    b'{"Name": "x", "DetailsRecord": ' + b"9" * 5000 + b"}",
    b'{"Name": "x", "DetailsRecord": NaN}',
    b'{"Name": "x", "DetailsRecord": Infinity}',
    b'{"Name": "x", "DetailsRecord": 1e999}',
    b'{"Name": "x", "State": "New", "State": "Failed"}',
    b'{"Name": "\xff\xfe"}',
    b'\xef\xbb\xbf{"Name": "x"}',
    '{"Name": "x"}'.encode("utf-16"),
    b'{"Name": "\\ud800"}',
    b'{"Name": "x", "Id": 18446744073709551616}',
    b"",
    b"null",
    b'"just a string"',
    b'{"Name": "x",}',
]


@pytest.mark.parametrize("body", JSON_BOMBS, ids=range(len(JSON_BOMBS)))
def test_json_bombs_are_4xx(server: LiveServer, body: bytes) -> None:
    """Suite B4: deep nesting, huge numbers, NaN, duplicate keys, bad UTF-8 … are 400, never 5xx."""
    with server.client() as client:
        response = client.post(
            "/api/v1/BatchTask", content=body, headers={**basic("alice"), **JSON}
        )
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["Error"] is True


def test_body_limits_and_types(server: LiveServer) -> None:
    """Over the size limit → 413; text/plain → 415; no Content-Type → 415."""
    with server.client() as client:
        big = client.post(
            "/api/v1/BatchTask", content=b'{"Name": "' + b"x" * (2 * 1024 * 1024) + b'"}',
            headers={**basic("alice"), **JSON},
        )  # fmt: skip
        plain = client.post(
            "/api/v1/BatchTask", content=b'{"Name": "x"}',
            headers={**basic("alice"), "Content-Type": "text/plain"},
        )  # fmt: skip
        missing = client.post("/api/v1/BatchTask", content=b'{"Name": "x"}', headers=basic("alice"))
    assert big.status_code == 413
    assert plain.status_code == 415
    assert missing.status_code == 415


XML_ATTACKS = [
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
    b"<BatchTaskInfo><Name>&lol2;</Name></BatchTaskInfo>",
    b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    b"<BatchTaskInfo><Name>&x;</Name></BatchTaskInfo>",
    b'<?xml version="1.0"?><!DOCTYPE r SYSTEM "http://127.0.0.1:47999/d.dtd"><BatchTaskInfo/>',
    b"<BatchTaskInfo>" + b"<a>" * 100_000 + b"</a>" * 100_000 + b"</BatchTaskInfo>",
    b"<ContactEntity><Name>x</Name></ContactEntity>",
    b"<BatchTaskInfo><Name>x</Name>",
    b'<?xml version="1.0" encoding="UTF-16"?><BatchTaskInfo><Name>x</Name></BatchTaskInfo>',
]


@pytest.mark.parametrize("body", XML_ATTACKS, ids=range(len(XML_ATTACKS)))
def test_xml_attacks_are_4xx(server: LiveServer, body: bytes) -> None:
    """Suite B5: entities, external DTDs, deep nesting, wrong root, malformed → 400, never 5xx."""
    with server.client() as client:
        response = client.post(
            "/api/v1/BatchTask",
            content=body,
            headers={**basic("alice"), "Content-Type": "text/xml"},
        )
        assert 400 <= response.status_code < 500, response.text
        assert "root:" not in response.text
        assert client.get("/api/v1/BatchTask/1", headers=basic("alice")).status_code == 404


def test_put_changes_only_the_four_fields(server: LiveServer) -> None:
    """PUT applies State, Description, Response, Request and ignores everything else."""
    task_id = make_task(server, "alice", description="before", request="r0")
    with server.client() as client:
        response = client.put(
            f"/api/v1/BatchTask/{task_id}",
            json={"Id": 77, "Name": "other", "State": "Failed", "Description": "after",
                  "Response": "why", "Request": "r1", "AssociateId": 0, "ProgressPercent": 90,
                  "StartCount": 9, "IsSystemTask": True},
            headers=basic("alice"),
        )  # fmt: skip
    assert response.status_code == 200
    body = response.json()
    assert (body["Id"], body["Name"], body["AssociateId"]) == (
        task_id,
        "batchtask.sleep",
        server.users["alice"].associate_id,
    )
    assert (body["State"], body["Description"], body["Response"], body["Request"]) == (
        "Failed",
        "after",
        "why",
        "r1",
    )
    assert (body["ProgressPercent"], body["StartCount"], body["IsSystemTask"]) == (0, 0, False)


@pytest.mark.parametrize("state", ["All", "Unknown", "99999", "0"])
def test_put_refuses_query_only_states(server: LiveServer, state: str) -> None:
    """All and Unknown are never stored: 400."""
    task_id = make_task(server, "alice")
    with server.client() as client:
        response = client.put(
            f"/api/v1/BatchTask/{task_id}", json={"State": state}, headers=basic("alice")
        )
    assert response.status_code == 400
    assert "State" in response.json()["ErrorMessage"]


def test_put_missing_is_404_and_others_are_403(server: LiveServer) -> None:
    """PUT on a missing id → 404; on another user's task → 403 and the row is unchanged."""
    task_id = make_task(server, "alice", description="mine")
    with server.client() as client:
        missing = client.put(
            "/api/v1/BatchTask/4242", json={"Description": "x"}, headers=basic("alice")
        )
        forbidden = client.put(
            f"/api/v1/BatchTask/{task_id}", json={"Description": "bob"}, headers=basic("bob")
        )
        by_admin = client.put(
            f"/api/v1/BatchTask/{task_id}", json={"Description": "admin"}, headers=basic("admin")
        )
        after = client.get(f"/api/v1/BatchTask/{task_id}", headers=basic("alice")).json()
    assert (missing.status_code, forbidden.status_code, by_admin.status_code) == (404, 403, 200)
    assert after["Description"] == "admin"


def test_delete_is_idempotent_and_guarded(server: LiveServer) -> None:
    """DELETE → 204 (again 204); another user's task → 403 and it stays."""
    mine = make_task(server, "alice", parameters={"a": "b"})
    with server.client() as client:
        forbidden = client.delete(f"/api/v1/BatchTask/{mine}", headers=basic("bob"))
        assert forbidden.status_code == 403
        assert client.get(f"/api/v1/BatchTask/{mine}", headers=basic("alice")).status_code == 200
        first = client.delete(f"/api/v1/BatchTask/{mine}", headers=basic("alice"))
        again = client.delete(f"/api/v1/BatchTask/{mine}", headers=basic("alice"))
        assert (first.status_code, again.status_code) == (204, 204)
        assert first.content == b""
        assert client.get(f"/api/v1/BatchTask/{mine}", headers=basic("alice")).status_code == 404


def test_get_by_state_lists_user_tasks_of_every_user(server: LiveServer) -> None:
    """GET BatchTask/{state}: any case; user tasks of all users; system tasks excluded."""
    alice = make_task(server, "alice")
    bob = make_task(server, "bob")
    with server.client() as client:
        system = client.post(
            "/api/v1/BatchTask", json={"Name": "x", "IsSystemTask": True}, headers=basic("admin")
        ).json()
        client.put(f"/api/v1/BatchTask/{bob}", json={"State": "Succeeded"}, headers=basic("bob"))
        new = client.get("/api/v1/BatchTask/new", headers=basic("alice"))
        every = client.get("/api/v1/BatchTask/ALL", headers=basic("alice"))
        succeeded = client.get(
            "/api/v1/BatchTask/Succeeded", headers={**basic("alice"), "Accept": "application/xml"}
        )
        misspelt = client.get("/api/v1/BatchTask/Acquired", headers=basic("alice"))
    assert [task["Id"] for task in new.json()] == [alice]
    assert [task["Id"] for task in every.json()] == [alice, bob]
    assert system not in [task["Id"] for task in every.json()]
    assert succeeded.text.count("<BatchTaskInfo>") == 1
    assert "<ArrayOfBatchTaskInfo " in succeeded.text
    assert misspelt.status_code == 404


def test_method_not_allowed_carries_allow(server: LiveServer) -> None:
    """A wrong method is 405 with Allow and the error object."""
    with server.client() as client:
        response = client.patch("/api/v1/BatchTask/1", headers=basic("alice"))
    assert response.status_code == 405
    assert "GET" in response.headers["allow"]
    assert response.json()["Error"] is True


def test_a_parameter_object_over_the_size_limit_is_400(server: LiveServer) -> None:
    """Issue 11 #6: a ParameterObject whose keys and values exceed PARAMETER_OBJECT_LIMIT bytes
    (64 KiB by default) is a 400 naming the field and the limit, and nothing is stored; one just
    under it is stored."""
    limit = server.settings.parameter_object_limit
    too_big = {f"k{index}": "é" * 2000 for index in range(limit // 4000 + 1)}  # 2 bytes each
    fits = {f"k{index}": "x" * 4000 for index in range(limit // 4000 - 1)}
    with server.client() as client:
        response = client.post(
            "/api/v1/BatchTask",
            content=json.dumps({"Name": "x", "ParameterObject": too_big}),
            headers={**basic("alice"), **JSON},
        )
        assert response.status_code == 400, response.text
        body = response.json()
        assert body["ErrorType"] == "SoValidationException"
        assert "ParameterObject" in body["ErrorMessage"]
        assert str(limit) in body["ErrorMessage"]
        assert client.get("/api/v1/BatchTask/1", headers=basic("alice")).status_code == 404
        response = client.post(
            "/api/v1/BatchTask",
            content=json.dumps({"Name": "x", "ParameterObject": fits}),
            headers={**basic("alice"), **JSON},
        )
        assert response.status_code == 200, response.text


NUL_CASES = [
    ("POST", "/api/v1/BatchTask", {"Name": "x", "Description": "a\x00b"}, "Description"),
    ("POST", "/api/v1/BatchTask", {"Name": "x\x00"}, "Name"),
    ("POST", "/api/v1/BatchTask", {"Name": "x", "Context": "\x00"}, "Context"),
    ("POST", "/api/v1/BatchTask", {"Name": "x", "ParameterObject": {"k": "a\x00"}},
     "ParameterObject"),
    ("PUT", "/api/v1/BatchTask/{id}", {"Response": "a\x00b"}, "Response"),
    ("POST", "/api/v1/Agents/Batch/GetAllBatchTaskInfosByName", {"TaskName": "a\x00"}, "TaskName"),
    ("POST", "/api/v1/Agents/Batch/GetBatchTaskInfosByNameAndState",
     {"Name": "a\x00", "State": "All"}, "Name"),
    ("POST", "/api/v1/Agents/Batch/StartBatchJob",
     {"BatchTaskInfo": {"Name": "x", "Request": "a\x00"}}, "Request"),
    ("POST", "/admin/api/tasks", {"Name": "x", "Description": "\x00"}, "Description"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("path", "field"),
    [("/admin/api/tasks?q=a%00", "q"), ("/api/v1/BatchTask?$filter=description%20eq%20'%00'", ""),
     ("/admin/api/tasks?filter=description%20eq%20'a%00'", "")],
)  # fmt: skip
def test_a_nul_in_a_query_parameter_is_400_naming_it(
    server: LiveServer, path: str, field: str
) -> None:
    """Issue 11 #11: the same for search text in the query string (a filter's parser names the
    position of the character instead)."""
    with server.client() as client:
        response = client.get(path, headers=basic("alice"))
    assert response.status_code == 400, response.text
    message = response.json()["ErrorMessage"]
    assert field in message
    assert "NUL" in message or "position" in message


def test_a_nul_in_login_credentials_is_refused_alike(server: LiveServer) -> None:
    """Issue 11 #11: a NUL in a user name or password at /login (JSON) or in Basic credentials is
    refused the same way on both engines and never reaches the database as text."""
    token = base64.b64encode(b"ali\x00ce:pw").decode()
    with server.client() as client:
        login = client.post("/login", json={"Username": "ali\x00ce", "Password": "x"})
        basic_nul = client.get("/api/v1/BatchTask/All", headers={"Authorization": f"Basic {token}"})
    assert login.status_code in (400, 401), login.text
    assert "Error" in login.json()
    assert "Repertoire" not in login.text
    assert basic_nul.status_code in (400, 401), basic_nul.text
    assert "Repertoire" not in basic_nul.text


@pytest.mark.parametrize(("method", "path", "body", "field"), NUL_CASES)
def test_a_nul_in_a_string_is_400_naming_the_field(
    server: LiveServer, method: str, path: str, body: object, field: str
) -> None:
    """Issue 11 #11: a NUL character in any string a client sends is refused with a 400 that
    names the field, on both engines alike (PostgreSQL cannot store it; its refusal used to
    leak as "a value is too large … CharacterNotInRepertoireError"); nothing is stored."""
    task_id = make_task(server, "alice", description="before")
    with server.client() as client:
        response = client.request(
            method, path.format(id=task_id), content=json.dumps(body),
            headers={**basic("alice"), **JSON},
        )  # fmt: skip
        assert response.status_code == 400, response.text
        message = response.json()["ErrorMessage"]
        assert field in message
        assert "NUL" in message
        assert "Error" not in message.replace("ErrorMessage", "")
        left = client.get("/api/v1/BatchTask/All", headers=basic("alice")).json()
    assert [(task["Id"], task["Description"], task["Response"]) for task in left] == [
        (task_id, "before", "")
    ]
