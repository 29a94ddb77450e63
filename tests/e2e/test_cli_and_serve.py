"""The README's flow with real processes: migrate, add a user, serve, log in, get a ticket."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Generator
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.e2e

BATCHTASK = [sys.executable, "-m", "batchtask"]


def cli(*args: str, database: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run the CLI against ``database``."""
    env = {**os.environ, "BATCHTASK_DATABASE_URL": database}
    return subprocess.run(
        [*BATCHTASK, *args], env=env, capture_output=True, text=True, check=check, timeout=60
    )


def free_port() -> int:
    """A free loopback port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve(
    database: str, *extra: str, env: dict[str, str] | None = None, worker: bool = False
) -> Generator[tuple[str, subprocess.Popen[str]], None, None]:
    """``batchtask serve`` as a child process (``env`` adds variables); yields its base URL.

    The embedded worker is off unless ``worker``.
    """
    port = free_port()
    env = {
        **os.environ,
        "BATCHTASK_DATABASE_URL": database,
        "BATCHTASK_COOKIE_SECURE": "false",
        **(env or {}),
    }
    process = subprocess.Popen(
        [*BATCHTASK, "serve", "--port", str(port), *([] if worker else ["--no-worker"]), *extra],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            output = process.stdout.read() if process.stdout else ""
            process.kill()
            raise RuntimeError(f"serve did not start:\n{output}")
        time.sleep(0.1)
    try:
        yield base, process
    finally:
        if process.poll() is None:
            process.terminate()
        try:
            process.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
        except ValueError:  # output already read by the test
            pass


def test_readme_flow_on_each_engine(database_url: str) -> None:
    """db upgrade, user add, serve, POST /login, CLI ticket, GET with SOTicket and XML."""
    assert cli("db", "upgrade", database=database_url).returncode == 0
    status = cli("db", "status", database=database_url)
    assert "pending" not in status.stdout
    added = cli("user", "add", "alice", "--password", "a long password", "--role", "admin",
                database=database_url)  # fmt: skip
    assert "created admin alice" in added.stdout
    duplicate = cli("user", "add", "ALICE", "--password", "a long password", database=database_url,
                    check=False)  # fmt: skip
    assert duplicate.returncode == 1
    assert "already exists" in duplicate.stderr
    for base, _ in serve(database_url):
        login = httpx.post(
            base + "/login", json={"username": "alice", "password": "a long password"}
        )
        assert login.status_code == 200
        ticket = login.json()["Ticket"]
        assert ticket.startswith("7T:")
        assert login.cookies.get("XSRF-TOKEN")
        missing = httpx.get(
            base + "/api/v1/BatchTask/1", headers={"Authorization": f"SOTicket {ticket}"}
        )
        assert missing.status_code == 404
        cli_ticket = cli("ticket", "alice", database=database_url).stdout.strip()
        assert cli_ticket.startswith("7T:")
        assert "\n" not in cli_ticket
        token = cli("token", "alice", "--expires", "60", database=database_url).stdout.strip()
        assert token.startswith("8A:Cust00000.")
        for credential in (f"SOTicket {cli_ticket}", f"Bearer {token}"):
            response = httpx.get(
                base + "/api/v1/BatchTask/1", headers={"Authorization": credential}
            )
            assert response.status_code == 404
        assert httpx.get(base + "/readyz").status_code == 200
        metrics = httpx.get(base + "/metrics").text
        assert "batchtask_http_requests_total" in metrics


def test_demo_data_is_served(tmp_path: Path) -> None:
    """`serve --demo` on an empty database prints passwords once and serves tasks 1..6."""
    database = f"sqlite:///{tmp_path / 'demo.db'}"
    for base, process in serve(database, "--demo"):
        ticket = cli("ticket", "demo", database=database).stdout.strip()
        headers = {"Authorization": f"SOTicket {ticket}", "Accept": "application/xml"}
        states = []
        for task_id in range(1, 7):
            response = httpx.get(f"{base}/api/v1/BatchTask/{task_id}", headers=headers)
            assert response.status_code == 200
            assert response.headers["content-type"] == "application/xml; charset=utf-8"
            states.append(response.text.split("<State>")[1].split("</State>")[0])
        assert {"New", "Started", "Succeeded", "Failed", "SucceededManualCleanup"} <= set(states)
        process.terminate()
        output = process.communicate(timeout=15)[0]
        assert "demo admin:  demo / " in output


def test_the_demo_keeps_a_never_started_task_with_a_worker_running(tmp_path: Path) -> None:
    """Issue 12 item 9: the embedded worker runs what it knows; the demo's New task is not its."""
    database = f"sqlite:///{tmp_path / 'demo.db'}"
    for base, _ in serve(database, "--demo", worker=True):
        ticket = cli("ticket", "demo", database=database).stdout.strip()
        headers = {"Authorization": f"SOTicket {ticket}"}
        created = httpx.post(f"{base}/api/v1/BatchTask", headers=headers,
                             json={"Name": "batchtask.sleep", "ParameterObject": {"seconds": "0"}})  # fmt: skip
        task_url = f"{base}/api/v1/BatchTask/{created.json()}"
        deadline = time.monotonic() + 30
        while httpx.get(task_url, headers=headers).json()["State"] != "Succeeded":
            assert time.monotonic() < deadline, "the embedded worker never ran the new task"
            time.sleep(0.1)
        waiting = httpx.get(f"{base}/api/v1/BatchTask/New", headers=headers).json()
        assert [(task["Name"], task["StartCount"], task["LastStarted"]) for task in waiting] == [
            ("RegenerateStatusMonitors", 0, "0001-01-01T00:00:00")
        ]


