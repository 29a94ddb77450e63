"""The 15 Agents/Batch methods over real HTTP on both engines (SPEC §5.2)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from batchtask.domain.ports import TaskFilter
from tests.integration.conftest import LiveServer
from tests.integration.test_seed_endpoint import basic, make_task

AGENT = "/api/v1/Agents/Batch/"


def call(
    server: LiveServer, method: str, body: object = None, user: str = "alice", **kwargs: Any
) -> httpx.Response:
    """POST an agent method."""
    with server.client() as client:
        if body is None:
            return client.post(AGENT + method, headers=basic(user), **kwargs)
        return client.post(AGENT + method, json=body, headers=basic(user), **kwargs)


@pytest.fixture
def tasks(server: LiveServer) -> dict[str, int]:
    """alice: sleep (New) and export (Succeeded); bob: sleep (New); system: retention (New)."""
    ids = {
        "alice_sleep": make_task(server, "alice", name="batchtask.sleep"),
        "alice_export": make_task(server, "alice", name="batchtask.export"),
        "bob_sleep": make_task(server, "bob", name="batchtask.sleep"),
    }
    with server.client() as client:
        ids["system"] = client.post(
            "/api/v1/BatchTask", json={"Name": "batchtask.retention", "IsSystemTask": True},
            headers=basic("admin"),
        ).json()  # fmt: skip
        client.put(
            f"/api/v1/BatchTask/{ids['alice_export']}",
            json={"State": "Succeeded"},
            headers=basic("alice"),
        )
    return ids


def ids_of(response) -> list[int]:  # type: ignore[no-untyped-def]
    """Ids of a carrier array response."""
    assert response.status_code == 200, response.text
    return [item["Id"] for item in response.json()]


def test_get_batch_task_info_and_null_when_missing(
    server: LiveServer, tasks: dict[str, int]
) -> None:
    """GetBatchTaskInfo returns the carrier, or 200 null — never 404."""
    found = call(server, "GetBatchTaskInfo", {"Id": tasks["bob_sleep"]})
    missing = call(server, "GetBatchTaskInfo", {"id": 99999})
    assert found.json()["Id"] == tasks["bob_sleep"]
    assert (missing.status_code, missing.json()) == (200, None)


def test_query_string_parameters_work_too(server: LiveServer, tasks: dict[str, int]) -> None:
    """Simple parameters may come in the query string instead of a body."""
    response = call(server, f"GetBatchTaskInfo?Id={tasks['alice_sleep']}")
    assert response.json()["Id"] == tasks["alice_sleep"]
    listed = call(
        server, f"GetBatchTaskInfosByAssociates?AssociateIds=0,{server.users['bob'].associate_id}"
    )
    assert ids_of(listed) == [tasks["bob_sleep"], tasks["system"]]


def test_associate_ids_semantics(server: LiveServer, tasks: dict[str, int]) -> None:
    """Empty = all, 0 = system, -1 = all users, else those owners."""
    alice = server.users["alice"].associate_id
    everything = sorted(tasks.values())
    assert ids_of(call(server, "GetBatchTaskInfosByAssociates", {"AssociateIds": []})) == everything
    assert ids_of(call(server, "GetBatchTaskInfosByAssociates", {"AssociateIds": [0]})) == [
        tasks["system"]
    ]
    users = ids_of(call(server, "GetBatchTaskInfosByAssociates", {"AssociateIds": [-1]}))
    assert users == sorted([tasks["alice_sleep"], tasks["alice_export"], tasks["bob_sleep"]])
    both = ids_of(call(server, "GetBatchTaskInfosByAssociates", {"AssociateIds": [-1, 0]}))
    assert both == everything
    mine = ids_of(call(server, "GetBatchTaskInfosByAssociates", {"associateids": [alice]}))
    assert mine == [tasks["alice_sleep"], tasks["alice_export"]]


def test_state_and_name_filters(server: LiveServer, tasks: dict[str, int]) -> None:
    """The ByState / ByName… / GetAll… / GetSystem… families filter as documented."""
    alice = server.users["alice"].associate_id
    assert ids_of(call(server, "GetBatchTaskInfosByState", {"State": "New"})) == [
        tasks["alice_sleep"],
        tasks["bob_sleep"],
    ]
    assert ids_of(
        call(
            server,
            "GetBatchTaskInfosByAssociatesAndState",
            {"AssociateIds": [alice], "State": "succeeded"},
        )
    ) == [tasks["alice_export"]]
    assert ids_of(
        call(server, "GetBatchTaskInfosByAssociatesAndState", {"AssociateIds": [], "State": "All"})
    ) == sorted(tasks.values())
    assert ids_of(
        call(
            server,
            "GetBatchTaskInfosByNameAndAssociates",
            {"Name": "batchtask.sleep", "AssociateIds": [-1]},
        )
    ) == [tasks["alice_sleep"], tasks["bob_sleep"]]
    assert ids_of(
        call(server, "GetBatchTaskInfosByNameAndState", {"Name": "", "State": "New"})
    ) == [tasks["alice_sleep"], tasks["bob_sleep"]]
    assert (
        ids_of(
            call(
                server,
                "GetBatchTaskInfosByNameAndState",
                {"Name": "batchtask.retention", "State": "New"},
            )
        )
        == []
    )
    assert ids_of(
        call(server, "GetAllBatchTaskInfosByName", {"TaskName": "batchtask.retention"})
    ) == [tasks["system"]]
    assert ids_of(call(server, "GetAllBatchTaskInfosByName", {"TaskName": None})) == sorted(
        tasks.values()
    )
    assert ids_of(
        call(
            server,
            "GetAllBatchTaskInfosByNameAndState",
            {"TaskName": "BATCHTASK.SLEEP", "State": "New"},
        )
    ) == [tasks["alice_sleep"], tasks["bob_sleep"]]
    assert ids_of(call(server, "GetSystemBatchTaskInfosByName", {"TaskName": ""})) == [
        tasks["system"]
    ]
    assert (
        ids_of(
            call(
                server, "GetSystemBatchTaskInfosByNameAndState", {"TaskName": "", "State": "Failed"}
            )
        )
        == []
    )


def test_start_update_delete(server: LiveServer) -> None:
    """StartBatchJob (wrapped), UpdateBatchTask (by carrier Id), DeleteBatchTask(s)."""
    started = call(
        server, "StartBatchJob", {"BatchTaskInfo": {"Name": "batchtask.sleep", "Description": "a"}}
    )
    task_id = started.json()
    assert isinstance(task_id, int)
    second = call(server, "StartBatchJob", {"batchtaskinfo": {"Name": "batchtask.sleep"}}).json()
    updated = call(
        server,
        "UpdateBatchTask",
        {"BatchTaskInfo": {"Id": task_id, "Description": "b", "Name": "ignored"}},
    )
    assert (updated.json()["Description"], updated.json()["Name"]) == ("b", "batchtask.sleep")
    assert (
        call(server, "UpdateBatchTask", {"BatchTaskInfo": {"Id": 99999, "Description": "b"}}).json()
        is None
    )
    deleted = call(server, "DeleteBatchTask", {"BatchTaskId": task_id})
    assert (deleted.status_code, deleted.content) == (204, b"")
    assert call(server, "DeleteBatchTasks", {"BatchTaskIds": [second, 99999]}).status_code == 204
    assert call(server, "GetBatchTaskInfo", {"Id": second}).json() is None


def test_select_nulls_fields_in_arrays(server: LiveServer, tasks: dict[str, int]) -> None:
    """$select applies to every carrier of an array."""
    response = call(server, "GetBatchTaskInfosByState?$select=State", {"State": "New"})
    for item in response.json():
        assert {key for key, value in item.items() if value is not None} == {"Id", "State"}


def test_xml_agent_call(server: LiveServer, tasks: dict[str, int]) -> None:
    """XML bodies and XML answers work for agents (array root ArrayOfBatchTaskInfo)."""
    with server.client() as client:
        response = client.post(
            AGENT + "GetBatchTaskInfosByAssociates",
            content="<GetBatchTaskInfosByAssociates><AssociateIds><int>0</int></AssociateIds></GetBatchTaskInfosByAssociates>",
            headers={**basic("alice"), "Content-Type": "application/xml", "Accept": "application/xml"},
        )  # fmt: skip
    assert response.status_code == 200
    assert response.text.count("<BatchTaskInfo>") == 1
    assert f"<Id>{tasks['system']}</Id>" in response.text


@pytest.mark.parametrize(
    ("method", "body"),
    [
        ("GetBatchTaskInfo", {"Id": "glops"}),
        ("GetBatchTaskInfo", {"Id": 2**31}),
        ("GetBatchTaskInfo", {"Id": "+-5"}),
        ("GetBatchTaskInfosByState", {"State": "Bogus"}),
        ("GetBatchTaskInfosByAssociates", {"AssociateIds": "x"}),
        ("GetBatchTaskInfosByAssociates", {"AssociateIds": [1, "a"]}),
        ("StartBatchJob", {"BatchTaskInfo": {"Name": ""}}),
        ("UpdateBatchTask", {"BatchTaskInfo": {"Description": "no id"}}),
        ("DeleteBatchTasks", {"BatchTaskIds": {"a": 1}}),
    ],
)
def test_malformed_agent_calls_are_400(server: LiveServer, method: str, body: object) -> None:
    """Malformed parameters → 400 with the error object (missing ones: see below)."""
    response = call(server, method, body)
    assert response.status_code == 400, response.text
    assert response.json()["Error"] is True


def test_unknown_method_is_404(server: LiveServer) -> None:
    """An unknown agent method is 404, on POST and on GET."""
    assert call(server, "Nope", {}).status_code == 404
    with server.client() as client:
        assert client.get(AGENT + "Nope", headers=basic("alice")).status_code == 404


@pytest.mark.parametrize(
    ("method", "body", "parameter"),
    [
        ("GetBatchTaskInfo", {}, "id"),
        ("GetBatchTaskInfo", {"Id": None}, "id"),
        ("StopBatchJob", {"id": None}, "id"),
        ("GetBatchTaskInfosByState", {}, "state"),
        ("GetBatchTaskInfosByAssociatesAndState", {"AssociateIds": [1]}, "state"),
        ("GetAllBatchTaskInfosByNameAndState", {"TaskName": "x", "State": None}, "state"),
        ("DeleteBatchTask", {}, "batchTaskId"),
        ("StartBatchJob", {"BatchTaskInfo": None}, "batchTaskInfo"),
        ("StartBatchJob", None, "batchTaskInfo"),
        ("UpdateBatchTask", {}, "batchTaskInfo"),
    ],
)
def test_missing_parameters_are_asp_net_s_invalid_request(
    server: LiveServer, method: str, body: object, parameter: str
) -> None:
    """A missing or null required parameter: 200 with ASP.NET's internal error object (AGI)."""
    before = server.call(lambda s: s.store.tasks.find(TaskFilter()))
    response = call(server, method, body)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "Message": "The request is invalid.",
        "MessageDetail": f"The parameters dictionary contains a null entry for parameter "
        f"'{parameter}'.",
    }
    with server.client() as client:
        xml = client.post(AGENT + method, headers={**basic("alice"), "Accept": "text/xml"})
    assert xml.status_code == 200
    assert '<Error xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><Message>' in xml.text
    assert len(server.call(lambda s: s.store.tasks.find(TaskFilter()))) == len(before)


