"""Tests of a small SuperOffice integration against the batchtask emulator.

The guide docs/testing-your-integration.md shows this file whole; CI runs it as a test.
Run it in parallel with ``pytest -n 2``: every test gets its own tenant.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import httpx

from batchtask.client import BatchTaskState, Client
from batchtask.client.emulator import Step, Tenant
from batchtask.pytest_plugin import BatchtaskServer

# -- the code under test: what your integration does against SuperOffice ---------------------


def start_export(base_url: str, ticket: str, *, attempts: int = 3) -> int:
    """Start SuperOffice's export batch task; retry when the server is briefly unavailable."""
    headers = {"Authorization": f"SOTicket {ticket}", "Accept": "application/json"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=10) as http:
        for attempt in range(attempts):
            answer = http.post("api/v1/BatchTask", json={"Name": "SuperOffice.Export"})
            if answer.status_code != 503 or attempt == attempts - 1:
                answer.raise_for_status()
                task_id: int = answer.json()
                return task_id
            time.sleep(0.1 * 2**attempt)
    raise AssertionError("not reached")


def wait_for(base_url: str, ticket: str, task_id: int, timeout: float = 30) -> dict[str, Any]:
    """Poll the task until it has finished."""
    headers = {"Authorization": f"SOTicket {ticket}", "Accept": "application/json"}
    deadline = time.monotonic() + timeout
    with httpx.Client(base_url=base_url, headers=headers, timeout=10) as http:
        while True:
            task: dict[str, Any] = http.get(f"api/v1/BatchTask/{task_id}").json()
            if task["State"] in ("Succeeded", "Failed", "SucceededManualCleanup"):
                return task
            if time.monotonic() > deadline:
                raise TimeoutError(task)
            time.sleep(0.05)


# -- the tests ---------------------------------------------------------------------------------


def test_the_export_survives_a_503_and_reports_its_rows(
    batchtask_server: BatchtaskServer, batchtask_tenant: Tenant, batchtask_client: Client
) -> None:
    emulator = batchtask_client.emulator
    base_url = f"{batchtask_server.url}/{batchtask_tenant.context_identifier}/"
    ticket = batchtask_tenant.admin.ticket

    # 1. Seed: an export that ran yesterday.
    [old] = emulator.seed(
        tasks=[
            {
                "Name": "SuperOffice.Export",
                "State": "Succeeded",
                "Created": "2024-02-29T10:00:00",
                "Result": "40 rows",
            }
        ]
    )

    # 2. Script SuperOffice's export: two steps of half a second, then success.
    emulator.script_definition(
        "SuperOffice.Export",
        [Step(30, "reading", after_ms=500), Step(90, "writing", after_ms=500)],
        result="42 rows",
        file_name="export.csv",
    )

    # 3. Freeze the tenant's clock.
    emulator.set_clock(datetime(2024, 3, 1, 9, 0, tzinfo=UTC))

    # 4. The next POST of a task answers 503 once.
    emulator.add_fault("POST", "/api/v1/BatchTask", status=503, times=1)

    task_id = start_export(base_url, ticket)

    started = batchtask_client.wait(task_id, until={BatchTaskState.Started}, timeout=30)
    assert started.created == datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
    assert started.progress_percent == 0  # the clock stands still: the script waits
    emulator.advance_clock(1)  # both steps are due now
    done = wait_for(base_url, ticket, task_id)
    assert (done["State"], done["Result"], done["FileName"]) == (
        "Succeeded",
        "42 rows",
        "export.csv",
    )

    # "today" follows the frozen clock: only the new export is today's.
    today = batchtask_client.list(filter="registeredDate today")
    assert [task.id for task in today] == [task_id]
    assert old != task_id

    # The journal: the first POST met the fault, the retry got through, credentials redacted.
    posts = emulator.requests(method="POST", path="/api/v1/BatchTask")
    assert [entry.status for entry in posts] == [503, 200]
    assert posts[0].headers["authorization"] == "SOTicket [redacted]"
