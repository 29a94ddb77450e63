"""The emulator controls (SPEC §11.2) over real HTTP: each control, each refusal.

The server runs on the machine's clock (the emulator's tenant clock is what the tests move), with
its embedded worker on, so scripted definitions really run.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from batchtask.domain.clock import SystemClock
from batchtask.domain.user import Role
from tests.conftest import FakeClock
from tests.integration import conftest as live
from tests.integration.auth_support import basic
from tests.integration.conftest import LiveServer

CTX = "Cust00000"
BASE = f"/_batchtask/tenants/{CTX}"
TOKEN = "s3cret-emulator-token"


def start(
    database_url: str, clock: FakeClock, tmp_path: Path, **extra: Any
) -> Iterator[LiveServer]:
    settings = live.test_settings(
        database_url,
        files_dir=str(tmp_path / "files"),
        worker=True,
        emulator=True,
        poll_interval=0.05,
        **extra,
    )
    live.prepare_database(database_url, clock)
    real: Any = SystemClock()
    for running in live.run_server(settings, real):
        running.add_user("admin", Role.admin)
        yield running


@pytest.fixture
def emulated(database_url: str, clock: FakeClock, tmp_path: Path) -> Iterator[LiveServer]:
    """A live server with ``--emulator`` on each engine; user ``admin``."""
    yield from start(database_url, clock, tmp_path)


@pytest.fixture
def http(emulated: LiveServer) -> Iterator[httpx.Client]:
    with emulated.client(headers=basic("admin")) as client:
        yield client


def until(check: Callable[[], Any], what: str, timeout: float = 15.0) -> Any:
    """Poll ``check`` until it returns something true (never a fixed sleep deciding a result)."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def error_of(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["Error"] is True
    assert body["ErrorType"]
    return body


def post(http: httpx.Client, name: str) -> int:
    answer = http.post("/api/v1/BatchTask", json={"Name": name})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    return body if isinstance(body, int) else int(body["Id"])


# -- health and safety ------------------------------------------------------------------------


def test_health(http: httpx.Client) -> None:
    body = http.get("/_batchtask/health").json()
    assert body["Status"] == "ok"
    assert body["Version"]
    assert body["Tenants"] == 1


def test_the_controls_are_off_without_the_flag(server: LiveServer) -> None:
    with server.client() as client:
        error_of(client.get("/_batchtask/health"), 404)
        error_of(client.get(f"{BASE}/clock"), 404)


def test_with_a_token_every_control_needs_it(
    database_url: str, clock: FakeClock, tmp_path: Path
) -> None:
    for running in start(database_url, clock, tmp_path, emulator_token=_secret(TOKEN)):
        with running.client() as client:
            for method, path in [
                ("GET", "/_batchtask/health"),
                ("GET", f"{BASE}/clock"),
                ("POST", f"{BASE}/clock/advance"),
                ("GET", f"{BASE}/faults"),
                ("DELETE", f"{BASE}/requests"),
                ("PUT", f"{BASE}/definitions/x"),
            ]:
                error_of(client.request(method, path, json={}), 401)
                wrong = {"X-Batchtask-Emulator-Token": "nope"}
                error_of(client.request(method, path, json={}, headers=wrong), 401)
            right = {"X-Batchtask-Emulator-Token": TOKEN}
            assert client.get("/_batchtask/health", headers=right).status_code == 200
            assert client.get(f"{BASE}/clock", headers=right).json()["Frozen"] is False


def _secret(value: str) -> Any:
    from batchtask.config import Secret  # noqa: PLC0415

    return Secret(value)


def test_an_unknown_tenant_is_404(http: httpx.Client) -> None:
    for method, path in [
        ("GET", "/_batchtask/tenants/Nobody/clock"),
        ("POST", "/_batchtask/tenants/Nobody/faults"),
        ("GET", "/_batchtask/tenants/Nobody/requests"),
        ("PUT", "/_batchtask/tenants/Nobody/definitions/x"),
    ]:
        body = error_of(http.request(method, path, json={}), 404)
        assert "Nobody" in body["ErrorMessage"]


