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
    counts: dict[str, int] = result["test_cases"]
    return counts


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_schemathesis_finds_no_mismatch(server: LiveServer) -> None:
    """Every generated request gets a documented, schema-valid answer and never a 5xx."""
    make_task(server, "alice", parameters={"k": "v"})
    make_task(server, "bob")
    main = schemathesis(
        server, server.ticket("alice"), "--exclude-operation-id", "Session_Logout", examples=50
    )
    logout = schemathesis(
        server, server.ticket("bob"), "--include-operation-id", "Session_Logout", examples=10
    )
    assert main["generated"] > 500
    assert logout["generated"] > 0
    assert main["with_failures"] == logout["with_failures"] == 0
    print(f"schemathesis: {main['generated']} + {logout['generated']} cases, 0 failures")
