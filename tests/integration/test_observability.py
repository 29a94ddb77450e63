"""The runtime and queue series on ``/metrics`` (SPEC §10.3) and request ids, on both engines."""

from __future__ import annotations

import base64
import io
import json
import logging
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from batchtask.domain.user import Role
from batchtask.serialisation.log_format import JsonFormatter
from tests.conftest import FakeClock
from tests.integration import conftest as live
from tests.integration.test_seed_endpoint import make_task


@pytest.fixture
def working(database_url: str, clock: FakeClock, tmp_path: Path) -> Iterator[live.LiveServer]:
    """A server whose embedded worker runs tasks."""
    settings = live.test_settings(
        database_url, files_dir=str(tmp_path / "files"), worker=True, poll_interval=0.05
    )
    live.prepare_database(database_url, clock)
    for running in live.run_server(settings, clock):
        running.add_user("alice", Role.user)
        yield running


def scrape(server: live.LiveServer) -> str:
    with server.client() as client:
        response = client.get("/metrics")
    assert response.status_code == 200
    return response.text


def test_queue_series_name_only_registered_definitions(server: live.LiveServer) -> None:
    """Tasks by state and definition; names no worker registered are folded into one label."""
    make_task(server, "alice", name="anything.a.client.invents")
    text = scrape(server)
    assert 'batchtask_tasks{definition="(unregistered)",state="New"} 1.0' in text
    assert "anything.a.client.invents" not in text
    assert "batchtask_oldest_waiting_seconds" in text
    assert 'batchtask_workers{alive="true"} 0.0' in text


def test_worker_series_count_what_the_worker_did(working: live.LiveServer) -> None:
    """A task run by the embedded worker: a claim, a successful attempt's duration, its
    definition's queue gauge, and the worker alive."""
    task_id = make_task(working, "alice", parameters={"seconds": "0"})
    deadline = time.monotonic() + 20
    while True:
        task = working.call(lambda s: s.store.tasks.get(task_id))
        if (task is not None and task.state.is_finished) or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    # The queue figures are read at most every 2 s: scrape until they show the finished task.
    expected = 'batchtask_tasks{definition="batchtask.sleep",state="Succeeded"} 1.0'
    while expected not in (text := scrape(working)):
        assert time.monotonic() < deadline + 20, "the queue figures never showed the task"
        time.sleep(0.1)
    assert "batchtask_claims_total 1.0" in text
    assert (
        'batchtask_task_duration_seconds_count{definition="batchtask.sleep",outcome="succeeded"} 1.0'
        in text
    )
    assert 'batchtask_tasks{definition="batchtask.sleep",state="Succeeded"} 1.0' in text
    assert 'batchtask_workers{alive="true"} 1.0' in text
    assert "batchtask_lease_lost_total 0.0" in text


def test_a_broken_database_leaves_the_other_series(server: live.LiveServer) -> None:
    """With the queue figures unreadable, /metrics still answers with the HTTP series; the
    warning it logs carries the client's request id (a JSON log line)."""

    async def close_reads(services: object) -> None:
        db = services.store.db  # type: ignore[attr-defined]
        if db.dialect == "sqlite":
            db._reader.close()
        else:
            await db.execute("ALTER TABLE batchtask RENAME TO batchtask_gone")

    async def reopen(services: object) -> None:
        db = services.store.db  # type: ignore[attr-defined]
        if db.dialect != "sqlite":
            await db.execute("ALTER TABLE batchtask_gone RENAME TO batchtask")

    lines = io.StringIO()
    handler = logging.StreamHandler(lines)
    handler.setFormatter(JsonFormatter())
    logging.getLogger("batchtask.metrics").addHandler(handler)
    server.call(close_reads)
    try:
        with server.client() as client:
            response = client.get("/metrics", headers={"X-Request-ID": "scrape-42"})
    finally:
        server.call(reopen)
        logging.getLogger("batchtask.metrics").removeHandler(handler)
    assert response.status_code == 200
    assert "batchtask_http_requests_total" in response.text
    assert "batchtask_claims_total" in response.text
    logged = [json.loads(line) for line in lines.getvalue().splitlines()]
    assert [(line["level"], line["request_id"]) for line in logged] == [("warning", "scrape-42")]


def test_made_up_methods_leave_the_scrape_small(server: live.LiveServer) -> None:
    """Issue 11 #4: every made-up method (and every unknown path) is one label, so requests
    with long random method names cannot grow what a scrape carries."""
    with server.client() as client:
        client.get("/healthz")
        client.request("FROBNICATE", "/no/such/path")
        baseline = len(scrape(server))
        methods = ["M" + secrets.token_hex(500).upper() for _ in range(100)]
        for method in methods:
            assert client.request(method, f"/{secrets.token_hex(8)}").status_code in (404, 405)
            assert client.request(method, "/api/v1/BatchTask/1").status_code in (401, 405)
    text = scrape(server)
    assert not any(method in text for method in methods)
    assert 'method="other"' in text
    assert "FROBNICATE" not in text
    assert len(text) < baseline + 8_000, (baseline, len(text))


def test_the_scrape_is_built_off_the_event_loop(server: live.LiveServer) -> None:
    """Issue 11 #4: the families are built and rendered in a thread, not on the server's loop
    (a large scrape must not stall the requests beside it)."""
    threads: list[str] = []

    class Spy:
        def collect(self) -> Iterator[object]:
            threads.append(threading.current_thread().name)
            return iter(())

    registry, spy = server.app.state.metrics.registry, Spy()
    registry.register(spy)
    try:
        scrape(server)
    finally:
        registry.unregister(spy)
    assert threads
    assert threads[-1] != "live-server", threads


def test_a_client_that_leaves_mid_body_is_counted_as_a_client_abort(
    server: live.LiveServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 11 #11: a body cut short by the client closing its connection (fewer bytes than its
    Content-Length) is counted with status 499 (client closed request) and logged as such at
    info level, without a traceback — neither a 400 nor a 500."""
    host, port = server.base_url.removeprefix("http://").split(":")
    token = base64.b64encode(f"alice:{live.PASSWORD}".encode()).decode()
    caplog.set_level(logging.INFO, logger="batchtask")
    for _ in range(3):
        with socket.create_connection((host, int(port))) as sock:
            sock.sendall(
                b"POST /api/v1/BatchTask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + f"Authorization: Basic {token}\r\n".encode()
                + b'Content-Length: 1000\r\n\r\n{"Name": "x'
            )
    deadline = time.monotonic() + 20
    while True:
        text = scrape(server)
        counted = [line for line in text.splitlines() if 'route="post_batch_task"' in line
                   and line.startswith("batchtask_http_requests_total")]  # fmt: skip
        if sum(float(line.rsplit(" ", 1)[1]) for line in counted) >= 3:
            break
        if time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert counted == [
        'batchtask_http_requests_total{method="POST",route="post_batch_task",status="499"} 3.0'
    ]
    aborts = [r for r in caplog.records if "closed the connection" in r.getMessage()]
    assert len(aborts) == 3
    assert all(r.levelno == logging.INFO and r.exc_info is None for r in aborts)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