def test_invalid_settings_stop_the_cli_with_a_clear_message(tmp_path: Path) -> None:
    """A malformed BATCHTASK_* variable is one line on stderr and exit code 2."""
    env = {
        **os.environ,
        "BATCHTASK_PORT": "eighty",
        "BATCHTASK_DATABASE_URL": f"sqlite:///{tmp_path}/x.db",
    }
    result = subprocess.run(
        [*BATCHTASK, "db", "status"],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "BATCHTASK_PORT" in result.stderr


def test_several_api_processes_share_one_database_metrics_and_revocations(
    tmp_path: Path,
) -> None:
    """`serve --workers 2` on SQLite: both processes answer and write; /metrics on either sums
    the requests of both (within a second); a logout on one holds on every process within the
    credential cache's second."""
    database = f"sqlite:///{tmp_path / 'two.db'}"
    assert cli("db", "upgrade", database=database).returncode == 0
    cli("user", "add", "alice", "--password", "a long password", database=database)
    for base, _ in serve(database, "--workers", "2"):
        login = httpx.post(
            base + "/login", json={"username": "alice", "password": "a long password"}
        )
        headers = {"Authorization": f"SOTicket {login.json()['Ticket']}"}
        ids = set()
        for _ in range(40):  # new connections: the kernel spreads them over both processes
            with httpx.Client(base_url=base, headers=headers) as client:
                created = client.post("/api/v1/BatchTask", json={"Name": "two.processes"})
                assert created.status_code == 200
                ids.add(int(created.text))
        assert len(ids) == 40
        deadline = time.monotonic() + 10
        while True:
            text = httpx.get(base + "/metrics").text
            rows = [r for r in text.splitlines() if r.startswith("batchtask_http_requests_total")]
            posts = sum(float(r.rsplit(" ", 1)[1]) for r in rows if 'method="POST"' in r)
            if posts >= 41 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert posts >= 41  # 40 tasks and the login, whichever process answered them
        assert httpx.post(base + "/logout", headers=headers).status_code in (200, 204)
        deadline = time.monotonic() + 10
        while True:
            answers = {
                httpx.get(f"{base}/api/v1/BatchTask/{min(ids)}", headers=headers).status_code
                for _ in range(10)
            }
            if answers == {401} or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert answers == {401}
