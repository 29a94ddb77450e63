"""Runtime benchmark: no-op tasks per second through real worker processes, and claim latency.

Usage::

    python bench/runtime_bench.py [--tasks 5000] [--http-tasks 1000] [--concurrency 16] [--quick]

For SQLite and PostgreSQL, with 1 and 2 ``batchtask worker`` processes, on a fresh database each,
and beside every PostgreSQL row the anchor: pgqueuer (``bench/pgqueuer_worker.py``, a bench-only
dependency: ``pip install -e '.[bench]'``) draining the same no-op job from the same server with
the same number of worker processes, so every figure is also a ratio taken in the same run:

* **batch**: ``--tasks`` no-op tasks created through the repository in one transaction; tasks/s =
  tasks ÷ (last ``→ Succeeded`` event − commit). Worker CPU per task comes from ``/proc``.
* **claim latency**: ``--trickle`` tasks inserted one per transaction at ``--trickle-rate``/s
  into the idle workers; latency = the task's ``→ Aquired`` event − its ``registered`` time,
  both read from the database (p50/p99). This is pick-up latency: on SQLite it is bounded by the
  workers' poll interval, on PostgreSQL by LISTEN/NOTIFY.
* **HTTP**: ``--http-tasks`` tasks POSTed to a real ``batchtask serve --no-worker`` (SOTicket,
  ``--lanes`` concurrent requests); tasks/s = tasks ÷ (last ``→ Succeeded`` − first POST sent),
  and per-task POST sent → ``Succeeded`` event (p50/p99).

The no-op handler is ``bench.noop`` below (workers import this file through
``BATCHTASK_HANDLERS=runtime_bench``). The table is printed and written as JSON to
``bench/results/runtime-<timestamp>.json``. Exit code 0 only when every goal row passes.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from batchtask.worker.context import TaskContext
from batchtask.worker.registry import definition

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
BATCHTASK = [sys.executable, "-m", "batchtask"]
NOOP = "bench.noop"
#: Goals from the issue: batch tasks/s, by (engine, workers).
GOALS = {("sqlite", 1): 300.0, ("sqlite", 2): 300.0}
#: Goals as ratios to pgqueuer with as many workers (issue 10): batch phase, and POST → Succeeded.
RATIO_GOALS = {2: 0.5}
HTTP_RATIO_GOAL = 0.15
#: Both cores' busy share (%) above which the machine is not quiet enough for a result.
QUIET_PERCENT = 10.0


@definition(NOOP, description="runtime benchmark: does nothing", max_starts=1)
async def noop(ctx: TaskContext) -> None:
    """Nothing: the benchmark measures the runtime around the handler."""


# ------------------------------------------------------------------------------ processes


def child_env(url: str, **settings: str) -> dict[str, str]:
    """A child's environment: this folder importable, no inherited ``BATCHTASK_*``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BATCHTASK_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(BENCH_DIR), env.get("PYTHONPATH")]))
    env["BATCHTASK_DATABASE_URL"] = url
    env["BATCHTASK_HANDLERS"] = "runtime_bench"
    env.update({f"BATCHTASK_{k.upper()}": v for k, v in settings.items()})
    return env