@pytest.mark.parametrize("content_type", ["application/json", "application/xml", "text/json",
                                          "application/x-www-form-urlencoded"])  # fmt: skip
def test_an_empty_body_is_no_body(
    server: LiveServer, tasks: dict[str, int], content_type: str
) -> None:
    """Clients with a default Content-Type send it with no body: the query has the parameters."""
    with server.client() as client:
        response = client.post(
            AGENT + f"GetBatchTaskInfo?Id={tasks['alice_sleep']}",
            headers={**basic("alice"), "Content-Type": content_type},
        )
        stopped = client.post(
            AGENT + f"stopbatchjob/?id={tasks['alice_sleep']}",
            headers={**basic("alice"), "Content-Type": content_type, "Content-Length": "0"},
        )
    assert response.status_code == 200, response.text
    assert response.json()["Id"] == tasks["alice_sleep"]
    assert stopped.json() is True


def test_rights_apply_to_agents(server: LiveServer, tasks: dict[str, int]) -> None:
    """bob cannot update or delete alice's task through the agent either (403)."""
    assert (
        call(
            server,
            "UpdateBatchTask",
            {"BatchTaskInfo": {"Id": tasks["alice_sleep"], "Description": "x"}},
            user="bob",
        ).status_code
        == 403
    )
    assert (
        call(
            server, "DeleteBatchTask", {"BatchTaskId": tasks["alice_sleep"]}, user="bob"
        ).status_code
        == 403
    )
    assert (
        call(
            server,
            "StartBatchJob",
            {"BatchTaskInfo": {"Name": "x", "IsSystemTask": True}},
            user="bob",
        ).status_code
        == 403
    )