# -- the clock -------------------------------------------------------------------------------


def test_clock_freeze_set_advance_and_back_to_real_time(http: httpx.Client) -> None:
    real = http.get(f"{BASE}/clock").json()
    assert real["Frozen"] is False
    frozen = http.put(f"{BASE}/clock", json={"Now": "2024-03-01T09:00:00Z", "Frozen": True})
    assert frozen.json() == {"Now": "2024-03-01T09:00:00Z", "Frozen": True}
    assert http.get(f"{BASE}/clock").json()["Now"] == "2024-03-01T09:00:00Z"
    moved = http.post(f"{BASE}/clock/advance", json={"Seconds": 5400})
    assert moved.json() == {"Now": "2024-03-01T10:30:00Z", "Frozen": True}
    running = http.put(f"{BASE}/clock", json={"Now": "2030-01-01T00:00:00Z", "Frozen": False})
    assert running.json()["Frozen"] is False
    assert running.json()["Now"].startswith("2030-01-01T00:00:0")
    assert http.delete(f"{BASE}/clock").status_code == 204
    assert http.get(f"{BASE}/clock").json()["Now"][:4] == real["Now"][:4]


@pytest.mark.parametrize(
    ("method", "tail", "body"),
    [
        ("PUT", "/clock", {"Now": "yesterday-ish"}),
        ("PUT", "/clock", {"Now": "2024-02-30T00:00:00Z"}),
        ("PUT", "/clock", {"Now": "0001-01-01T00:00:00"}),
        ("PUT", "/clock", {"Now": 12}),
        ("PUT", "/clock", {"Frozen": "yes"}),
        ("PUT", "/clock", {"When": "2024-01-01"}),
        ("POST", "/clock/advance", {"Seconds": -1}),
        ("POST", "/clock/advance", {}),
        ("POST", "/clock/advance", {"Seconds": "ten"}),
        ("POST", "/clock/advance", {"Seconds": 1e300}),
    ],
)
def test_an_impossible_clock_is_400_and_changes_nothing(
    http: httpx.Client, method: str, tail: str, body: dict[str, Any]
) -> None:
    http.put(f"{BASE}/clock", json={"Now": "2024-03-01T09:00:00Z"})
    error_of(http.request(method, BASE + tail, json=body), 400)
    assert http.get(f"{BASE}/clock").json() == {"Now": "2024-03-01T09:00:00Z", "Frozen": True}


def test_the_clock_cannot_pass_the_year_9999(http: httpx.Client) -> None:
    http.put(f"{BASE}/clock", json={"Now": "9999-12-31T23:59:00Z"})
    error_of(http.post(f"{BASE}/clock/advance", json={"Seconds": 120}), 400)
    assert http.get(f"{BASE}/clock").json()["Now"] == "9999-12-31T23:59:00Z"


def test_the_clock_stamps_created_and_drives_today(http: httpx.Client) -> None:
    http.put(f"{BASE}/clock", json={"Now": "2024-03-01T09:00:00Z"})
    created = task(http, post(http, "Acme.NotRunHere"))
    assert created["Created"] == "2024-03-01T09:00:00"

    def count(flt: str) -> int:
        answer = http.get("/api/v1/BatchTask", params={"$filter": flt})
        assert answer.status_code == 200, answer.text
        return len(answer.json()["value"])

    assert count("registeredDate today") == 1
    assert count("registeredDate beforeToday") == 0
    http.post(f"{BASE}/clock/advance", json={"Seconds": 2 * 86400})
    assert count("registeredDate today") == 0
    assert count("registeredDate beforeToday") == 1
    later = task(http, post(http, "Acme.NotRunHere"))
    assert later["Created"] == "2024-03-03T09:00:00"


# -- scripted definitions --------------------------------------------------------------------


