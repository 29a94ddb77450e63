"""Golden JSON and XML for one fully populated task: any change to the wire bytes shows up here.

Regenerate deliberately with ``UPDATE_GOLDEN=1 pytest tests/integration/test_golden.py``.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from batchtask.domain.state import BatchTaskState
from batchtask.domain.task import TaskOutcome
from tests.integration.conftest import LiveServer
from tests.integration.test_seed_endpoint import basic, make_task

GOLDEN = Path(__file__).parent / "golden"

CASES = [
    ("task.json", {}),
    ("task.xml", {"Accept": "application/xml"}),
    ("task-nb-ny.json", {"Accept-Language": "nb", "SO-TimeZone": "US-NY, includeTZOffset"}),
    ("task-reader.xml", {"Accept": "text/xml", "SO-Language": "de"}),
]


@pytest.mark.parametrize(("name", "headers"), CASES)
def test_golden_bytes(server: LiveServer, name: str, headers: dict[str, str]) -> None:
    """The response body is byte-identical to the golden file."""
    task_id = make_task(
        server, "alice", name="batchtask.export", description="[SR_BATCH_DEMO_DESCRIPTION]",
        request="export <all> & more", context="ctx", database_serial_number="697007",
        parameters={"filter": "State eq 4", "format": "csv"},
    )  # fmt: skip
    outcome = TaskOutcome(
        state=BatchTaskState.Succeeded, start_count=2,
        last_started=datetime(2026, 11, 28, 13, 5, 9, 123400, tzinfo=UTC), progress_percent=100,
        progress_description='US:"Export finished";NO:"Eksport fullført";', result="3 rows",
        response="[SR_BATCH_PROGRESS_DONE]", file_name="export-1.csv",
    )  # fmt: skip
    server.call(
        lambda s: s.store.tasks.record_outcome(task_id, outcome, now=server.clock.now(), actor="t")
    )
    caller = "bob" if "reader" in name else "alice"
    with server.client() as client:
        response = client.get(f"/api/v1/BatchTask/{task_id}", headers={**basic(caller), **headers})
    assert response.status_code == 200
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_bytes(response.content)
    assert response.content == path.read_bytes()
