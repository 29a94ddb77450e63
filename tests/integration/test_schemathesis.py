"""Schemathesis against the live server, driven by the server's own ``/api/openapi.json``.

Generated requests (valid and invalid: examples, coverage, fuzzing, stateful phases) must never
get a 5xx, and every response must match the document: a documented status, a documented media
type, the documented headers and a body that validates. The run is bounded (a fixed number of
examples per operation and a fixed seed, so CI is reproducible) and uses one worker, because
hypothesis' source inspection is not thread-safe on Python 3.11.

``POST /logout`` runs on its own with a ticket of its own: it revokes the ticket it is called with,
which would turn every later request of a shared run into a 401.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.integration.conftest import LiveServer
from tests.integration.test_openapi import make_task

CHECKS = ",".join(
    (
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
    )
)
SEED = "20261128"
#: Operations that also get the coverage phase: the REST resource, key agents and /login (not
#: the tenant twins, which share their code).
COVERED = (
    r"^(?!.*InContext)(v1Batch_\w+|Session_Login"
    r"|v1BatchAgent_(GetBatchTaskInfo|GetBatchTaskInfosByState|StartBatchJob|UpdateBatchTask))$"
)
TIMEOUT = 120


def schemathesis(server: LiveServer, ticket: str, *selection: str, examples: int) -> dict[str, int]:
    """Run ``st run`` once and return the report's ``test_cases`` counts."""
    workdir = Path(tempfile.mkdtemp(prefix="schemathesis-"))
    report = workdir / "report.json"
    command = [
        sys.executable, "-m", "schemathesis.cli", "run", f"{server.base_url}/api/openapi.json",
        "--checks", CHECKS, "--max-examples", str(examples), "--seed", SEED, "--workers", "1",
        "--header", f"Authorization: SOTicket {ticket}", "--request-timeout", "10",
        "--generation-database", "none", "--no-color", "--report", "json",
        "--report-json-path", str(report), *selection,
    ]  # fmt: skip
    try:
        done = subprocess.run(
            command, cwd=workdir, capture_output=True, text=True, timeout=TIMEOUT, check=False
        )
        output = done.stdout + done.stderr
        assert done.returncode == 0, output[-6000:]
        result = json.loads(report.read_text())
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    assert result["complete"], output[-6000:]
    assert result["failures"] == result["errors"] == [], output[-6000:]
    counts: dict[str, int] = {**result["test_cases"], "seconds": round(result["running_time"])}
    return counts


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_schemathesis_finds_no_mismatch(server: LiveServer) -> None:
    """Every generated request gets a documented, schema-valid answer and never a 5xx.

    Three runs keep it bounded: examples, fuzzing and stateful phases on every operation; the
    coverage phase (thousands of boundary and negative cases) on ``COVERED``; /logout alone.
    """
    make_task(server, "alice", parameters={"k": "v"})
    make_task(server, "bob")
    broad = schemathesis(
        server, server.ticket("alice"), "--exclude-operation-id", "Session_Logout",
        "--phases", "examples,fuzzing,stateful", examples=15,
    )  # fmt: skip
    deep = schemathesis(
        server, server.ticket("alice"), "--phases", "coverage",
        "--include-operation-id-regex", COVERED, examples=15,
    )  # fmt: skip
    logout = schemathesis(
        server, server.ticket("bob"), "--include-operation-id", "Session_Logout", examples=10
    )
    runs = (broad, deep, logout)
    assert [run["with_failures"] for run in runs] == [0, 0, 0]
    assert broad["generated"] > 500
    assert deep["generated"] > 1000
    assert logout["generated"] > 0
    print(f"schemathesis: {[(run['generated'], run['seconds']) for run in runs]} (cases, s)")