def task(http: httpx.Client, task_id: int) -> dict[str, Any]:
    answer = http.get(f"/api/v1/BatchTask/{task_id}")
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def test_a_scripted_definition_emits_its_steps_on_the_tenant_clock(http: httpx.Client) -> None:
    http.put(f"{BASE}/clock", json={"Now": "2024-03-01T09:00:00Z"})
    script = {
        "Steps": [
            {"Percent": 10, "Text": "reading", "AfterMs": 1000},
            {"Percent": 60, "Text": "writing", "AfterMs": 1000},
        ],
        "Outcome": "Failed",
        "Response": "[SR_BATCH_DEMO_DESCRIPTION]",
        "Result": "2 of 3 rows",
    }
    assert http.put(f"{BASE}/definitions/Acme.Import", json=script).status_code == 200
    task_id = post(http, "acme.import")
    started = until(lambda: (t := task(http, task_id))["State"] == "Started" and t, "the start")
    assert started["LastStarted"] == "2024-03-01T09:00:00"
    assert started["ProgressPercent"] == 0
    http.post(f"{BASE}/clock/advance", json={"Seconds": 1})
    step = until(lambda: (t := task(http, task_id))["ProgressPercent"] == 10 and t, "step 1")
    assert step["ProgressDescription"] == "reading"
    assert step["State"] == "Started"
    http.post(f"{BASE}/clock/advance", json={"Seconds": 1})
    done = until(lambda: (t := task(http, task_id))["State"] == "Failed" and t, "the end")
    assert done["ProgressPercent"] == 60
    assert done["ProgressDescription"] == "writing"
    assert done["Result"] == "2 of 3 rows"
    assert done["StartCount"] == 1
    story = http.get(f"/admin/api/tasks/{task_id}").json()
    assert {event["At"][:10] for event in story["Events"]} == {"2024-03-01"}


def test_a_scripted_success_leaves_its_file(http: httpx.Client) -> None:
    script = {"Outcome": "SucceededManualCleanup", "Result": "done", "FileName": "out.txt"}
    http.put(f"{BASE}/definitions/Acme.Export", json=script)
    task_id = post(http, "Acme.Export")
    done = until(
        lambda: (t := task(http, task_id))["State"] == "SucceededManualCleanup" and t, "the end"
    )
    assert done["FileName"] == "out.txt"
    assert done["Result"] == "done"
    assert http.get(f"/admin/api/tasks/{task_id}/file").content == b"done"


def test_without_its_script_a_name_is_not_run(http: httpx.Client) -> None:
    http.put(f"{BASE}/clock", json={"Now": "2024-03-01T09:00:00Z"})
    http.put(f"{BASE}/definitions/Acme.Slow", json={"Steps": [{"Percent": 5, "AfterMs": 1000}]})
    assert http.delete(f"{BASE}/definitions/Acme.Slow").status_code == 204
    error_of(http.delete(f"{BASE}/definitions/Acme.Slow"), 404)
    first = post(http, "Acme.Slow")
    http.put(f"{BASE}/definitions/Acme.Other", json={})
    other = post(http, "Acme.Other")
    until(lambda: task(http, other)["State"] == "Succeeded", "the other task")
    assert task(http, first)["State"] == "New"


@pytest.mark.parametrize(
    "body",
    [
        {"Outcome": "Maybe"},
        {"Steps": [{"Percent": 101}]},
        {"Steps": [{"Percent": 5, "AfterMs": -1}]},
        {"Steps": "fast"},
        {"FileName": "../etc/passwd"},
        {"Colour": "blue"},
        [],
    ],
)
def test_a_bad_script_is_400(http: httpx.Client, body: Any) -> None:
    error_of(http.put(f"{BASE}/definitions/Acme.Bad", json=body), 400)
    task_id = post(http, "Acme.Bad")
    assert task(http, task_id)["State"] == "New"


# -- faults ----------------------------------------------------------------------------------


