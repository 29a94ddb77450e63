"""Console benchmark: the Tasks page API over 100,000 tasks, the stream's fan-out, page weight.

Usage::

    python bench/console_bench.py [--tasks 100000] [--subscribers 200] [--changes 40] [--quick]

For SQLite and PostgreSQL, on a fresh database each, against a real ``batchtask serve
--no-worker`` (granian) on loopback:

* **task page**: ``--tasks`` tasks (5 definitions, 10 owners, states spread as a busy system's)
  are inserted in one statement; then each query of the Tasks page is asked ``--repeat`` times
  over HTTP after a warm-up — the first page (newest first), one state (``filter=state eq 5``),
  one definition (``filter=definitionName eq '…'``), free text (``q=``), sorted by name — every
  answer with its ``Count`` over all matches. The time is the client's, request sent to answer
  read (so server time plus one loopback round trip). Goal: first page and a filtered page
  ≤ 50 ms.
* **fan-out**: ``--subscribers`` streams on ``GET /admin/api/stream`` in one server process;
  ``--changes`` progress writes, one per ``--interval`` s, each by its own transaction from this
  process; latency = event received − write committed (``CLOCK_MONOTONIC`` is shared by every
  process of the machine), p50/p99 over every (subscriber, change); CPU of the server process
  per change delivered to all subscribers, from ``/proc``. Goal: p99 ≤ 1 s.
* **page weight**: every console page loaded in Debian's Chromium (when installed) as a logged-in
  admin: bytes of every response (HTML and assets, uncompressed) and any request to another host.
  Goal: ≤ 300 KB per page, no external request.

The table goes to stdout and everything to ``bench/results/console-<timestamp>.json``. Exit code
0 only when every goal passes.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
BATCHTASK = [sys.executable, "-m", "batchtask"]
PASSWORD = "bench password"  # noqa: S105 - the throwaway user of a temporary database
DEFINITIONS = ("bench.export", "bench.mail", "bench.sync", "bench.report", "bench.cleanup")
PAGE_GOAL_MS = 50.0
FANOUT_GOAL_S = 1.0
WEIGHT_GOAL = 300_000
PAGES = ("/admin/", "/admin/tasks", "/admin/tasks/1", "/admin/definitions", "/admin/workers")


def child_env(url: str) -> dict[str, str]:
    """A child's environment: no inherited ``BATCHTASK_*`` settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BATCHTASK_")}
    env["BATCHTASK_DATABASE_URL"] = url
    env["BATCHTASK_COOKIE_SECURE"] = "false"
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """utime + stime of one process, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    """Direct children of a process (granian's worker)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == pid:
                found.append(int(entry.name))
    return found


class Server:
    """``batchtask serve --no-worker`` on a free port; stopped by its own PID."""

    def __init__(self, url: str, directory: Path) -> None:
        self.env = child_env(url)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = (directory / f"serve-{self.port}.log").open("w")
        self.process = subprocess.Popen(
            [*BATCHTASK, "serve", "--no-worker", "--port", str(self.port)],
            env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(self.base + "/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"serve did not start; see {self.log.name}")
            time.sleep(0.2)

    def cli(self, *args: str) -> str:
        done = subprocess.run([*BATCHTASK, *args], env=self.env, capture_output=True, text=True,
                              check=True, timeout=120)  # fmt: skip
        return done.stdout

    def worker_pid(self) -> int:
        """granian's worker process (the one that runs the app)."""
        kids = children(self.process.pid)
        return kids[0] if kids else self.process.pid

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


# ------------------------------------------------------------------------------ data


async def seed(url: str, tasks: int) -> None:
    """``tasks`` tasks in one statement: definitions, owners, states, progress and times."""
    from batchtask.domain.clock import SystemClock  # noqa: PLC0415
    from batchtask.domain.ports import DefinitionPolicy  # noqa: PLC0415
    from batchtask.storage.connect import open_store  # noqa: PLC0415

    store = await open_store(url, auto_migrate=True)
    try:
        ids = await store.runs.register(
            [DefinitionPolicy(name) for name in DEFINITIONS], now=SystemClock().now()
        )
        first = min(ids.values())
        if store.db.dialect == "sqlite":
            series = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)"
            stamp = (
                "strftime('%Y-%m-%d %H:%M:%S', 'now', '-' || (? - i) || ' seconds') || '.000000'"
            )
            source = "n"
            args: list[object] = [tasks, tasks]
        else:
            series = ""
            stamp = "(now() AT TIME ZONE 'utc') - (? - i) * interval '1 second'"
            source = "generate_series(1, ?) AS i"
            args = [tasks, tasks]
        # state by i % 20: 12 Succeeded, 3 Failed, 2 New, 1 Started, 1 Aquired, 1 ManualCleanup
        state = (
            "CASE WHEN i % 20 < 12 THEN 4 WHEN i % 20 < 15 THEN 5 WHEN i % 20 < 17 THEN 1"
            " WHEN i % 20 = 17 THEN 3 WHEN i % 20 = 18 THEN 2 ELSE 6 END"
        )
        await store.db.execute(
            f"{series} INSERT INTO batchtask (batchtaskdefinition_id, description, state,"
            " registered, registered_associate_id, updated, progresspercent, startcount,"
            " result, response)"
            f" SELECT {first} + i % 5, 'bench task ' || CAST(i AS TEXT), {state}, {stamp},"
            f" 1 + i % 10, {stamp},"
            " CASE WHEN i % 20 < 12 THEN 100 ELSE i % 100 END, CASE WHEN i % 20 < 15 THEN 1 ELSE 0 END,"
            " CASE WHEN i % 7 = 0 THEN 'invoice batch ' || CAST(i AS TEXT) ELSE '' END, ''"
            f" FROM {source}",
            *args,
            tasks,
        )
    finally:
        await store.close()


def page_rows(server: Server, ticket: str, repeat: int) -> list[dict[str, Any]]:
    """Each Tasks-page query ``repeat`` times after a warm-up; client time per answer."""
    queries = {
        "first page (newest first)": {"top": "50"},
        "filter: state eq 5": {"top": "50", "filter": "state eq 5"},
        "filter: state in (2, 3)": {"top": "50", "filter": "state in (2, 3)"},
        "filter: definitionName eq 'bench.mail'": {
            "top": "50",
            "filter": "definitionName eq 'bench.mail'",
        },
        "free text: q=invoice": {"top": "50", "q": "invoice"},
        "sorted: orderby=definitionName": {"top": "50", "orderby": "definitionName"},
        "page 100 (skip=4950)": {"top": "50", "skip": "4950"},
    }
    rows = []
    headers = {"Authorization": f"SOTicket {ticket}"}
    with httpx.Client(base_url=server.base, headers=headers, timeout=30) as client:
        for name, params in queries.items():
            for _ in range(3):
                client.get("/admin/api/tasks", params=params).raise_for_status()
            times = []
            count = 0
            for _ in range(repeat):
                start = time.perf_counter()
                response = client.get("/admin/api/tasks", params=params)
                times.append((time.perf_counter() - start) * 1000)
                response.raise_for_status()
                count = response.json()["Count"]
            times.sort()
            rows.append({
                "query": name, "count": count, "p50_ms": statistics.median(times),
                "p95_ms": times[max(0, int(len(times) * 0.95) - 1)], "max_ms": times[-1],
            })  # fmt: skip
    return rows


# ------------------------------------------------------------------------------ fan-out


async def open_stream(base: str, ticket: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    parts = urlsplit(base)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port, limit=2**20)
    writer.write(
        (f"GET /admin/api/stream HTTP/1.1\r\nHost: {parts.netloc}\r\n"
         f"Authorization: SOTicket {ticket}\r\nAccept: text/event-stream\r\n\r\n").encode()
    )  # fmt: skip
    await writer.drain()
    status = await reader.readline()
    if b" 200 " not in status:
        raise RuntimeError(f"stream refused: {status!r}")
    while (await reader.readline()) not in (b"\r\n", b""):
        pass
    return reader, writer


async def receive(reader: asyncio.StreamReader, task_id: int, seen: dict[int, float]) -> None:
    """Record when each progress value of the task arrives (granian streams chunked bodies)."""
    buffer = b""
    while True:
        chunk = await reader.read(65536)
        if not chunk:
            return
        buffer += chunk
        while b"\n\n" in buffer:
            block, buffer = buffer.split(b"\n\n", 1)
            for line in block.split(b"\n"):
                if line.startswith(b"data: {") and b'"Id":%d,' % task_id in line:
                    data = json.loads(line[6:])
                    seen.setdefault(int(data["ProgressPercent"]), time.monotonic())


async def fanout(url: str, server: Server, ticket: str, subscribers: int, changes: int,
                 interval: float) -> dict[str, Any]:  # fmt: skip
    """Latency and server CPU of ``changes`` progress writes to ``subscribers`` streams."""
    from batchtask.domain.clock import SystemClock  # noqa: PLC0415
    from batchtask.domain.task import NewTask  # noqa: PLC0415
    from batchtask.storage.connect import open_store  # noqa: PLC0415

    store = await open_store(url)
    try:
        task_id = await store.tasks.create(
            NewTask("bench.sync", 1), now=SystemClock().now(), actor="bench"
        )
        streams = [await open_stream(server.base, ticket) for _ in range(subscribers)]
        seen: list[dict[int, float]] = [{} for _ in streams]
        readers = [
            asyncio.create_task(receive(r, task_id, s))
            for (r, _), s in zip(streams, seen, strict=True)
        ]
        await asyncio.sleep(2.0)
        pid = server.worker_pid()
        cpu_before, wall_before = cpu_seconds(pid), time.monotonic()
        sent: dict[int, float] = {}
        for n in range(1, changes + 1):
            percent = n % 100 or 100
            await store.db.execute(
                "UPDATE batchtask SET progresspercent = ? WHERE batchtask_id = ?", percent, task_id
            )
            sent[percent] = time.monotonic()
            await asyncio.sleep(interval)
        await asyncio.sleep(2.0)
        cpu = cpu_seconds(pid) - cpu_before
        wall = time.monotonic() - wall_before
        for task in readers:
            task.cancel()
        for _, writer in streams:
            writer.close()
    finally:
        await store.close()
    latencies = sorted(got[p] - t for got in seen for p, t in sent.items() if p in got)
    missing = subscribers * changes - len(latencies)
    return {
        "subscribers": subscribers, "changes": changes, "delivered": len(latencies),
        "missing": missing, "p50_ms": 1000 * statistics.median(latencies) if latencies else None,
        "p99_ms": 1000 * latencies[max(0, int(len(latencies) * 0.99) - 1)] if latencies else None,
        "max_ms": 1000 * latencies[-1] if latencies else None,
        "server_cpu_s": cpu, "wall_s": wall,
        "cpu_ms_per_change": 1000 * cpu / changes,
        "cpu_us_per_delivery": 1e6 * cpu / max(1, len(latencies)),
    }  # fmt: skip


# ------------------------------------------------------------------------------ page weight


def page_weight(server: Server) -> list[dict[str, Any]]:
    """Bytes of every response each console page loads, and any request to another host."""
    chromium = os.environ.get("BATCHTASK_CHROMIUM") or shutil.which("chromium")
    if chromium is None:
        return [{"page": "(no chromium: skipped)"}]
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    out = []
    own = urlsplit(server.base).netloc
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        page = context.new_page()
        page.goto(server.base + "/admin/login")
        page.fill("#username", "bench")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(server.base + "/admin/")
        for path in PAGES:
            sizes: dict[str, int] = {}
            foreign: list[str] = []

            def seen(
                response: Any, sizes: dict[str, int] = sizes, foreign: list[str] = foreign
            ) -> None:
                url = response.url
                if urlsplit(url).netloc != own:
                    foreign.append(url)
                if "/stream" in url or response.request.method != "GET":
                    return
                try:
                    sizes[url] = len(response.body())
                except Exception:  # a response without a body (redirect)
                    sizes[url] = 0

            page.on("response", seen)
            page.goto(server.base + path, wait_until="load")
            page.wait_for_timeout(1500)
            page.remove_listener("response", seen)
            html = sum(size for url, size in sizes.items() if urlsplit(url).path == path)
            out.append({
                "page": path, "requests": len(sizes), "bytes": sum(sizes.values()),
                "html_bytes": html, "foreign": foreign,
            })  # fmt: skip
        browser.close()
    return out


# ------------------------------------------------------------------------------ main


def engines(args: argparse.Namespace, directory: Path) -> list[tuple[str, str, str | None]]:
    """(name, url, database to drop) per engine."""
    out: list[tuple[str, str, str | None]] = [
        ("sqlite", f"sqlite:///{directory / 'bench.db'}", None)
    ]
    if not args.no_postgres:
        name = f"bench_console_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        base = args.pg_url.rsplit("/", 1)[0]
        out.append(("postgres", f"{base}/{name}", name))
    return out


async def pg_admin(pg_url: str, sql: str) -> None:
    import asyncpg  # noqa: PLC0415

    conn = await asyncpg.connect(pg_url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--subscribers", type=int, default=200)
    parser.add_argument("--changes", type=int, default=40)
    parser.add_argument("--interval", type=float, default=0.25)
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
    )
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--quick", action="store_true", help="10,000 tasks, 50 subscribers")
    args = parser.parse_args()
    if args.quick:
        args.tasks, args.subscribers, args.changes, args.repeat = 10_000, 50, 10, 10
    results: dict[str, Any] = {
        "when": dt.datetime.now(dt.UTC).isoformat(), "machine": platform.node(),
        "cpus": os.cpu_count(), "python": platform.python_version(), "args": vars(args), "engines": {},
    }  # fmt: skip
    ok = True
    with tempfile.TemporaryDirectory(prefix="console-bench-") as folder:
        directory = Path(folder)
        for engine, url, dropped in engines(args, directory):
            if dropped is not None:
                asyncio.run(pg_admin(args.pg_url, f'CREATE DATABASE "{dropped}"'))
            try:
                env = child_env(url)
                subprocess.run(
                    [*BATCHTASK, "db", "upgrade"], env=env, check=True, capture_output=True
                )
                print(f"[{engine}] seeding {args.tasks} tasks …", file=sys.stderr, flush=True)
                started = time.monotonic()
                asyncio.run(seed(url, args.tasks))
                print(
                    f"[{engine}] seeded in {time.monotonic() - started:.1f} s",
                    file=sys.stderr,
                    flush=True,
                )
                server = Server(url, directory)
                try:
                    server.cli("user", "add", "bench", "--password", PASSWORD, "--role", "admin")
                    ticket = next(
                        w for w in server.cli("ticket", "bench").split() if w.startswith("7T:")
                    )
                    pages = page_rows(server, ticket, args.repeat)
                    print(
                        f"[{engine}] fan-out to {args.subscribers} subscribers …",
                        file=sys.stderr,
                        flush=True,
                    )
                    spread = asyncio.run(
                        fanout(url, server, ticket, args.subscribers, args.changes, args.interval)
                    )
                    weight = page_weight(server) if engine == "sqlite" else []
                finally:
                    server.stop()
            finally:
                if dropped is not None:
                    asyncio.run(
                        pg_admin(args.pg_url, f'DROP DATABASE IF EXISTS "{dropped}" WITH (FORCE)')
                    )
            results["engines"][engine] = {"pages": pages, "fanout": spread, "weight": weight}
            print(f"\n== {engine}: Tasks page API over {args.tasks:,} tasks (client time, ms)")
            print(f"{'query':<44}{'count':>9}{'p50':>9}{'p95':>9}{'max':>9}  goal")
            for row in pages:
                goal = ""
                if row["query"].startswith(("first page", "filter: state eq 5")):
                    passed = row["p95_ms"] <= PAGE_GOAL_MS
                    ok &= passed
                    goal = "PASS" if passed else "FAIL"
                print(
                    f"{row['query']:<44}{row['count']:>9,}{row['p50_ms']:>9.1f}{row['p95_ms']:>9.1f}{row['max_ms']:>9.1f}  {goal}"
                )
            passed = (
                spread["p99_ms"] is not None
                and spread["p99_ms"] <= FANOUT_GOAL_S * 1000
                and spread["missing"] == 0
            )
            ok &= passed
            print(
                f"\n== {engine}: stream fan-out, {spread['subscribers']} subscribers × {spread['changes']} changes"
            )
            print(
                f"delivered {spread['delivered']} (missing {spread['missing']}); latency p50 {spread['p50_ms']:.1f} ms, "
                f"p99 {spread['p99_ms']:.1f} ms, max {spread['max_ms']:.1f} ms  {'PASS' if passed else 'FAIL'}"
            )
            print(
                f"server CPU {spread['cpu_ms_per_change']:.2f} ms per change ({spread['cpu_us_per_delivery']:.1f} µs per event delivered)"
            )
            for row in weight:
                if "bytes" not in row:
                    print(row["page"])
                    continue
                passed = row["bytes"] <= WEIGHT_GOAL and not row["foreign"]
                ok &= passed
                print(
                    f"page {row['page']:<20} {row['requests']:>3} requests {row['bytes'] / 1000:>7.1f} kB "
                    f"(HTML {row['html_bytes'] / 1000:.1f} kB), foreign {len(row['foreign'])}  {'PASS' if passed else 'FAIL'}"
                )
    RESULTS_DIR.mkdir(exist_ok=True)
    out = RESULTS_DIR / f"console-{dt.datetime.now(dt.UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    out.write_text(json.dumps(results, indent=2))
    print(f"\nresults: {out}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
