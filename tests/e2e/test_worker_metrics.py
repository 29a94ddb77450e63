"""``batchtask worker --metrics-port`` and ``BATCHTASK_LOG_FORMAT=json`` with a real worker process."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.e2e
BATCHTASK = [sys.executable, "-m", "batchtask"]


def test_a_standalone_worker_serves_its_metrics_and_logs_json(tmp_path: Path) -> None:
    """The worker's own /metrics has its claims and the queue; its log lines are JSON objects
    that name the worker, and the task and attempt they are about."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("BATCHTASK_")},
        "BATCHTASK_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
        "BATCHTASK_LOG_FORMAT": "json",
        "BATCHTASK_LOG_LEVEL": "debug",  # a success is logged at debug level
        "BATCHTASK_POLL_INTERVAL": "0.1",
    }
    subprocess.run([*BATCHTASK, "db", "upgrade"], env=env, check=True, capture_output=True)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    log = (tmp_path / "worker.log").open("w")
    worker = subprocess.Popen(
        [*BATCHTASK, "worker", "--metrics-port", str(port)], env=env, stdout=log, stderr=log
    )
    try:
        done = subprocess.run(
            [*BATCHTASK, "task", "start", "batchtask.sleep", "--param", "seconds=0", "--wait",
             "--timeout", "60"], env=env, capture_output=True, text=True, timeout=90, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        deadline = time.monotonic() + 20
        while True:
            try:
                text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text
            except httpx.HTTPError:
                text = ""
            if "batchtask_claims_total 1.0" in text or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert "batchtask_claims_total 1.0" in text
        assert 'outcome="succeeded"' in text
        assert 'batchtask_tasks{definition="batchtask.sleep",state="Succeeded"} 1.0' in text
        assert httpx.get(f"http://127.0.0.1:{port}/nothing", timeout=2).status_code == 404
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        log.close()
    lines = [
        json.loads(line)
        for line in (tmp_path / "worker.log").read_text().splitlines()
        if line.startswith("{")
    ]
    assert lines
    assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    about_task = [line for line in lines if "task_id" in line]
    assert about_task
    assert all(line["worker_id"] and line["attempt"] == 1 for line in about_task)