def test_a_fault_fires_exactly_times_times_on_the_fast_lane(http: httpx.Client) -> None:
    task_id = post(http, "Acme.NotRunHere")
    fault = {"Match": {"Method": "GET", "Path": "/api/v1/BatchTask/*"}, "Status": 503, "Times": 2}
    added = http.post(f"{BASE}/faults", json=fault)
    assert added.status_code == 201
    assert isinstance(added.json()["Id"], int)
    statuses = [http.get(f"/api/v1/BatchTask/{task_id}").status_code for _ in range(4)]
    assert statuses == [503, 503, 200, 200]
    assert http.get(f"{BASE}/faults").json() == []


def test_a_fault_answers_superoffice_s_error_object_on_both_lanes(http: httpx.Client) -> None:
    task_id = post(http, "Acme.NotRunHere")
    http.post(f"{BASE}/faults", json={"Match": {"Path": "/api/v1/batchtask*"}, "Status": 503})
    fast = http.get(f"/Cust00000/API/V1/BatchTask/{task_id}")
    body = error_of(fast, 503)
    assert body["ErrorType"] == "SoDatabaseException"
    error_of(http.post("/api/v1/BatchTask", json={"Name": "x"}), 503)
    error_of(http.get("/api/v1/BatchTask"), 503)
    assert http.get("/api/v1").status_code == 200
    assert http.delete(f"{BASE}/faults").status_code == 204
    assert http.get(f"/api/v1/BatchTask/{task_id}").status_code == 200


def test_a_fault_s_error_object_is_negotiated_like_every_error(http: httpx.Client) -> None:
    for status in (401, 429, 502):
        http.post(
            f"{BASE}/faults", json={"Match": {"Path": "/api/v1"}, "Status": status, "Times": 1}
        )
        answer = http.get("/api/v1", headers={"Accept": "application/xml"})
        assert answer.status_code == status
        assert answer.headers["content-type"].startswith("application/xml")
        assert "<ErrorInfo" in answer.text
        if status == 401:
            assert "SOTicket" in answer.headers["www-authenticate"]
        if status == 429:
            assert answer.headers["retry-after"] == "1"
    http.post(f"{BASE}/faults", json={"Match": {"Path": "/api/v1"}, "Status": 502, "Times": 1})
    odd = http.get("/api/v1", headers={"Accept": "image/png"})
    assert odd.status_code == 502
    assert odd.json()["Error"] is True


def test_a_fault_with_a_body_a_probability_and_latency(http: httpx.Client) -> None:
    fault = {
        "Match": {"Method": "POST", "Path": "/api/v1/Agents/Batch/*"},
        "Status": 429,
        "Body": {"Why": "slow down"},
        "Probability": 1,
        "LatencyMs": 50,
    }
    fault_id = http.post(f"{BASE}/faults", json=fault).json()["Id"]
    answer = http.post("/api/v1/Agents/Batch/GetBatchTaskInfo", json={"batchTaskId": 1})
    assert answer.status_code == 429
    assert answer.json() == {"Why": "slow down"}
    listed = http.get(f"{BASE}/faults").json()
    assert listed == [
        {
            "Id": fault_id,
            "Match": {"Method": "POST", "Path": "/api/v1/Agents/Batch/*"},
            "Status": 429,
            "Body": {"Why": "slow down"},
            "LatencyMs": 50,
            "Probability": 1.0,
        }
    ]
    assert http.delete(f"{BASE}/faults/{fault_id}").status_code == 204
    error_of(http.delete(f"{BASE}/faults/{fault_id}"), 404)
    slow = {"Match": {"Method": "GET", "Path": "/api/v1"}, "LatencyMs": 30, "Times": 1}
    http.post(f"{BASE}/faults", json=slow)
    assert http.get("/api/v1").status_code == 200  # delayed, then answered for real
    journal = http.get(f"{BASE}/requests", params={"path": "/api/v1"}).json()
    assert journal[-1]["DurationMs"] >= 30


