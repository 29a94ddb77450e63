"""``batchtask serve --emulator`` as a real process: safe by default, controls on both lanes."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.e2e.test_cli_and_serve import BATCHTASK, cli, serve

pytestmark = pytest.mark.e2e


def test_the_emulator_refuses_a_public_address_without_a_token(tmp_path: Path) -> None:
    """Exit code 2 and one clear line, before anything listens."""
    env = {**os.environ, "BATCHTASK_DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}
    env.pop("BATCHTASK_EMULATOR_TOKEN", None)
    result = subprocess.run(
        [*BATCHTASK, "serve", "--emulator", "--host", "0.0.0.0", "--port", "1"],
        check=False, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2
    assert "BATCHTASK_EMULATOR_TOKEN" in result.stderr


def test_serve_emulator_journals_and_faults_the_fast_lane(tmp_path: Path) -> None:
    """Under granian, ``GET BatchTask/{id}`` (the fast lane) meets faults and is journaled."""
    database = f"sqlite:///{tmp_path}/emu.db"
    for base, _ in serve(database, "--emulator"):
        tenant = f"{base}/_batchtask/tenants/Cust00000"
        assert httpx.get(f"{base}/_batchtask/health").json()["Status"] == "ok"
        fault = {
            "Match": {"Method": "GET", "Path": "/api/v1/BatchTask/*"},
            "Status": 503,
            "Times": 1,
        }
        assert httpx.post(f"{tenant}/faults", json=fault).status_code == 201
        first = httpx.get(f"{base}/api/v1/BatchTask/1")
        assert first.status_code == 503
        assert first.json()["Error"] is True
        assert httpx.get(f"{base}/api/v1/BatchTask/1").status_code == 401  # no credentials
        journal = httpx.get(f"{tenant}/requests", params={"path": "/api/v1/BatchTask/*"}).json()
        assert [entry["Status"] for entry in journal] == [503, 401]


def test_serve_without_the_flag_has_no_controls(tmp_path: Path) -> None:
    for base, _ in serve(f"sqlite:///{tmp_path}/plain.db"):
        assert httpx.get(f"{base}/_batchtask/health").status_code == 404


def test_batchtask_seed_file_all_or_nothing(tmp_path: Path) -> None:
    """``batchtask seed FILE``: the control's body from a file; a bad item writes nothing."""
    database = f"sqlite:///{tmp_path}/seed.db"
    good = tmp_path / "good.json"
    good.write_text(
        '{"Users": [{"Name": "frank", "Password": "frank password", "Role": "admin"}],'
        ' "Tasks": [{"Id": 5, "Name": "SuperOffice.Import", "State": "Succeeded"}, {"Name": "x"}]}'
    )
    result = cli("seed", str(good), database=database)
    assert result.stdout.split() == ["5", "6"]
    bad = tmp_path / "bad.json"
    bad.write_text('{"Tasks": [{"Name": "y"}, {"Name": "z", "State": "Nope"}]}')
    refused = cli("seed", str(bad), database=database, check=False)
    assert refused.returncode == 1
    assert "Tasks[1]" in refused.stderr
    assert "Tasks[0]" not in refused.stderr
    assert cli("task", "show", "5", database=database).returncode == 0
    assert cli("task", "show", "7", database=database, check=False).returncode != 0
    other = cli("seed", str(good), "--tenant", "Nobody", database=database, check=False)
    assert other.returncode == 1
    cli("tenant", "add", "Cust7", database=database)
    assert cli("seed", str(good), "--tenant", "Cust7", database=database).stdout.split() == [
        "5",
        "6",
    ]
    assert cli("task", "show", "6", "--tenant", "Cust7", database=database).returncode == 0
