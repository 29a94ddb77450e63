"""Tenants from the command line with real processes: ``batchtask tenant add|list|remove`` and
``--tenant`` on ``user``, ``ticket``, ``token`` and ``task``; ``serve`` runs each tenant's tasks."""

from __future__ import annotations

import re
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.test_cli_and_serve import cli, serve
from tests.e2e.test_worker import worker

pytestmark = pytest.mark.e2e


def test_tenant_commands_and_serve(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'batchtask.db'}"
    assert cli("tenant", "add", "Cust12345", database=database).stdout.strip() == "Cust12345"
    generated = cli("tenant", "add", database=database).stdout.strip()
    assert re.fullmatch(r"Cust\d{5}", generated)
    again = cli("tenant", "add", "cust12345", database=database, check=False)
    assert again.returncode == 1
    assert "exists" in again.stderr
    bad = cli("tenant", "add", "admin", database=database, check=False)
    assert bad.returncode == 1
    assert "ContextIdentifier" in bad.stderr
    listed = cli("tenant", "list", database=database).stdout
    assert "Cust00000" in listed
    assert "Cust12345" in listed
    assert generated in listed
    assert (tmp_path / "batchtask.db.tenants" / "cust12345.sqlite3").exists()

    cli("user", "add", "boss", "--password", "pw of boss", "--role", "admin",
        "--tenant", "Cust12345", database=database)  # fmt: skip
    ticket = cli("ticket", "boss", "--tenant", "Cust12345", database=database).stdout.strip()
    assert ticket.startswith("7T:")
    token = cli("token", "boss", "--tenant", "Cust12345", database=database).stdout.strip()
    assert token.startswith("8A:Cust12345.")
    assert cli("ticket", "boss", database=database, check=False).returncode == 1
    assert cli("user", "list", database=database).stdout.count("boss") == 0
    unknown = cli("user", "list", "--tenant", "Nobody", database=database, check=False)
    assert unknown.returncode == 1

    started = cli("task", "start", "batchtask.sleep", "--param", "seconds=0",
                  "--tenant", "Cust12345", database=database)  # fmt: skip
    assert started.stdout.strip() == "1"
    row = re.compile(r"│ 1 +│")
    assert row.search(cli("task", "list", "--tenant", "Cust12345", database=database).stdout)
    assert not row.search(cli("task", "list", database=database).stdout)
    assert cli("task", "show", "1", database=database, check=False).returncode == 1

    headers = {"Authorization": f"SOTicket {ticket}", "Accept": "application/json"}
    for base, _process in serve(database, worker=True):
        deadline = time.monotonic() + 30
        while True:  # the embedded worker of tenant Cust12345 runs its task
            answer = httpx.get(f"{base}/Cust12345/api/v1/BatchTask/1", headers=headers)
            assert answer.status_code == 200, answer.text
            if answer.json()["State"] == "Succeeded" or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert answer.json()["State"] == "Succeeded"
        assert httpx.get(f"{base}/api/v1/BatchTask/1", headers=headers).status_code == 401
        assert httpx.get(f"{base}/Nobody/api/v1/BatchTask/1", headers=headers).status_code == 404

    assert cli("tenant", "remove", "Cust12345", database=database).returncode == 0
    assert "Cust12345" not in cli("tenant", "list", database=database).stdout
    assert not (tmp_path / "batchtask.db.tenants" / "cust12345.sqlite3").exists()
    gone = cli("tenant", "remove", "Cust12345", database=database, check=False)
    assert gone.returncode == 1


def _state(database: str, tenant: str) -> str:
    """Task 1's state in ``tenant``, read by the CLI."""
    shown = cli("task", "show", "1", "--tenant", tenant, database=database).stdout
    found = re.search(r"\b(New|Aquired|Started|Succeeded|Failed)\b", shown)
    return found.group(1) if found else ""


def test_worker_serves_every_tenant_and_one_with_tenant(tmp_path: Path) -> None:
    """``batchtask worker`` runs the tasks of a tenant added after it started (its re-scan);
    ``--tenant`` serves that tenant alone."""
    database = f"sqlite:///{tmp_path / 'batchtask.db'}"
    cli("tenant", "add", "CustW", database=database)
    with worker(database, "--tenant", "CustW") as only:
        assert sum(" ready (" in line for line in only.lines) == 1
        cli("task", "start", "batchtask.sleep", "--param", "seconds=0", database=database)
        cli("task", "start", "batchtask.sleep", "--param", "seconds=0", "--tenant", "CustW",
            database=database)  # fmt: skip
        deadline = time.monotonic() + 30
        while _state(database, "CustW") != "Succeeded" and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _state(database, "CustW") == "Succeeded"
        assert "New" in cli("task", "show", "1", database=database).stdout  # not its tenant
    with worker(database) as every:
        cli("tenant", "add", "CustLate", database=database)
        cli("task", "start", "batchtask.sleep", "--param", "seconds=0", "--tenant", "CustLate",
            database=database)  # fmt: skip
        deadline = time.monotonic() + 30
        while _state(database, "CustLate") != "Succeeded" and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _state(database, "CustLate") == "Succeeded"
        assert any("of CustLate ready" in line for line in every.lines)