@pytest.mark.parametrize(
    "body",
    [
        {"Status": 503},
        {"Match": None, "Status": 503},
        {"Match": {"Method": "GET"}, "Status": 503},
        {"Match": {"Path": "api/v1/*"}, "Status": 503},
        {"Match": {"Path": "/api/v1/*"}},
        {"Match": {"Path": "/api/v1/*"}, "Status": 700},
        {"Match": {"Path": "/api/v1/*"}, "Status": 503, "Times": 0},
        {"Match": {"Path": "/api/v1/*"}, "Status": 503, "Times": 2, "Probability": 0.5},
        {"Match": {"Path": "/api/v1/*"}, "Status": 503, "Probability": 1.5},
        {"Match": {"Path": "/api/v1/*", "Method": "G E T"}, "Status": 503},
    ],
)
def test_a_bad_fault_is_400_and_adds_nothing(http: httpx.Client, body: dict[str, Any]) -> None:
    error_of(http.post(f"{BASE}/faults", json=body), 400)
    assert http.get(f"{BASE}/faults").json() == []


# -- the journal -----------------------------------------------------------------------------


def test_the_journal_records_both_lanes_with_credentials_redacted(
    emulated: LiveServer, http: httpx.Client
) -> None:
    http.delete(f"{BASE}/requests")
    http.put(f"{BASE}/clock", json={"Now": "2024-03-01T09:00:00Z"})
    task_id = post(http, "Acme.NotRunHere")
    http.get(
        f"/api/v1/BatchTask/{task_id}", params={"$select": "Name"}, headers={"SO-Language": "nb"}
    )
    with emulated.client() as anonymous:
        anonymous.get("/api/v1/BatchTask/1", headers={"Cookie": "session=abc"})
    entries = http.get(f"{BASE}/requests").json()
    assert [(e["Method"], e["Path"], e["Status"]) for e in entries] == [
        ("POST", "/api/v1/BatchTask", 200),
        ("GET", f"/api/v1/BatchTask/{task_id}", 200),
        ("GET", "/api/v1/BatchTask/1", 401),
    ]
    first, fast, anon = entries
    assert first["At"] == "2024-03-01T09:00:00Z"
    assert first["Headers"]["authorization"] == "Basic [redacted]"
    assert fast["Query"] == "%24select=Name"
    assert fast["Headers"]["so-language"] == "nb"
    assert anon["Headers"]["cookie"] == "[redacted]"
    assert all(e["DurationMs"] >= 0 for e in entries)
    only = http.get(f"{BASE}/requests", params={"method": "post", "path": "/API/v1/*"}).json()
    assert [e["Method"] for e in only] == ["POST"]
    assert http.delete(f"{BASE}/requests").status_code == 204
    assert http.get(f"{BASE}/requests").json() == []


# -- seed ------------------------------------------------------------------------------------


def test_a_seed_keeps_ids_states_and_dates_as_given(
    emulated: LiveServer, http: httpx.Client
) -> None:
    http.put(f"{BASE}/clock", json={"Now": "2024-03-01T09:00:00Z"})
    seed = {
        "Users": [{"Name": "carol", "Password": "carol's password", "Role": "user"}],
        "Tasks": [
            {
                "Id": 40,
                "Name": "SuperOffice.Import",
                "State": "Failed",
                "Created": "2024-02-01T08:00:00",
                "LastStarted": "2024-02-01T08:01:00",
                "StartCount": 3,
                "ProgressPercent": 70,
                "ProgressDescription": "row 70",
                "Response": "[SR_BATCH_CANCELLED]",
                "ParameterObject": {"file": "a.csv"},
                "AssociateId": 0,
            },
            {"Name": "SuperOffice.Import", "Description": "no id: the next free one"},
            {"Id": 12, "Name": "SuperOffice.Export", "State": "Succeeded", "Result": "12 rows"},
        ],
    }
    answer = http.post(f"{BASE}/seed", json=seed)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"Tasks": [40, 41, 12]}
    failed = task(http, 40)
    assert (failed["State"], failed["StartCount"], failed["ProgressPercent"]) == ("Failed", 3, 70)
    assert (failed["Created"], failed["LastStarted"]) == (
        "2024-02-01T08:00:00",
        "2024-02-01T08:01:00",
    )
    assert failed["ParameterObject"] == {"file": "a.csv"}
    assert failed["IsSystemTask"] is True
    fresh = task(http, 41)
    assert (fresh["State"], fresh["Created"]) == ("New", "2024-03-01T09:00:00")
    assert fresh["AssociateId"] == emulated.users["admin"].associate_id
    assert task(http, 12)["Result"] == "12 rows"
    with emulated.client(auth=("carol", "carol's password")) as carol:
        assert carol.get("/api/v1/BatchTask").status_code == 200  # the seeded user logs in


