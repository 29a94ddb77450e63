"""Suite E — BOLA and BOPLA: a plain user against another user's task, on every surface.

Against a real ``batchtask serve`` on each engine. ``bob`` (a plain user) attacks ``alice``'s task
and a system task through the REST resource, the Batch agent, the admin API (with his ticket and
with a console session + XSRF token, as the console's pages call it), the file download and the
console's task page. SPEC §6: he may *read* them (200, ``TableRight`` ``Select``), every write is
refused (403; SuperOffice's ``Stop`` answers ``false``; bulk actions skip the task) and the task
— read back by the admin after every attempt — is byte-for-byte what it was. Then ``alice``
(the owner) sends PUT bodies mixing the four PUT-able fields (``State``, ``Description``,
``Response``, ``Request``) with every server-owned one (``Id``, ``AssociateId``,
``ProgressPercent``, ``IsSystemTask``, ``StartCount``, ``TableRight``, ``Created`` …) through REST,
the agent and the admin API: no field outside the four ever changes.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.attack.stack import DEEP, PASSWORD, Stack, start_stack
from tests.reliability.conftest import ENGINES

pytestmark = pytest.mark.e2e

#: Fields a PUT may change (SPEC §5.1); everything else is the server's.
PUTABLE = {"State", "Description", "Response", "Request"}
#: Server-owned fields and hostile values for them.
FOREIGN: dict[str, list[Any]] = {
    "Id": [1, 999, -1],
    "AssociateId": [0, 1, 2, 3],
    "Name": ["batchtask.sleep", "other"],
    "ProgressPercent": [0, 50, 100],
    "IsSystemTask": [True, False],
    "IsInternalTask": [True, False],
    "StartCount": [0, 7],
    "LastStarted": ["2020-01-01T00:00:00"],
    "Created": ["2020-01-01T00:00:00"],
    "Context": ["hijacked"],
    "Result": ["forged"],
    "FileName": ["../../etc/passwd"],
    "DetailsTable": [5],
    "DetailsRecord": [5],
    "CancellationBehaviour": ["CannotCancel"],
    "DatabaseSerialNumber": ["X"],
    "ParameterObject": [{"seconds": "999"}],
    "TableRight": [{"Mask": "FULL", "Reason": ""}],
    "FieldProperties": [{}],
}
BODIES = 300 if DEEP else 40


@pytest.fixture(scope="module", params=ENGINES)
def stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """One server per engine."""
    yield from start_stack(request.param, request, tmp_path_factory)


def create(client: httpx.Client, stack: Stack, user: str, body: dict[str, Any]) -> int:
    """A new task as ``user``; its id."""
    answer = client.post("/api/v1/BatchTask", json=body, headers=stack.auth(user))
    assert answer.status_code == 200, answer.text
    return int(answer.json())


def snapshot(client: httpx.Client, stack: Stack, task: int) -> dict[str, Any]:
    """The task as the admin reads it (every field, ``TableRight`` aside: it is per caller)."""
    answer = client.get(f"/api/v1/BatchTask/{task}", headers=stack.auth("admin"))
    assert answer.status_code == 200, answer.text
    data: dict[str, Any] = answer.json()
    data.pop("TableRight", None)
    data.pop("FieldProperties", None)
    return data


def login(client: httpx.Client, user: str) -> dict[str, str]:
    """Headers of a console session: the session cookie is kept by ``client``."""
    answer = client.post("/login", json={"username": user, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    xsrf = client.cookies.get("XSRF-TOKEN") or answer.json().get("XsrfToken", "")
    return {"X-XSRF-TOKEN": xsrf}


def writes(task: int) -> list[tuple[str, str, str, Any]]:
    """Every write surface on ``task``: (label, method, path, JSON body)."""
    admin = f"/admin/api/tasks/{task}"
    return [
        ("rest put", "PUT", f"/api/v1/BatchTask/{task}", {"Description": "bob", "State": "Failed"}),
        ("rest delete", "DELETE", f"/api/v1/BatchTask/{task}", None),
        ("rest stop", "POST", f"/api/v1/BatchTask/{task}/Stop", None),
        ("agent update", "POST", "/api/v1/Agents/Batch/UpdateBatchTask",
         {"BatchTaskInfo": {"Id": task, "Description": "bob", "Response": "bob"}}),
        ("agent stop", "POST", "/api/v1/Agents/Batch/StopBatchJob", {"Id": task}),
        ("agent delete", "POST", "/api/v1/Agents/Batch/DeleteBatchTask", {"BatchTaskId": task}),
        ("agent delete many", "POST", "/api/v1/Agents/Batch/DeleteBatchTasks",
         {"BatchTaskIds": [task]}),
        ("admin put", "PUT", admin, {"Description": "bob", "Request": "bob"}),
        ("admin delete", "DELETE", admin, None),
        ("admin stop", "POST", admin + "/stop", None),
        ("admin retry", "POST", admin + "/retry", None),
        ("admin bulk stop", "POST", "/admin/api/tasks/bulk", {"Action": "Stop", "Ids": [task]}),
        ("admin bulk retry", "POST", "/admin/api/tasks/bulk", {"Action": "Retry", "Ids": [task]}),
        ("admin bulk delete", "POST", "/admin/api/tasks/bulk",
         {"Action": "Delete", "Ids": [task]}),
        ("admin bulk delete by filter", "POST", "/admin/api/tasks/bulk",
         {"Action": "Delete", "Filter": "State eq 'New'"}),
    ]  # fmt: skip


def refused(label: str, answer: httpx.Response) -> bool:
    """The answer refuses the write (403, SuperOffice's ``false``, or bulk's ``Done`` 0)."""
    if answer.status_code == 403:
        return True
    if answer.status_code == 200 and label.endswith("stop") and not label.startswith("admin"):
        return answer.json() is False
    if answer.status_code == 200 and label.startswith("admin bulk"):
        return bool(answer.json()["Done"] == 0)
    return False


def test_a_plain_user_reads_but_cannot_change_another_users_task(stack: Stack) -> None:
    """BOLA: every read surface answers, every write surface refuses, nothing changes."""
    with (
        httpx.Client(base_url=stack.base, timeout=30) as client,
        httpx.Client(base_url=stack.base, timeout=30) as console,
    ):
        targets = {
            "alice's": create(client, stack, "alice", {
                "Name": "batchtask.sleep", "Description": "alice's", "Request": "r",
                "ParameterObject": {"seconds": "1"},
            }),
            "system": create(client, stack, "admin", {
                "Name": "batchtask.sleep", "IsSystemTask": True, "Description": "system",
            }),
        }  # fmt: skip
        session = login(console, "bob")
        tally: dict[int, int] = {}
        for kind, task in targets.items():
            before = snapshot(client, stack, task)
            # Reads are allowed (SPEC §6) and show bob no right to change it.
            read = client.get(f"/api/v1/BatchTask/{task}", headers=stack.auth("bob"))
            assert read.status_code == 200
            assert read.json()["TableRight"]["Mask"] == "Select"
            assert all(
                prop["FieldRight"]["Mask"] == "Read"
                for prop in read.json()["FieldProperties"].values()
            ), read.json()["FieldProperties"]
            agent = client.post(
                "/api/v1/Agents/Batch/GetBatchTaskInfo", json={"Id": task},
                headers=stack.auth("bob"),
            )  # fmt: skip
            assert agent.status_code == 200
            assert agent.json()["Id"] == task
            story = client.get(f"/admin/api/tasks/{task}", headers=stack.auth("bob"))
            assert story.status_code == 200, story.text
            page = console.get(f"/admin/tasks/{task}")
            assert page.status_code == 200
            assert "text/html" in page.headers["content-type"]
            # The file route answers bob as it answers the owner (no file: the same 404).
            files = [
                client.get(f"/admin/api/tasks/{task}/file", headers=stack.auth(user)).status_code
                for user in ("bob", "alice" if kind == "alice's" else "admin")
            ]
            assert files[0] == files[1], files
            assert files[0] < 500, files
            for label, method, path, body in writes(task):
                for via, headers in (("ticket", stack.auth("bob")), ("session", session)):
                    if via == "session" and not path.startswith("/admin/api"):
                        continue
                    caller = console if via == "session" else client
                    answer = caller.request(method, path, json=body, headers=headers)
                    assert refused(label, answer), (kind, label, via, answer.status_code,
                                                    answer.text)  # fmt: skip
                    tally[answer.status_code] = tally.get(answer.status_code, 0) + 1
                    assert snapshot(client, stack, task) == before, (kind, label, via)
        print(f"E BOLA: {sum(tally.values())} writes by bob refused {tally}; both tasks unchanged")


def hostile_body(rng: random.Random, task: int) -> dict[str, Any]:
    """One PUT body: some of the four PUT-able fields and some server-owned ones."""
    body: dict[str, Any] = {}
    for name in rng.sample(sorted(PUTABLE), rng.randint(0, 4)):
        body[name] = {
            "State": rng.choice(["New", "Failed", "Succeeded", "Started"]),
        }.get(name, f"{name.lower()} {rng.randrange(1000)}")
    for name in rng.sample(sorted(FOREIGN), rng.randint(1, 6)):
        body[name] = rng.choice(FOREIGN[name])
    return body


def test_the_owner_changes_only_the_four_putable_fields(stack: Stack) -> None:
    """BOPLA: hostile PUT bodies through REST, the agent and the admin API."""
    rng = random.Random(20261128)
    accepted = 0
    with httpx.Client(base_url=stack.base, timeout=30) as client:
        task = create(client, stack, "alice", {"Name": "batchtask.sleep", "Description": "mine"})
        for n in range(BODIES):
            body = hostile_body(rng, task)
            before = snapshot(client, stack, task)
            surface = n % 3
            if surface == 0:
                answer = client.put(f"/api/v1/BatchTask/{task}", json=body,
                                    headers=stack.auth("alice"))  # fmt: skip
            elif surface == 1:
                answer = client.post(
                    "/api/v1/Agents/Batch/UpdateBatchTask",
                    json={"BatchTaskInfo": {**body, "Id": task}}, headers=stack.auth("alice"),
                )  # fmt: skip
            else:
                answer = client.put(f"/admin/api/tasks/{task}", json=body,
                                    headers=stack.auth("alice"))  # fmt: skip
            assert answer.status_code < 500, (body, answer.text)
            after = snapshot(client, stack, task)
            changed = {key for key in before if before[key] != after.get(key)}
            if answer.status_code >= 400:
                assert changed == set(), (body, answer.status_code, changed)
                continue
            accepted += 1
            assert changed <= PUTABLE, (json.dumps(body), changed)
        print(f"E BOPLA: {BODIES} hostile PUT bodies, {accepted} accepted, only"
              f" {sorted(PUTABLE)} ever changed")  # fmt: skip
        assert accepted > BODIES // 4