class Child:
    """A child process logging to a file; stopped by its exact PID."""

    def __init__(self, command: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        self._out = log.open("w")
        self.process = subprocess.Popen(
            command, env=env, cwd=ROOT, stdout=self._out, stderr=subprocess.STDOUT
        )

    def text(self) -> str:
        """What it logged so far."""
        return self.log.read_text(errors="replace")

    async def wait_for(self, marker: str, seconds: float = 60) -> None:
        """Until ``marker`` appears in its log."""
        deadline = time.monotonic() + seconds
        while marker not in self.text():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{self.log.name} did not get ready:\n{self.text()[-3000:]}")
            await asyncio.sleep(0.05)

    def cpu_seconds(self) -> float:
        """User + system CPU time of the process and its living descendants (granian's worker
        process serves the requests of ``batchtask serve``)."""
        return sum(process_cpu(pid) for pid in [self.process.pid, *descendants(self.process.pid)])

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 10 s; always reaped."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self._out.close()


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of one process (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def descendants(pid: int) -> list[int]:
    """Every living descendant of ``pid``, from ``/proc``."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        for child in map(int, children):
            found += [child, *descendants(child)]
    return found


def cli(url: str, *args: str) -> str:
    """One ``batchtask`` command; its stdout."""
    done = subprocess.run(
        [*BATCHTASK, *args], env=child_env(url), cwd=ROOT, capture_output=True, text=True,
        timeout=120, check=True,
    )  # fmt: skip
    return done.stdout


def free_port() -> int:
    """A free loopback port."""
    import socket  # noqa: PLC0415

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# ------------------------------------------------------------------------------ databases


async def pg_admin(admin_url: str, sql: str) -> None:
    """One statement on the server's admin database."""
    import asyncpg  # noqa: PLC0415

    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


class Database:
    """A fresh database for one row: a SQLite file, or a new PostgreSQL database."""

    def __init__(self, engine: str, tmp: Path, admin_url: str) -> None:
        self.engine = engine
        self._admin = admin_url
        self._name = f"bench_rt_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        if engine == "sqlite":
            self.url = f"sqlite:///{tmp / (self._name + '.db')}"
        else:
            self.url = f"{admin_url.rsplit('/', 1)[0]}/{self._name}"
        self.store: Any = None

    async def open(self) -> Any:
        """Create, migrate and open it."""
        from batchtask.storage.connect import open_store  # noqa: PLC0415

        if self.engine == "postgres":
            await pg_admin(self._admin, f'CREATE DATABASE "{self._name}"')
        self.store = await open_store(self.url, auto_migrate=True)
        return self.store

    async def drop(self) -> None:
        """Close it and drop the PostgreSQL database."""
        if self.store is not None:
            await self.store.close()
        if self.engine == "postgres":
            await pg_admin(self._admin, f'DROP DATABASE IF EXISTS "{self._name}" WITH (FORCE)')


async def server_pids(store: Any) -> list[int]:
    """The PostgreSQL backends serving this database (none on SQLite)."""
    if store.db.dialect != "postgres":
        return []
    rows = await store.db.fetch(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
    )
    return [int(row[0]) for row in rows]


async def server_cpu(store: Any) -> float:
    """CPU seconds used so far by this database's PostgreSQL backends (0 on SQLite)."""
    return sum(process_cpu(pid) for pid in await server_pids(store))


async def wait_succeeded(store: Any, ids: Sequence[int], cap: float) -> None:
    """Until every task of ``ids`` (a contiguous id range) is Succeeded.

    Polls with a query that stays cheap while the queue drains (the newest unfinished task is
    found at once from the top of the range), every 100 ms, so watching costs the database
    almost nothing whatever the number of tasks.
    """
    deadline = time.monotonic() + cap
    while True:
        row = await store.db.fetchrow(
            "SELECT batchtask_id FROM batchtask WHERE batchtask_id BETWEEN ? AND ?"
            " AND state <> 4 ORDER BY batchtask_id DESC LIMIT 1",
            min(ids),
            max(ids),
        )
        if row is None:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"task {row[0]} and maybe others not Succeeded after {cap:g} s")
        await asyncio.sleep(0.1)


async def event_times(store: Any, ids: Sequence[int], to_state: int) -> dict[int, dt.datetime]:
    """When each task of the id range reached ``to_state`` (first time)."""
    rows = await store.db.fetch(
        "SELECT batchtask_id, MIN(at) FROM batchtask_event WHERE to_state = ?"
        " AND batchtask_id BETWEEN ? AND ? GROUP BY batchtask_id",
        to_state,
        min(ids),
        max(ids),
    )
    return {int(r[0]): store.db.instant(r[1]) for r in rows}


async def registered_times(store: Any, ids: Sequence[int]) -> dict[int, dt.datetime]:
    """Each task's ``registered`` instant."""
    rows = await store.db.fetch(
        "SELECT batchtask_id, registered FROM batchtask WHERE batchtask_id BETWEEN ? AND ?",
        min(ids),
        max(ids),
    )
    return {int(r[0]): store.db.instant(r[1]) for r in rows}


# ------------------------------------------------------------------------------ phases


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def own_cpu() -> float:
    """CPU seconds of this process (the HTTP client)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def quiet(patience: float) -> float:
    """Wait up to ``patience`` seconds for the machine to go quiet; the last busy share (%)."""
    deadline = time.monotonic() + patience
    while True:
        before = box_jiffies()
        await asyncio.sleep(1.0)
        busy, total = (b - a for a, b in zip(before, box_jiffies(), strict=True))
        percent = 100 * busy / max(1, total)
        if percent <= QUIET_PERCENT or time.monotonic() > deadline:
            if percent > QUIET_PERCENT:
                print(f"  machine still {percent:.0f} % busy: the row is NOISY", file=sys.stderr)
            return round(percent, 1)


def box_jiffies() -> tuple[int, int]:
    """(busy, all) CPU time of every core since boot, from ``/proc/stat``."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


def now() -> dt.datetime:
    """The wall clock, as the workers read it."""
    return dt.datetime.now(dt.UTC)


async def batch_phase(store: Any, tasks: int, workers: list[Child]) -> dict[str, Any]:
    """``tasks`` no-op tasks in one transaction; tasks/s from commit to the last success."""
    from batchtask.domain.task import NewTask  # noqa: PLC0415

    new = NewTask(name=NOOP, associate_id=0)
    cpu_before = sum(w.cpu_seconds() for w in workers)
    async with store.db.transaction():
        ids = [await store.tasks.create(new, now=now(), actor="bench") for _ in range(tasks)]
    committed = now()
    box_before = box_jiffies()
    pg_before = await server_cpu(store)
    await wait_succeeded(store, ids, cap=max(120.0, tasks / 20))
    pg_cpu = await server_cpu(store) - pg_before
    cpu = sum(w.cpu_seconds() for w in workers) - cpu_before
    busy, total = (after - before for after, before in zip(box_jiffies(), box_before, strict=True))
    done = await event_times(store, ids, 4)
    claimed = await event_times(store, ids, 2)
    seconds = (max(done.values()) - committed).total_seconds()
    waits = [(claimed[i] - committed).total_seconds() * 1000 for i in ids]
    return {
        "tasks": tasks,
        "seconds": round(seconds, 3),
        "tasks_per_s": round(tasks / seconds, 1),
        "worker_cpu_us_per_task": round(cpu / tasks * 1e6),
        "postgres_cpu_us_per_task": round(pg_cpu / tasks * 1e6),
        "box_cpu_percent": round(100 * busy / max(1, total)),
        "queue_wait_ms_p50": round(percentile(waits, 50), 1),
        "queue_wait_ms_p99": round(percentile(waits, 99), 1),
    }


async def trickle_phase(store: Any, count: int, rate: float) -> dict[str, Any]:
    """``count`` tasks, one per transaction, at ``rate``/s into idle workers: pick-up latency."""
    from batchtask.domain.task import NewTask  # noqa: PLC0415

    new = NewTask(name=NOOP, associate_id=0)
    ids = []
    began = time.monotonic()
    for i in range(count):
        ids.append(await store.tasks.create(new, now=now(), actor="bench"))
        await asyncio.sleep(max(0.0, began + (i + 1) / rate - time.monotonic()))
    await wait_succeeded(store, ids, cap=60)
    claimed = await event_times(store, ids, 2)
    registered = await registered_times(store, ids)
    latencies = [(claimed[i] - registered[i]).total_seconds() * 1000 for i in ids]
    return {
        "tasks": count,
        "rate_per_s": rate,
        "claim_ms_p50": round(percentile(latencies, 50), 1),
        "claim_ms_p99": round(percentile(latencies, 99), 1),
    }


class Connection:
    """One keep-alive HTTP/1.1 connection speaking just enough to POST JSON.

    httpx costs about a millisecond of CPU per request, more than the server; on a two-core box
    that would measure the client. This one costs a few tens of microseconds.
    """

    def __init__(self, port: int, headers: dict[str, str]) -> None:
        self._port = port
        self._head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        """Status and body of one POST."""
        if self._reader is None or self._writer is None:
            self._reader, self._writer = await asyncio.open_connection("127.0.0.1", self._port)
        self._writer.write(
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{self._head}"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        status = int((await self._reader.readline()).split()[1])
        length, chunked = 0, False
        while (line := await self._reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
            elif name.lower() == "transfer-encoding" and "chunked" in value.lower():
                chunked = True
        if not chunked:
            return status, await self._reader.readexactly(length)
        data = b""
        while size := int((await self._reader.readline()).strip(), 16):
            data += await self._reader.readexactly(size + 2)
            data = data[:-2]
        await self._reader.readline()
        return status, data

    async def close(self) -> None:
        """Close the socket."""
        if self._writer is not None:
            self._writer.close()
            await self._writer.wait_closed()


async def http_phase(
    store: Any, url: str, tmp: Path, tasks: int, lanes: int, workers: list[Child]
) -> dict[str, Any]:
    """``tasks`` POSTs to a real ``batchtask serve``; tasks/s and POST → Succeeded."""
    cli(url, "user", "add", "bench", "--password", "bench password 1")
    ticket = cli(url, "ticket", "bench").strip()
    port = free_port()
    serve = Child(
        [*BATCHTASK, "serve", "--port", str(port), "--no-worker"],
        child_env(url, log_level="warning"),
        tmp / f"serve-{port}.log",
    )
    headers = {"Authorization": f"SOTicket {ticket}", "Accept": "application/json"}
    connections = [Connection(port, headers) for _ in range(lanes)]
    body = json.dumps({"Name": NOOP}).encode()
    try:
        await serve.wait_for("serving on")
        await wait_healthy(port, serve)
        sent: dict[int, dt.datetime] = {}
        queue = iter(range(tasks))

        async def lane(connection: Connection) -> None:
            for _ in queue:
                at = now()
                status, answer = await connection.post("/api/v1/BatchTask", body)
                if status != 200:
                    raise RuntimeError(f"POST answered {status}: {answer[:200]!r}")
                sent[int(answer)] = at

        cpu_before = (serve.cpu_seconds(), sum(w.cpu_seconds() for w in workers), own_cpu())
        box_before = box_jiffies()
        pg_before = await server_cpu(store)
        first = now()
        await asyncio.gather(*(lane(c) for c in connections))
        posted = (now() - first).total_seconds()
        ids = sorted(sent)
        await wait_succeeded(store, ids, cap=max(120.0, tasks / 20))
        pg_cpu = await server_cpu(store) - pg_before
        cpu = (serve.cpu_seconds(), sum(w.cpu_seconds() for w in workers), own_cpu())
        serve_cpu, worker_cpu, client_cpu = (b - a for a, b in zip(cpu_before, cpu, strict=True))
        busy, total = (b - a for a, b in zip(box_before, box_jiffies(), strict=True))
        done = await event_times(store, ids, 4)
        seconds = (max(done.values()) - first).total_seconds()
        latencies = [(done[i] - sent[i]).total_seconds() * 1000 for i in ids]
        return {
            "tasks": tasks,
            "lanes": lanes,
            "post_per_s": round(tasks / posted, 1),
            "tasks_per_s": round(tasks / seconds, 1),
            "e2e_ms_p50": round(percentile(latencies, 50), 1),
            "e2e_ms_p99": round(percentile(latencies, 99), 1),
            "serve_cpu_us_per_post": round(serve_cpu / tasks * 1e6),
            "worker_cpu_us_per_task": round(worker_cpu / tasks * 1e6),
            "client_cpu_us_per_post": round(client_cpu / tasks * 1e6),
            "postgres_cpu_us_per_task": round(pg_cpu / tasks * 1e6),
            "box_cpu_percent": round(100 * busy / max(1, total)),
        }
    finally:
        for connection in connections:
            await connection.close()
        serve.stop()


async def wait_healthy(port: int, serve: Child, seconds: float = 30) -> None:
    """Until ``GET /healthz`` answers 200."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            line = await reader.readline()
            writer.close()
            await writer.wait_closed()
            if line.split()[1:2] == [b"200"]:
                return
        except (OSError, IndexError):
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"serve did not answer:\n{serve.text()[-3000:]}")
        await asyncio.sleep(0.1)


@dataclass
class Row:
    """One engine × worker count."""

    engine: str
    workers: int
    concurrency: int
    batch: dict[str, Any] = field(default_factory=dict)
    trickle: dict[str, Any] = field(default_factory=dict)
    http: dict[str, Any] = field(default_factory=dict)
    goal: float | None = None
    #: Share of both cores busy just before the row started (other jobs on the machine).
    busy_before: float = 0.0
    error: str = ""
    #: pgqueuer's batch tasks/s with as many workers, measured just before (PostgreSQL rows).
    anchor: float | None = None

    def ratio(self, phase: str) -> float | None:
        """tasks/s of ``batch`` or ``http`` ÷ the pgqueuer anchor."""
        measured = getattr(self, phase)
        if self.anchor is None or not measured or self.error:
            return None
        return float(measured["tasks_per_s"]) / self.anchor

    def verdict(self, phase: str) -> str:
        """PASS/FAIL of ``batch`` or ``http`` against the goal (tasks/s, or the ratio to
        pgqueuer on PostgreSQL); ``—`` without one."""
        if self.error:
            return "ERROR"
        measured = getattr(self, phase)
        ratio = self.ratio(phase)
        if ratio is not None:
            goal = RATIO_GOALS.get(self.workers) if phase == "batch" else HTTP_RATIO_GOAL
            if goal is None or self.workers != 2:
                return "—"
            verdict = "PASS" if ratio >= goal else "FAIL"
        elif self.goal is None or not measured:
            return "—"
        else:
            verdict = "PASS" if measured["tasks_per_s"] >= self.goal else "FAIL"
        return f"NOISY (would {verdict})" if self.busy_before > QUIET_PERCENT else verdict


async def measure_pgqueuer(workers: int, args: argparse.Namespace, tmp: Path) -> Row:
    """The anchor: pgqueuer draining ``--tasks`` no-op jobs with ``workers`` processes."""
    import asyncpg  # noqa: PLC0415

    row = Row("pgqueuer", workers, args.pgqueuer_batch)
    row.busy_before = await quiet(args.patience)
    name = f"bench_pgq_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    url = f"{args.pg_url.rsplit('/', 1)[0]}/{name}"
    await pg_admin(args.pg_url, f'CREATE DATABASE "{name}"')
    children: list[Child] = []
    conn = None
    try:
        from pgqueuer import AsyncpgDriver, Queries  # noqa: PLC0415

        conn = await asyncpg.connect(url)
        queries = Queries(AsyncpgDriver(conn))
        await queries.install()
        for n in range(workers):
            children.append(
                Child(
                    [
                        sys.executable,
                        str(BENCH_DIR / "pgqueuer_worker.py"),
                        url,
                        str(args.pgqueuer_batch),
                    ],
                    child_env(url),
                    tmp / f"pgqueuer-{workers}-worker{n}.log",
                )
            )
        for child in children:
            await child.wait_for("ready")
        await asyncio.sleep(1.0)  # LISTEN established
        cpu_before = sum(w.cpu_seconds() for w in children)
        pg_pids = [int(r[0]) for r in await conn.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
        )]  # fmt: skip
        pg_before = sum(process_cpu(pid) for pid in pg_pids)
        box_before = box_jiffies()
        await queries.enqueue(["noop"] * args.tasks, [None] * args.tasks, [0] * args.tasks)
        committed = now()
        deadline = time.monotonic() + max(120.0, args.tasks / 20)
        while await conn.fetchval("SELECT count(*) FROM pgqueuer") > 0:
            if time.monotonic() > deadline:
                raise RuntimeError("pgqueuer did not drain")
            await asyncio.sleep(0.05)
        last = await conn.fetchval(
            "SELECT max(created) FROM pgqueuer_log WHERE status = 'successful'"
        )
        cpu = sum(w.cpu_seconds() for w in children) - cpu_before
        pg_cpu = sum(process_cpu(pid) for pid in pg_pids) - pg_before
        busy, total = (b - a for a, b in zip(box_before, box_jiffies(), strict=True))
        seconds = (last - committed).total_seconds()
        row.batch = {
            "tasks": args.tasks,
            "seconds": round(seconds, 3),
            "tasks_per_s": round(args.tasks / seconds, 1),
            "worker_cpu_us_per_task": round(cpu / args.tasks * 1e6),
            "postgres_cpu_us_per_task": round(pg_cpu / args.tasks * 1e6),
            "box_cpu_percent": round(100 * busy / max(1, total)),
        }
    except Exception as exc:  # a broken row is reported, never hidden
        row.error = f"{type(exc).__name__}: {exc}"
    finally:
        for child in children:
            child.stop()
        if conn is not None:
            await conn.close()
        await pg_admin(args.pg_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return row


async def measure(engine: str, workers: int, args: argparse.Namespace, tmp: Path) -> Row:
    """One row on a fresh database."""
    row = Row(engine, workers, args.concurrency, goal=GOALS.get((engine, workers)))
    row.busy_before = await quiet(args.patience)
    database = Database(engine, tmp, args.pg_url)
    children: list[Child] = []
    try:
        store = await database.open()
        for n in range(workers):
            children.append(
                Child(
                    [*BATCHTASK, "worker", "--concurrency", str(args.concurrency)],
                    child_env(database.url, log_level=args.log_level),
                    tmp / f"{engine}-{workers}-worker{n}.log",
                )
            )
        for child in children:
            await child.wait_for(" ready (")
        row.batch = await batch_phase(store, args.tasks, children)
        row.trickle = await trickle_phase(store, args.trickle, args.trickle_rate)
        if args.http_tasks:
            row.http = await http_phase(
                store, database.url, tmp, args.http_tasks, args.lanes, children
            )
    except Exception as exc:  # a broken row is reported, never hidden
        row.error = f"{type(exc).__name__}: {exc}"
    finally:
        for child in children:
            child.stop()
        await database.drop()
    return row


# ------------------------------------------------------------------------------ output


def table(rows: list[Row]) -> str:
    """The result table (Markdown)."""
    head = (
        "| engine | workers × slots | batch tasks | tasks/s | CPU µs/task worker + PG | box CPU"
        " | queue wait p50/p99 ms | claim latency p50/p99 ms | HTTP tasks | POST/s | serve CPU µs/POST"
        " | HTTP tasks/s"
        " | POST→Succeeded p50/p99 ms | × pgqueuer (batch / HTTP) | goal (batch / HTTP) |"
    )
    lines = [head, "|" + "---|" * (head.count(" | ") + 1)]
    for row in rows:
        if row.error:
            lines.append(
                f"| {row.engine} | {row.workers} × {row.concurrency} | ERROR: {row.error} |"
            )
            continue
        b, t, h = row.batch, row.trickle, row.http
        if row.engine == "pgqueuer":
            lines.append(
                f"| pgqueuer (batch {row.concurrency}) | {row.workers} | {b['tasks']}"
                f" | {b['tasks_per_s']:,.0f} | {cpu_split(b)} | {b['box_cpu_percent']} %"
                " | — | — | — | — | — | — | — | 1.00 | anchor |"
            )
            continue
        ratios = " / ".join(
            "—" if (r := row.ratio(phase)) is None else f"{r:.2f}" for phase in ("batch", "http")
        )
        if row.anchor is not None and row.workers in RATIO_GOALS:
            goal = (
                f"≥ {RATIO_GOALS[row.workers]:.2f} / ≥ {HTTP_RATIO_GOAL:.2f}:"
                f" {row.verdict('batch')} / {row.verdict('http')}"
            )
        elif row.goal is not None:
            goal = f"≥ {row.goal:,.0f}: {row.verdict('batch')} / {row.verdict('http')}"
        else:
            goal = "—"
        http = (
            f"{h['tasks']} | {h['post_per_s']:,.0f} | {h['serve_cpu_us_per_post']:,}"
            f" | {h['tasks_per_s']:,.0f}"
            f" | {h['e2e_ms_p50']:.0f} / {h['e2e_ms_p99']:.0f}"
            if h
            else "— | — | — | — | —"
        )
        lines.append(
            f"| {row.engine} | {row.workers} × {row.concurrency} | {b['tasks']}"
            f" | {b['tasks_per_s']:,.0f} | {cpu_split(b)} | {b['box_cpu_percent']} %"
            f" | {b['queue_wait_ms_p50']:.0f} / {b['queue_wait_ms_p99']:.0f}"
            f" | {t['claim_ms_p50']:.1f} / {t['claim_ms_p99']:.1f} | {http} | {ratios} | {goal} |"
        )
    return "\n".join(lines)


def cpu_split(phase: dict[str, Any]) -> str:
    """``worker + PG`` CPU per task (PG only on PostgreSQL)."""
    worker, pg = phase["worker_cpu_us_per_task"], phase["postgres_cpu_us_per_task"]
    return f"{worker:,} + {pg:,}" if pg else f"{worker:,}"


def write_json(rows: list[Row], args: argparse.Namespace) -> Path:
    """The full results under ``bench/results/``."""
    RESULTS_DIR.mkdir(exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS_DIR / f"runtime-{stamp}.json"
    data = {
        "benchmark": "runtime",
        "at": stamp,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "args": {k: v for k, v in vars(args).items() if k != "pg_url"},
        "rows": [
            {**asdict(row), "verdict": {p: row.verdict(p) for p in ("batch", "http")}}
            for row in rows
        ],
    }
    path.write_text(json.dumps(data, indent=2))
    return path


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=5000, help="batch tasks per row (5000)")
    parser.add_argument("--http-tasks", type=int, default=1000, help="POSTed tasks per row (1000)")
    parser.add_argument("--lanes", type=int, default=8, help="concurrent POSTs (8)")
    parser.add_argument("--trickle", type=int, default=200, help="claim-latency tasks (200)")
    parser.add_argument("--trickle-rate", type=float, default=50.0, help="their rate per s (50)")
    parser.add_argument("--concurrency", type=int, default=16, help="slots per worker (16)")
    parser.add_argument(
        "--log-level", default="info", help="workers' BATCHTASK_LOG_LEVEL (info, as deployed)"
    )
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
        help="admin URL of the PostgreSQL server (BENCH_PG_URL)",
    )
    parser.add_argument(
        "--engines", default="sqlite,postgres", help="comma-separated (sqlite,postgres)"
    )
    parser.add_argument(
        "--worker-counts", default="1,2", help="worker processes per row, comma-separated (1,2)"
    )
    parser.add_argument("--no-postgres", action="store_true", help="skip the PostgreSQL rows")
    parser.add_argument("--no-pgqueuer", action="store_true", help="skip the pgqueuer anchor rows")
    parser.add_argument(
        "--pgqueuer-batch", type=int, default=10, help="pgqueuer's batch size (10, its default)"
    )
    parser.add_argument(
        "--patience", type=float, default=60.0, help="seconds to wait for a quiet machine (60)"
    )
    parser.add_argument("--quick", action="store_true", help="small counts: a smoke test")
    args = parser.parse_args(argv)
    if args.quick:
        args.tasks, args.http_tasks, args.trickle = 500, 100, 40
    return args


async def run(args: argparse.Namespace) -> list[Row]:
    """Every row, one after the other."""
    engines = [e for e in args.engines.split(",") if not (args.no_postgres and e == "postgres")]
    counts = [int(n) for n in args.worker_counts.split(",")]
    rows = []
    with tempfile.TemporaryDirectory(prefix="runtime-bench-") as folder:
        for engine in engines:
            for workers in counts:
                anchor = None
                if engine == "postgres" and not args.no_pgqueuer:
                    print(f"measuring pgqueuer with {workers} worker(s)…", file=sys.stderr)
                    twin = await measure_pgqueuer(workers, args, Path(folder))
                    rows.append(twin)
                    anchor = None if twin.error else float(twin.batch["tasks_per_s"])
                print(f"measuring {engine} with {workers} worker(s)…", file=sys.stderr)
                row = await measure(engine, workers, args, Path(folder))
                row.anchor = anchor
                rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> int:
    """Run, print the table, write the JSON."""
    args = parse_args(argv)
    rows = asyncio.run(run(args))
    print(table(rows))
    print(f"\nresults: {write_json(rows, args)}", file=sys.stderr)
    verdicts = [row.verdict(phase) for row in rows for phase in ("batch", "http")]
    return 0 if all(verdict in {"PASS", "—"} for verdict in verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