def test_a_malformed_seed_reports_every_bad_item_and_seeds_nothing(http: httpx.Client) -> None:
    before = post(http, "Acme.NotRunHere")
    seed = {
        "Users": [
            {"Name": "dave", "Password": "long enough password"},
            {"Name": "bad:name", "Password": "long enough password"},
            {"Name": "erin", "Password": "short"},
        ],
        "Tasks": [
            {"Name": "ok"},
            {"Description": "no name"},
            {"Name": "x", "State": "Sideways"},
            {"Name": "x", "Created": "yesterday"},
            {"Name": "x", "ProgressPercent": 140},
            {"Name": "x", "Id": before},
            "not an object",
        ],
    }
    body = error_of(http.post(f"{BASE}/seed", json=seed), 400)
    message = body["ErrorMessage"]
    for bad in ["Users[1]", "Users[2]", "Tasks[1]", "Tasks[2]", "Tasks[3]", "Tasks[4]", "Tasks[6]"]:
        assert bad in message, bad
    assert "Users[0]" not in message
    assert "Tasks[0]" not in message
    rows = http.get("/api/v1/BatchTask", params={"$filter": "DefinitionName eq 'ok'"})
    assert rows.json()["value"] == []
    assert post(http, "Acme.NotRunHere") == before + 1  # no id was spent
    assert http.get("/api/v1/BatchTask/1", auth=("dave", "long enough password")).status_code == 401
    used = error_of(http.post(f"{BASE}/seed", json={"Tasks": [{"Name": "x", "Id": before}]}), 400)
    assert "Tasks[0].Id" in used["ErrorMessage"]
    twice = {"Tasks": [{"Name": "x", "Id": 90}, {"Name": "y", "Id": 90}]}
    assert "Tasks[1].Id" in error_of(http.post(f"{BASE}/seed", json=twice), 400)["ErrorMessage"]
    taken = {"Users": [{"Name": "admin", "Password": "long enough password"}]}
    assert "Users[0].Name" in error_of(http.post(f"{BASE}/seed", json=taken), 400)["ErrorMessage"]
    error_of(http.post("/_batchtask/tenants/Nobody/seed", json={}), 404)


# -- tenants ---------------------------------------------------------------------------------


def new_tenant(http: httpx.Client, name: str | None = None) -> dict[str, Any]:
    answer = http.post(
        "/_batchtask/tenants", json={} if name is None else {"ContextIdentifier": name}
    )
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


