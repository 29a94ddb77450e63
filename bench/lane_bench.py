"""Per-request CPU cost of ``GET /api/v1/BatchTask/1`` in-process, for git revisions side by side.

Usage::

    python bench/lane_bench.py REV [REV …] [--rounds 7] [--requests 4000]

Why beside ``http_bench.py``: on a shared machine wrk's req/s swing with whatever else runs on the
server's core. This script measures what a change to the request path costs, not the machine:
each revision's ``src/`` is extracted with ``git archive``, a SQLite database is seeded with that
revision's CLI, and a child process builds the app (``batchtask.bootstrap:app_from_env``, as
granian does), starts its lifespan and calls the ASGI app directly with the same request
(SOTicket, ``Accept: application/json``, an ``Origin``-free browser-less client) ``--requests``
times, timing it with the process's CPU clock. Revisions alternate round by round, so a busy
period hits all of them; the table shows the median µs of CPU per request and each revision's
ratio to the first. No network and no server: the HTTP parsing granian does in Rust is not in it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import asyncio, json, os, sys, time

from batchtask.bootstrap import app_from_env

REQUESTS = int(sys.argv[1])
TICKET = os.environ["LANE_TICKET"]
SCOPE = {
    "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
    "scheme": "http", "path": "/api/v1/BatchTask/1", "raw_path": b"/api/v1/BatchTask/1",
    "root_path": "", "query_string": b"", "client": ("127.0.0.1", 50000),
    "server": ("127.0.0.1", 8000),
    "headers": [(b"host", b"127.0.0.1:8000"), (b"authorization", f"SOTicket {TICKET}".encode()),
                (b"accept", b"application/json"), (b"user-agent", b"lane-bench")],
}


async def main():
    app = app_from_env()
    started, stopped = asyncio.Event(), asyncio.Event()
    inbox = asyncio.Queue()
    await inbox.put({"type": "lifespan.startup"})

    async def receive():
        return await inbox.get()

    async def send(message):
        if message["type"] == "lifespan.startup.complete":
            started.set()
        elif message["type"].startswith("lifespan.startup.failed"):
            raise SystemExit(message.get("message"))
        elif message["type"] == "lifespan.shutdown.complete":
            stopped.set()

    lifespan = asyncio.create_task(app({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send))
    await started.wait()
    statuses = set()

    async def request_receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def request_send(message):
        if message["type"] == "http.response.start":
            statuses.add(message["status"])

    async def one():
        await app(dict(SCOPE), request_receive, request_send)

    for _ in range(REQUESTS // 4):  # warm-up: caches, code paths
        await one()
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(REQUESTS):
        await one()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    await inbox.put({"type": "lifespan.shutdown"})
    await stopped.wait()
    await lifespan
    print(json.dumps({"cpu_us": cpu / REQUESTS * 1e6, "wall_us": wall / REQUESTS * 1e6,
                      "statuses": sorted(statuses)}))


asyncio.run(main())
"""


def extract(revision: str, into: Path) -> Path:
    """``src/`` of ``revision`` under ``into``; the path to put first on ``PYTHONPATH``."""
    into.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", revision, "src"], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into / "src"


def seed(env: dict[str, str]) -> str:
    """Database, a user, task 1 and a ticket, with the revision's own CLI; the ticket."""

    def cli(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "batchtask", *args], env=env, check=True, capture_output=True,
            text=True,
        )  # fmt: skip
        return done.stdout

    cli("db", "upgrade")
    cli("user", "add", "bench", "--password", "a long password")
    cli("task", "start", "batchtask.sleep", "--param", "seconds=1", "--user", "bench")
    return next(word for word in cli("ticket", "bench").split() if word.startswith("7T:"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("revisions", nargs="+", help="git revisions (the first is the baseline)")
    parser.add_argument("--rounds", type=int, default=7, help="alternating rounds (7)")
    parser.add_argument("--requests", type=int, default=4000, help="requests per round (4000)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="lane-bench-") as temp:
        envs = {}
        for index, revision in enumerate(args.revisions):
            where = Path(temp) / str(index)
            source = extract(revision, where / "tree")
            env = {
                **{k: v for k, v in os.environ.items() if not k.startswith("BATCHTASK_")},
                "PYTHONPATH": str(source),
                "BATCHTASK_DATABASE_URL": f"sqlite:///{where / 'bench.db'}",
                "BATCHTASK_WORKER": "false",
                "BATCHTASK_SQLITE_SYNCHRONOUS": "NORMAL",
            }
            env["LANE_TICKET"] = seed(env)
            envs[revision] = env
        samples: dict[str, list[dict[str, float]]] = {revision: [] for revision in envs}
        for round_number in range(args.rounds):
            for revision, env in envs.items():
                done = subprocess.run(
                    [sys.executable, "-c", CHILD, str(args.requests)], env=env, check=True,
                    capture_output=True, text=True,
                )  # fmt: skip
                result = json.loads(done.stdout.strip().splitlines()[-1])
                if result["statuses"] != [200]:
                    raise SystemExit(f"{revision}: answered {result['statuses']}, not 200")
                samples[revision].append(result)
                print(
                    f"round {round_number + 1}: {revision:>12} {result['cpu_us']:7.1f} µs CPU",
                    file=sys.stderr,
                )
    baseline = statistics.median(s["cpu_us"] for s in samples[args.revisions[0]])
    print(f"GET /api/v1/BatchTask/1 in-process, {args.requests} requests × {args.rounds} rounds")
    print(f"{'revision':>12}  {'CPU µs/req (median)':>20}  {'min':>6}  {'max':>6}  {'vs first':>8}")
    for revision, runs in samples.items():
        cpu = [run["cpu_us"] for run in runs]
        median = statistics.median(cpu)
        print(
            f"{revision:>12}  {median:20.1f}  {min(cpu):6.1f}  {max(cpu):6.1f}  "
            f"{median / baseline:8.3f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
