"""GET /api/v1/BatchTask/{id} over real HTTP on both engines: the basics."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from batchtask.domain.task import NewTask
from tests.integration.conftest import PASSWORD, LiveServer


def basic(name: str, password: str = PASSWORD) -> dict[str, str]:
    """A Basic Authorization header."""
    token = base64.b64encode(f"{name}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def make_task(server: LiveServer, owner: str, **fields: Any) -> int:
    """Create a task owned by ``owner`` through the repository."""
    user = server.users[owner]
    new = NewTask(
        name=str(fields.pop("name", "batchtask.sleep")), associate_id=user.associate_id, **fields
    )
    return server.call(lambda s: s.store.tasks.create(new, now=server.clock.now(), actor="test"))


def test_get_returns_the_carrier_in_spec_order(server: LiveServer) -> None:
    """All 24 fields, in SPEC §2 order, with JSON content type and Vary."""
    task_id = make_task(server, "alice", parameters={"a": "b"})
    with server.client() as client:
        response = client.get(f"/api/v1/BatchTask/{task_id}", headers=basic("alice"))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert "SO-TimeZone" in response.headers["vary"]
    body = response.json()
    assert list(body) == [
        "Id",
        "Name",
        "AssociateId",
        "DetailsTable",
        "DetailsRecord",
        "IsSystemTask",
        "IsInternalTask",
        "ParameterObject",
        "LastStarted",
        "Created",
        "StartCount",
        "DatabaseSerialNumber",
        "Context",
        "Result",
        "State",
        "Description",
        "Response",
        "Request",
        "ProgressDescription",
        "ProgressPercent",
        "FileName",
        "CancellationBehaviour",
        "TableRight",
        "FieldProperties",
    ]
    assert body["Id"] == task_id
    assert body["State"] == "New"
    assert body["ParameterObject"] == {"a": "b"}
    assert body["DetailsTable"] == 205
    assert body["LastStarted"] == "0001-01-01T00:00:00"
    assert body["Created"] == "2026-11-28T12:00:00"
    assert body["TableRight"] == {"Mask": "FULL", "Reason": ""}
    assert len(body["FieldProperties"]) == 22


def test_missing_task_is_404_with_error_body(server: LiveServer) -> None:
    """An unknown id answers 404 with SuperOffice's error object."""
    with server.client() as client:
        response = client.get("/api/v1/BatchTask/999999", headers=basic("alice"))
    assert response.status_code == 404
    assert response.json() == {
        "Error": True,
        "ErrorType": "SoNotFoundException",
        "ErrorMessage": "BatchTask id 999999 not found",
        "ErrorSource": "batchtask",
    }


@pytest.mark.parametrize(
    ("segment", "status"),
    [
        ("2147483648", 400),
        ("-2147483649", 400),
        ("99999999999999999999", 400),
        ("9" * 10000, 400),
        ("1e3", 404),
        ("0x10", 404),
        ("１２", 404),
        ("١٢٣", 404),
        ("%00", 404),
        ("5.0", 404),
        ("1_000", 404),
        ("5%20", 404),
        ("0", 404),
        ("-1", 404),
        ("+5", 404),
        ("010", 404),
        ("2147483647", 404),
    ],
)
def test_odd_ids_are_4xx(server: LiveServer, segment: str, status: int) -> None:
    """Ids out of int32 are 400; anything that is not a number is 404; never a 5xx."""
    with server.client() as client:
        response = client.get(f"/api/v1/BatchTask/{segment}", headers=basic("alice"))
    assert response.status_code == status
    assert response.json()["Error"] is True


def test_other_users_task_is_readable_with_select_right(server: LiveServer) -> None:
    """Another user's task reads with TableRight Select and a translated reason."""
    task_id = make_task(server, "alice")
    with server.client() as client:
        response = client.get(
            f"/api/v1/BatchTask/{task_id}", headers={**basic("bob"), "Accept-Language": "en"}
        )
    assert response.status_code == 200
    right = response.json()["TableRight"]
    assert right["Mask"] == "Select"
    assert right["Reason"] == "Only the owner of the task or an administrator can change it."


def test_context_identifier_prefix(server: LiveServer) -> None:
    """The configured tenant prefix works (any case); another tenant is 404."""
    task_id = make_task(server, "alice")
    with server.client() as client:
        ok = client.get(f"/Cust00000/api/v1/BatchTask/{task_id}", headers=basic("alice"))
        also = client.get(f"/cust00000/api/v1/BatchTask/{task_id}", headers=basic("alice"))
        other = client.get(f"/Cust12345/api/v1/BatchTask/{task_id}", headers=basic("alice"))
    assert (ok.status_code, also.status_code, other.status_code) == (200, 200, 404)