def test_a_new_tenant_comes_with_an_admin_and_working_credentials(
    emulated: LiveServer, http: httpx.Client
) -> None:
    made = new_tenant(http)
    ctx = made["ContextIdentifier"]
    assert ctx.startswith("Cust")
    admin = made["Admin"]
    assert admin["Name"] == "admin"
    with emulated.client() as client:
        api = f"/{ctx}/api/v1/BatchTask"
        by_password = client.post(
            api, json={"Name": "Acme.Run"}, auth=(admin["Name"], admin["Password"])
        )
        assert by_password.json() == 1  # its own ids, from 1
        for header in (f"SOTicket {admin['Ticket']}", f"Bearer {admin['Token']}"):
            assert client.get(f"{api}/1", headers={"Authorization": header}).status_code == 200
        # a credential of one tenant is 401 in another
        other = client.get(
            "/api/v1/BatchTask/1", headers={"Authorization": f"SOTicket {admin['Ticket']}"}
        )
        assert other.status_code == 401
    assert http.get("/_batchtask/health").json()["Tenants"] == 2
    named = new_tenant(http, "Cust4242")
    assert named["ContextIdentifier"] == "Cust4242"
    error_of(http.post("/_batchtask/tenants", json={"ContextIdentifier": "cust4242"}), 409)
    error_of(http.post("/_batchtask/tenants", json={"ContextIdentifier": "not valid!"}), 400)
    error_of(http.post("/_batchtask/tenants", json={"ContextIdentifier": 7}), 400)
    assert http.get("/_batchtask/health").json()["Tenants"] == 3


def test_each_tenant_has_its_own_clock_faults_journal_and_scripts(
    emulated: LiveServer, http: httpx.Client
) -> None:
    a, b = new_tenant(http), new_tenant(http)
    ctx_a, ctx_b = a["ContextIdentifier"], b["ContextIdentifier"]
    http.put(f"/_batchtask/tenants/{ctx_a}/clock", json={"Now": "2024-03-01T09:00:00Z"})
    http.post(
        f"/_batchtask/tenants/{ctx_a}/faults",
        json={"Match": {"Path": "/api/v1/BatchTask*"}, "Status": 503},
    )
    http.put(f"/_batchtask/tenants/{ctx_a}/definitions/Acme.Only", json={"Result": "a"})
    with emulated.client() as client:
        as_a = {"Authorization": f"SOTicket {a['Admin']['Ticket']}"}
        as_b = {"Authorization": f"SOTicket {b['Admin']['Ticket']}"}
        assert (
            client.post(f"/{ctx_a}/api/v1/BatchTask", json={"Name": "x"}, headers=as_a).status_code
            == 503
        )
        made = client.post(f"/{ctx_b}/api/v1/BatchTask", json={"Name": "Acme.Only"}, headers=as_b)
        assert made.status_code == 200
        stored = client.get(f"/{ctx_b}/api/v1/BatchTask/1", headers=as_b).json()
        assert stored["Created"][:4] != "2024"
        assert stored["State"] == "New"  # the script is tenant a's only
    journal_a = http.get(f"/_batchtask/tenants/{ctx_a}/requests").json()
    journal_b = http.get(f"/_batchtask/tenants/{ctx_b}/requests").json()
    assert [(e["Method"], e["Path"], e["Status"]) for e in journal_a] == [
        ("POST", "/api/v1/BatchTask", 503)
    ]
    assert [(e["Method"], e["Status"]) for e in journal_b] == [("POST", 200), ("GET", 200)]
    assert http.get(f"/_batchtask/tenants/{ctx_b}/faults").json() == []
    assert http.get(f"/_batchtask/tenants/{ctx_b}/clock").json()["Frozen"] is False


def test_reset_forgets_tasks_faults_journal_scripts_and_restarts_ids(
    emulated: LiveServer, http: httpx.Client
) -> None:
    made = new_tenant(http)
    ctx, admin = made["ContextIdentifier"], made["Admin"]
    base = f"/_batchtask/tenants/{ctx}"
    auth = (admin["Name"], admin["Password"])
    with emulated.client(auth=auth) as client:
        for _ in range(3):
            client.post(f"/{ctx}/api/v1/BatchTask", json={"Name": "Acme.NotRunHere"})
        http.put(f"{base}/clock", json={"Now": "2024-03-01T09:00:00Z"})
        http.post(f"{base}/faults", json={"Match": {"Path": "/nowhere"}, "Status": 500})
        http.put(f"{base}/definitions/Acme.Gone", json={})
        assert http.post(f"{base}/reset", json={}).status_code == 204
        assert http.get(f"{base}/faults").json() == []
        assert http.get(f"{base}/requests").json() == []
        assert http.get(f"{base}/clock").json()["Frozen"] is False
        assert client.get(f"/{ctx}/api/v1/BatchTask/3").status_code == 404
        assert client.post(f"/{ctx}/api/v1/BatchTask", json={"Name": "Acme.Gone"}).json() == 1
        assert client.get(f"/{ctx}/api/v1/BatchTask/1").json()["State"] == "New"  # no script
        assert http.post(f"{base}/reset", json={"Users": True}).status_code == 204
        assert client.get(f"/{ctx}/api/v1/BatchTask").status_code == 401
    error_of(http.post(f"{base}/reset", json={"Users": "yes"}), 400)
    error_of(http.post("/_batchtask/tenants/Nobody/reset", json={}), 404)


def test_delete_tenant_removes_everything_of_it(emulated: LiveServer, http: httpx.Client) -> None:
    made = new_tenant(http, "Cust5151")
    ctx = made["ContextIdentifier"]
    http.post(f"/_batchtask/tenants/{ctx}/faults", json={"Match": {"Path": "/x"}, "Status": 500})
    assert http.delete(f"/_batchtask/tenants/{ctx}").status_code == 204
    with emulated.client() as client:
        error_of(client.get(f"/{ctx}/api/v1/BatchTask/1"), 404)
    error_of(http.get(f"/_batchtask/tenants/{ctx}/faults"), 404)
    error_of(http.delete(f"/_batchtask/tenants/{ctx}"), 404)
    error_of(http.delete(f"/_batchtask/tenants/{CTX}"), 400)  # the default tenant stays
    again = new_tenant(http, "Cust5151")  # a tenant made again starts afresh
    assert http.get(f"/_batchtask/tenants/{again['ContextIdentifier']}/faults").json() == []
    assert http.get("/_batchtask/health").json()["Tenants"] == 2


def retention_runs(http: httpx.Client) -> list[dict[str, Any]]:
    """The retention system tasks, as the admin API lists them."""
    answer = http.get(
        "/admin/api/tasks", params={"filter": "DefinitionName eq 'batchtask.retention'"}
    )
    assert answer.status_code == 200, answer.text
    tasks: list[dict[str, Any]] = answer.json()["Tasks"]
    return tasks


def retention_ran_since(http: httpx.Client, moment: str) -> bool:
    """A retention run started at ``moment`` or later (tenant time) and none is left running."""
    runs = retention_runs(http)
    busy = any(run["State"] in ("Aquired", "Started") for run in runs)
    done = any(run["State"] == "Succeeded" and run["LastStarted"] >= moment for run in runs)
    return done and not busy


def test_retention_follows_the_tenant_clock(
    database_url: str, clock: FakeClock, tmp_path: Path
) -> None:
    """Finished tasks are purged once the *tenant's* clock passes their TTL, not the machine's."""
    for running in start(
        database_url, clock, tmp_path, retention_succeeded=3600, retention_interval=60
    ):
        with running.client(headers=basic("admin")) as http:
            purged_by_the_tenant_clock(http)


def purged_by_the_tenant_clock(http: httpx.Client) -> None:
    http.put(f"{BASE}/clock", json={"Now": "2024-03-01T09:00:00Z"})
    http.put(f"{BASE}/definitions/Acme.Quick", json={"Result": "done"})
    task_id = post(http, "Acme.Quick")
    until(lambda: task(http, task_id)["State"] == "Succeeded", "the success")
    http.post(f"{BASE}/clock/advance", json={"Seconds": 1800})
    until(lambda: retention_ran_since(http, "2024-03-01T09:30"), "retention at 09:30")
    assert http.get(f"/api/v1/BatchTask/{task_id}").status_code == 200  # half its TTL: kept
    http.post(f"{BASE}/clock/advance", json={"Seconds": 3600})
    until(
        lambda: http.get(f"/api/v1/BatchTask/{task_id}").status_code == 404,
        "retention to purge the task",
    )
