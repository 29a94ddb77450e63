"""HTTP benchmark: ``GET /api/v1/BatchTask/{id}`` against raw ASGI ceilings, in one run.

Usage::

    python bench/http_bench.py [--duration 10] [--connections 32] [--quick]

The server under test is pinned to one core (``taskset -c 0``) and wrk to the other
(``taskset -c 1 wrk -t1``); this script pins itself next to wrk. Every server — batchtask and the
raw ceilings from ``bench/raw_app.py`` — runs under granian with one worker and the same HTTP
settings. Rows (see ``bench/README.md``):

* raw constant (JSON size / XML size): a constant body as large as the real JSON / XML response;
* raw asyncpg lookup: one ``fetchrow`` by primary key on ``batchtask``, then a constant body;
* SQLite SOTicket JSON / SOTicket XML / Basic JSON and PostgreSQL SOTicket JSON / Basic JSON;
* 2 processes: the raw constant and SQLite SOTicket JSON again with two granian workers
  (``serve --workers 2``) on both cores, wrk still on core 1 (``--no-processes`` skips them).

Each row: 2 s warm-up, then the measured wrk run, while the server's memory (VmRSS and PSS summed
over the granian main process and its worker) is sampled every 100 ms. A row whose wrk run saw a
non-2xx/3xx response or a socket error is ERROR, never a result. CPU taken on the two cores by
jobs outside the benchmark (and hypervisor steal) is measured per run; a disturbed run is retried
and the row says so. ``--ref HEAD`` measures a committed tree instead of the working files. The
table is printed and written as JSON to ``bench/results/<timestamp>.json``. The exit code is 0
only when no row FAILs or ERRORs.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import datetime as dt
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
TASK_PATH = "/api/v1/BatchTask/1"
JSON_ACCEPT = "application/json"
XML_ACCEPT = "application/xml"
MB = 1_000_000

# The bars from the issue.
BAR_SOTICKET_JSON = 0.40
BAR_P99_MS = 10.0
BAR_BASIC = 0.35
BAR_XML = 0.30
BAR_POSTGRES = 0.80
BAR_RSS_MB = 150.0


# --------------------------------------------------------------------------------------- wrk


@dataclass
class WrkResult:
    """What one wrk run printed."""

    requests_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int
    seconds: float
    bytes_read: int
    non_2xx_3xx: int
    socket_errors: dict[str, int]
    output: str

    @property
    def errors(self) -> list[str]:
        """Why this run cannot count as a result (empty when it can)."""
        problems = []
        if self.non_2xx_3xx:
            problems.append(f"{self.non_2xx_3xx} non-2xx/3xx responses")
        failed = {kind: count for kind, count in self.socket_errors.items() if count}
        if failed:
            problems.append("socket errors " + ", ".join(f"{k} {v}" for k, v in failed.items()))
        if self.requests <= 0:
            problems.append("no requests completed")
        return problems


_UNITS_S = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_UNITS_B = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3, "TB": 1024**4}


def _duration_ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    if match is None:
        raise ValueError(f"unreadable wrk duration {text!r}")
    return float(match.group(1)) * _UNITS_S[match.group(2)] * 1000.0


def parse_wrk(output: str) -> WrkResult:
    """Parse ``wrk --latency`` output; ``ValueError`` when a figure is missing."""

    def find(pattern: str) -> re.Match[str]:
        match = re.search(pattern, output, re.MULTILINE)
        if match is None:
            raise ValueError(f"wrk output has no {pattern!r}:\n{output}")
        return match

    rps = float(find(r"^Requests/sec:\s+([\d.]+)").group(1))
    p50 = _duration_ms(find(r"^\s+50%\s+(\S+)").group(1))
    p99 = _duration_ms(find(r"^\s+99%\s+(\S+)").group(1))
    total = find(r"^\s*(\d+) requests in ([\d.]+\w+), ([\d.]+)(B|KB|MB|GB|TB) read")
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    sockets = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    socket_errors = {"connect": 0, "read": 0, "write": 0, "timeout": 0}
    if sockets is not None:
        socket_errors = dict(zip(socket_errors, map(int, sockets.groups()), strict=True))
    return WrkResult(
        requests_per_s=rps,
        p50_ms=p50,
        p99_ms=p99,
        requests=int(total.group(1)),
        seconds=_duration_ms(total.group(2)) / 1000.0,
        bytes_read=int(float(total.group(3)) * _UNITS_B[total.group(4)]),
        non_2xx_3xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=socket_errors,
        output=output,
    )


def run_wrk(
    url: str, headers: dict[str, str], *, seconds: float, connections: int, core: int
) -> WrkResult:
    """One ``wrk -t1`` run pinned to ``core``."""
    argv = ["taskset", "-c", str(core), "wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s"]
    argv.append("--latency")
    for name, value in headers.items():
        argv += ["-H", f"{name}: {value}"]
    argv.append(url)
    done = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"wrk exited with {done.returncode}: {done.stderr or done.stdout}")
    return parse_wrk(done.stdout)


# ------------------------------------------------------------------------------------ servers


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _children(pid: int) -> list[int]:
    found = []
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError):
                found += [int(c) for c in (task / "children").read_text().split()]
    return found


def _status_kb(pid: int, key: str) -> int:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def _pss_kb(pid: int) -> int:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    return 0


class Server:
    """A server process we started (pinned), its process tree, memory and log."""

    def __init__(
        self, name: str, argv: list[str], *, port: int, core: int, env: dict[str, str], log: Path
    ) -> None:
        self.name = name
        self.port = port
        self.log = log
        self._log_file = log.open("wb")
        self.process = subprocess.Popen(
            ["taskset", "-c", str(core), *argv],
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=ROOT,
            start_new_session=True,
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def tree(self) -> list[int]:
        """The main process and every descendant (granian's worker)."""
        pids, queue = [], [self.process.pid]
        while queue:
            pid = queue.pop()
            pids.append(pid)
            queue += _children(pid)
        return pids

    def worker_pid(self) -> int:
        """The granian worker (the deepest descendant), else the main process."""
        return self.tree()[-1]

    def rss_kb(self) -> int:
        return sum(_status_kb(pid, "VmRSS") for pid in self.tree())

    def pss_kb(self) -> int:
        return sum(_pss_kb(pid) for pid in self.tree())

    def hwm_kb(self) -> dict[int, int]:
        """Each process's own peak RSS (VmHWM)."""
        return {pid: _status_kb(pid, "VmHWM") for pid in self.tree()}

    def output(self) -> str:
        self._log_file.flush()
        return self.log.read_text(errors="replace")

    def wait_ready(self, path: str, timeout: float = 60.0) -> None:
        """Until ``path`` answers (any HTTP status) and the worker process exists."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited early:\n{self.output()}")
            try:
                with urllib.request.urlopen(self.url + path, timeout=2):  # noqa: S310
                    pass
            except urllib.error.HTTPError:
                pass
            except OSError:
                time.sleep(0.1)
                continue
            if len(self.tree()) > 1:
                return
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not answer within {timeout:g} s:\n{self.output()}")

    def stop(self) -> None:
        """SIGINT to our process group (granian shuts down gracefully), SIGKILL if it lingers."""
        if self.process.poll() is None:
            for sig, wait in ((signal.SIGINT, 15.0), (signal.SIGKILL, 5.0)):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, sig)
                try:
                    self.process.wait(wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
        self._log_file.close()


class MemorySampler:
    """Polls a server's summed VmRSS and PSS every ``interval`` seconds; keeps the peaks."""

    def __init__(self, server: Server, interval: float = 0.1) -> None:
        self.server = server
        self.interval = interval
        self.peak_rss_kb = 0
        self.peak_pss_kb = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        self.peak_rss_kb = max(self.peak_rss_kb, self.server.rss_kb())
        self.peak_pss_kb = max(self.peak_pss_kb, self.server.pss_kb())
        self.samples += 1

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(self.interval)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()


CLK_TCK = os.sysconf("SC_CLK_TCK")


def _proc_cpu_s(pid: int) -> float:
    """User + system CPU seconds of one process (all its threads)."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK
    return 0.0


def _postgres_cpu_s() -> dict[int, float]:
    """CPU seconds of every PostgreSQL server process (the database is part of a PG row)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / "comm").read_text().strip() == "postgres":
                    found[int(entry.name)] = _proc_cpu_s(int(entry.name))
    return found


def _busy_and_steal_s(cores: set[int]) -> tuple[float, float]:
    """Busy (user, nice, system, irq, softirq) and steal seconds of ``cores`` since boot."""
    busy = steal = 0
    for line in Path("/proc/stat").read_text().splitlines():
        name, *ticks = line.split()
        if name.startswith("cpu") and name[3:].isdigit() and int(name[3:]) in cores:
            values = [int(x) for x in ticks]
            busy += values[0] + values[1] + values[2] + values[5] + values[6]
            steal += values[7]
    return busy / CLK_TCK, steal / CLK_TCK


@dataclass
class CpuShare:
    """Who used the two benchmark cores during a run, in cores (1.0 = one core for the run)."""

    server: float
    client: float
    postgres: float
    foreign: float
    """Other jobs, on both cores."""
    foreign_server_core: float
    """Other jobs on the server's core (an upper bound when PostgreSQL is involved)."""
    steal: float
    """Hypervisor steal on the server's core."""

    @property
    def disturbed(self) -> float:
        """The server core's CPU the server could not have: the figure ``--noise`` judges."""
        return self.foreign_server_core + self.steal


class CpuAccount:
    """CPU used on the server and client cores by everything that is not part of the benchmark.

    With tick accounting (irq time charged to the running task) a process's utime + stime and the
    per-core busy ticks of ``/proc/stat`` count the same thing. The server is pinned to its core,
    wrk and this script to the other, PostgreSQL floats. So busy time on both cores minus the
    server's, wrk's, this script's and PostgreSQL's is other jobs; on the server's core it is at
    most that and at most the core's busy time minus the server's. Steal is time the hypervisor
    gave to other guests. Both lower a row's figures; only the server core's share matters much
    (wrk leaves most of its core idle).
    """

    def __init__(self, server: Server, server_core: int, client_core: int) -> None:
        self.server = server
        self.server_core = server_core
        self.cores = {server_core, client_core}

    def _snapshot(self) -> dict[str, Any]:
        own = resource.getrusage(resource.RUSAGE_SELF)
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        busy, _ = _busy_and_steal_s(self.cores)
        busy_server_core, steal = _busy_and_steal_s({self.server_core})
        return {
            "t": time.monotonic(),
            "busy": busy,
            "busy_server_core": busy_server_core,
            "steal": steal,
            "server": sum(_proc_cpu_s(pid) for pid in self.server.tree()),
            "postgres": _postgres_cpu_s(),
            "client": own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime,
        }

    def __enter__(self) -> CpuAccount:
        self.before = self._snapshot()
        return self

    def __exit__(self, *exc: object) -> None:
        self.after = self._snapshot()

    def share(self) -> CpuShare:
        a, b = self.before, self.after
        wall = max(b["t"] - a["t"], 1e-9)
        server = b["server"] - a["server"]
        client = b["client"] - a["client"]
        postgres = sum(cpu - a["postgres"].get(pid, 0.0) for pid, cpu in b["postgres"].items())
        foreign = max((b["busy"] - a["busy"]) - server - client - postgres, 0.0)
        on_server_core = (b["busy_server_core"] - a["busy_server_core"]) - server
        return CpuShare(
            server=server / wall,
            client=client / wall,
            postgres=postgres / wall,
            foreign=foreign / wall,
            foreign_server_core=max(min(foreign, on_server_core), 0.0) / wall,
            steal=(b["steal"] - a["steal"]) / wall,
        )


def cores_busy(cores: set[int], seconds: float) -> float:
    """How many cores' worth of ``cores`` something used over the next ``seconds``."""
    before, _ = _busy_and_steal_s(cores)
    time.sleep(seconds)
    after, _ = _busy_and_steal_s(cores)
    return (after - before) / seconds


def settle(cores: set[int], *, threshold: float = 0.05, patience: float = 15.0) -> float:
    """Wait (up to ``patience`` s) until ``cores`` are quiet; their busy share over the last second.

    Our servers idle while this runs, so anything above a few percent of a core is someone else
    (PostgreSQL finishing a checkpoint, a previous server shutting down, another job) and would be
    charged to the row.
    """
    deadline = time.monotonic() + patience
    busy = cores_busy(cores, 1.0)
    while busy > threshold and time.monotonic() < deadline:
        busy = cores_busy(cores, 1.0)
    if busy > threshold:
        print(
            f"  warning: cores {sorted(cores)} are {busy:.0%} busy before the run", file=sys.stderr
        )
    return busy


def http_get(url: str, headers: dict[str, str]) -> tuple[int, bytes]:
    """Status and body of one GET (error statuses included)."""
    request = urllib.request.Request(url, headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


# ------------------------------------------------------------------------------------- setup


@dataclass
class Database:
    """One database under test with the demo data and credentials to reach it."""

    engine: str
    url: str
    password: str = ""
    ticket: str = ""
    json_size: int = 0
    xml_size: int = 0

    def headers(self, scheme: str, accept: str) -> dict[str, str]:
        if scheme == "SOTicket":
            credential = f"SOTicket {self.ticket}"
        else:
            basic = base64.b64encode(f"demo:{self.password}".encode()).decode("ascii")
            credential = f"Basic {basic}"
        return {"Authorization": credential, "Accept": accept}


def source_env(ref: str | None, work: Path) -> dict[str, str]:
    """The environment for batchtask processes: the working tree, or a snapshot of ``ref``.

    Other people may be editing ``src/`` while this runs; ``--ref HEAD`` measures one committed
    tree instead (extracted with ``git archive`` and put first on ``PYTHONPATH``, ahead of the
    editable install).
    """
    env = dict(os.environ)
    if ref is None:
        return env
    snapshot = work / "snapshot"
    snapshot.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", ref, "src"],
        capture_output=True,
        check=True,
    )
    subprocess.run(["tar", "-x", "-C", str(snapshot)], input=archive.stdout, check=True)
    paths = [str(snapshot / "src"), *filter(None, [env.get("PYTHONPATH")])]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    return env


def batchtask_exe() -> str:
    """The ``batchtask`` console script of this interpreter's environment."""
    beside = Path(sys.executable).with_name("batchtask")
    if beside.exists():
        return str(beside)
    found = shutil.which("batchtask")
    if found is None:
        raise SystemExit("batchtask is not installed in this environment (pip install -e .)")
    return found


def cli(*args: str, env: dict[str, str]) -> str:
    """Run ``batchtask ARGS`` and return its stdout; raise with its stderr on failure."""
    done = subprocess.run(
        [batchtask_exe(), *args], capture_output=True, text=True, env=env, cwd=ROOT, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"batchtask {' '.join(args)} failed:\n{done.stderr}{done.stdout}")
    return done.stdout


def start_batchtask(
    db: Database, *, core: int | str, env: dict[str, str], work: Path, workers: int = 1
) -> Server:
    port = free_port()
    argv = [batchtask_exe(), "serve", "--demo", "--no-worker", "--port", str(port)]
    argv += ["--workers", str(workers)]
    argv += ["--database", db.url]
    log = work / f"batchtask-{db.engine}-{port}.log"
    server = Server(f"batchtask ({db.engine})", argv, port=port, core=core, env=env, log=log)
    server.wait_ready("/healthz")
    return server


def prepare(db: Database, *, core: int, env: dict[str, str], work: Path) -> None:
    """Seed the demo data, learn the admin's password, a ticket and the response sizes."""
    server = start_batchtask(db, core=core, env=env, work=work)
    try:
        seeded = re.search(r"demo admin:\s+\S+ / (\S+)", server.output())
        if seeded is None:
            raise RuntimeError(
                f"no demo password printed (database not empty?):\n{server.output()}"
            )
        db.password = seeded.group(1)
        db.ticket = cli("ticket", "demo", "--database", db.url, env=env).strip()
        for scheme in ("SOTicket", "Basic"):
            for accept in (JSON_ACCEPT, XML_ACCEPT):
                status, body = http_get(server.url + TASK_PATH, db.headers(scheme, accept))
                if status != 200:
                    raise RuntimeError(
                        f"{db.engine} {scheme} {accept}: HTTP {status}: {body[:300]!r}"
                    )
                size = len(body)
                if accept == JSON_ACCEPT:
                    db.json_size = size
                else:
                    db.xml_size = size
    finally:
        server.stop()


async def _pg_admin(base_url: str, statement: str) -> None:
    import asyncpg  # noqa: PLC0415 - only the PostgreSQL rows need the driver

    conn = await asyncpg.connect(base_url.rstrip("/") + "/postgres", timeout=10)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


def pg_admin(base_url: str, statement: str) -> None:
    asyncio.run(_pg_admin(base_url, statement))


# --------------------------------------------------------------------------------------- rows


@dataclass
class Row:
    """One line of the table."""

    key: str
    label: str
    body_bytes: int = 0
    requests_per_s: float | None = None
    p50_ms: float | None = None
    p99_ms: float | None = None
    ratio: float | None = None
    ratio_to_asyncpg: float | None = None
    peak_rss_mb: float | None = None
    peak_pss_mb: float | None = None
    hwm_mb: dict[str, float] = field(default_factory=dict)
    requests: int = 0
    bytes_per_response: float | None = None
    idle_core_busy: float | None = None
    cpu: dict[str, float] = field(default_factory=dict)
    disturbed: float | None = None
    attempts: int = 0
    status: str = "ERROR"
    problems: list[str] = field(default_factory=list)
    wrk_output: str = ""


class Bench:
    """Runs every row and judges it against the bars."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.rows: dict[str, Row] = {}

    def measure(
        self, row: Row, server: Server, headers: dict[str, str], expected_size: int
    ) -> None:
        """Pre-flight one request, then warm-up + measured run, retried while disturbed.

        A run during which other jobs took more than ``--noise`` of a core (or the hypervisor
        stole it) is repeated, up to ``--retries`` times; the least disturbed run is kept and the
        row says how disturbed it was. Peak memory is over every attempt.
        """
        args = self.args
        row.body_bytes = expected_size
        url = server.url + TASK_PATH
        cores = {args.server_core, args.client_core}
        best: tuple[WrkResult, CpuShare] | None = None
        try:
            status, body = http_get(url, headers)
            if status != 200:
                raise RuntimeError(f"pre-flight GET answered {status}: {body[:300]!r}")
            if len(body) != expected_size:
                row.problems.append(f"body is {len(body)} bytes, expected {expected_size}")
                row.body_bytes = len(body)
            for attempt in range(1, args.retries + 2):
                row.attempts = attempt
                row.idle_core_busy = settle(cores, patience=args.patience)
                with MemorySampler(server) as memory:
                    if args.warmup > 0:
                        self._wrk(url, headers, args.warmup)
                    with CpuAccount(server, args.server_core, args.client_core) as cpu:
                        result = self._wrk(url, headers, args.duration)
                row.peak_rss_mb = max(row.peak_rss_mb or 0.0, memory.peak_rss_kb * 1024 / MB)
                row.peak_pss_mb = max(row.peak_pss_mb or 0.0, memory.peak_pss_kb * 1024 / MB)
                share = cpu.share()
                disturbed = share.disturbed
                print(
                    f"  {row.label}: {result.requests_per_s:,.0f} req/s  "
                    f"p50 {result.p50_ms:.2f} ms  p99 {result.p99_ms:.2f} ms  "
                    f"rss {memory.peak_rss_kb * 1024 / MB:.1f} MB  cpu server {share.server:.2f} "
                    f"wrk+bench {share.client:.2f} pg {share.postgres:.2f} "
                    f"other {share.foreign:.2f} (server core {share.foreign_server_core:.2f}) "
                    f"steal {share.steal:.2f}"
                    + (f"  ERROR: {'; '.join(result.errors)}" if result.errors else ""),
                    file=sys.stderr,
                )
                if result.errors:
                    best = (result, share)
                    break
                if best is None or disturbed < best[1].disturbed:
                    best = (result, share)
                if disturbed <= args.noise:
                    break
        except (RuntimeError, ValueError, OSError, subprocess.TimeoutExpired) as exc:
            row.problems.append(str(exc))
            row.status = "ERROR"
            print(f"  {row.label}: ERROR {exc}", file=sys.stderr)
            return
        assert best is not None  # noqa: S101 - the loop runs at least once
        result, share = best
        row.requests_per_s = result.requests_per_s
        row.p50_ms = result.p50_ms
        row.p99_ms = result.p99_ms
        row.requests = result.requests
        row.bytes_per_response = result.bytes_read / result.requests if result.requests else None
        row.hwm_mb = {str(pid): kb * 1024 / MB for pid, kb in server.hwm_kb().items()}
        row.cpu = asdict(share)
        row.disturbed = share.disturbed
        row.wrk_output = result.output
        row.problems += result.errors
        row.status = "ERROR" if result.errors else "ok"

    def _wrk(self, url: str, headers: dict[str, str], seconds: float) -> WrkResult:
        args = self.args
        return run_wrk(
            url, headers, seconds=seconds, connections=args.connections, core=args.client_core
        )

    def raw(
        self,
        key: str,
        label: str,
        size: int,
        content_type: str,
        headers: dict[str, str],
        workers: int = 1,
        core: int | str | None = None,
        **extra: str,
    ) -> Row:
        row = self.rows.setdefault(key, Row(key, label))
        print(f"{label} …", file=sys.stderr)
        port = free_port()
        env = dict(self.env)
        env.update(
            BENCH_PORT=str(port),
            BENCH_BODY_SIZE=str(size),
            BENCH_CONTENT_TYPE=content_type,
            PYTHONPATH=str(BENCH_DIR),
            BENCH_WORKERS=str(workers),
            **extra,
        )
        argv = [sys.executable, str(BENCH_DIR / "raw_app.py")]
        log = self.work / f"raw-{key}.log"
        where = self.args.server_core if core is None else core
        server = Server(label, argv, port=port, core=where, env=env, log=log)
        try:
            server.wait_ready("/")
            self.measure(row, server, headers, size)
        except RuntimeError as exc:
            row.problems.append(str(exc))
        finally:
            server.stop()
        return row

    def real(
        self,
        db: Database,
        cases: list[tuple[str, str, str, str]],
        *,
        workers: int = 1,
        core: int | str | None = None,
    ) -> None:
        """The batchtask server on ``db``, one row per (key, label, scheme, accept)."""
        print(f"batchtask on {db.engine} ({workers} process(es)) …", file=sys.stderr)
        for key, label, _, _ in cases:
            self.rows.setdefault(key, Row(key, label))
        where = self.args.server_core if core is None else core
        try:
            server = start_batchtask(db, core=where, env=self.env, work=self.work, workers=workers)
        except RuntimeError as exc:
            for key, *_ in cases:
                self.rows[key].problems.append(str(exc))
            return
        try:
            for key, _, scheme, accept in cases:
                size = db.json_size if accept == JSON_ACCEPT else db.xml_size
                self.measure(self.rows[key], server, db.headers(scheme, accept), size)
        finally:
            server.stop()

    def run(self) -> dict[str, Row]:
        args = self.args
        self.work = Path(tempfile.mkdtemp(prefix="batchtask-bench-"))
        self.env = source_env(args.ref, self.work)
        sqlite = Database("sqlite", f"sqlite:///{self.work / 'bench.db'}")
        pg_name = f"bench_{os.getpid()}"
        postgres = Database("postgresql", f"{args.pg_url.rstrip('/')}/{pg_name}")
        pg_created = False
        try:
            print("preparing SQLite …", file=sys.stderr)
            prepare(sqlite, core=args.server_core, env=self.env, work=self.work)
            pg_error = None
            if args.no_postgres:
                pg_error = "skipped (--no-postgres)"
            else:
                print(f"preparing PostgreSQL database {pg_name} …", file=sys.stderr)
                try:
                    pg_admin(args.pg_url, f'CREATE DATABASE "{pg_name}"')
                    pg_created = True
                    cli("db", "upgrade", "--database", postgres.url, env=self.env)
                    prepare(postgres, core=args.server_core, env=self.env, work=self.work)
                    pg_admin(args.pg_url, "CHECKPOINT")  # not during the measured runs
                except Exception as exc:  # any failure becomes ERROR rows
                    pg_error = f"PostgreSQL setup failed: {exc}"
                    print(pg_error, file=sys.stderr)

            ticket = sqlite.headers("SOTicket", JSON_ACCEPT)["Authorization"]
            json_type = "application/json; charset=utf-8"
            xml_type = "application/xml; charset=utf-8"
            self.raw(
                "raw_json",
                f"raw constant ({sqlite.json_size} B)",
                sqlite.json_size,
                json_type,
                {"Authorization": ticket, "Accept": JSON_ACCEPT},
            )
            self.raw(
                "raw_xml",
                f"raw constant ({sqlite.xml_size} B)",
                sqlite.xml_size,
                xml_type,
                {"Authorization": ticket, "Accept": XML_ACCEPT},
            )
            if pg_error is None:
                self.raw(
                    "raw_asyncpg",
                    f"raw asyncpg lookup ({postgres.json_size} B)",
                    postgres.json_size,
                    json_type,
                    postgres.headers("SOTicket", JSON_ACCEPT),
                    BENCH_APP="pg_app",
                    BENCH_PG_DSN=postgres.url,
                )
            else:
                self.rows["raw_asyncpg"] = Row("raw_asyncpg", "raw asyncpg lookup")

            self.real(
                sqlite,
                [
                    ("sqlite_ticket_json", "SQLite SOTicket JSON", "SOTicket", JSON_ACCEPT),
                    ("sqlite_ticket_xml", "SQLite SOTicket XML", "SOTicket", XML_ACCEPT),
                    ("sqlite_basic_json", "SQLite Basic JSON", "Basic", JSON_ACCEPT),
                ],
            )
            if not args.no_processes:
                both = f"{args.server_core},{args.client_core}"
                self.raw(
                    "raw_json_2p",
                    f"raw constant ({sqlite.json_size} B), 2 processes",
                    sqlite.json_size,
                    json_type,
                    {"Authorization": ticket, "Accept": JSON_ACCEPT},
                    workers=2,
                    core=both,
                )
                self.real(
                    sqlite,
                    [("sqlite_ticket_json_2p", "SQLite SOTicket JSON, 2 processes", "SOTicket",
                      JSON_ACCEPT)],
                    workers=2,
                    core=both,
                )  # fmt: skip
            pg_cases = [
                ("pg_ticket_json", "PostgreSQL SOTicket JSON", "SOTicket", JSON_ACCEPT),
                ("pg_basic_json", "PostgreSQL Basic JSON", "Basic", JSON_ACCEPT),
            ]
            if pg_error is None:
                self.real(postgres, pg_cases)
            else:
                for key, label, *_ in pg_cases:
                    self.rows[key] = Row(key, label)
                for key in ["raw_asyncpg", *(case[0] for case in pg_cases)]:
                    self.rows[key].problems.append(pg_error)
                    if args.no_postgres:
                        self.rows[key].status = "SKIPPED"
        finally:
            if pg_created:
                try:
                    pg_admin(args.pg_url, f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
                except Exception as exc:  # report, never mask the results
                    print(f"could not drop database {pg_name}: {exc}", file=sys.stderr)
            if args.keep_temp:
                print(f"logs and SQLite database kept in {self.work}", file=sys.stderr)
            else:
                shutil.rmtree(self.work, ignore_errors=True)
        self.judge()
        return self.rows

    # ------------------------------------------------------------------------------- bars

    def judge(self) -> None:
        """Ratios and PASS/FAIL/ERROR/NOISY for every row."""
        rows = self.rows

        def rps(key: str) -> float | None:
            row = rows.get(key)
            return row.requests_per_s if row is not None and row.status == "ceiling" else None

        ceiling = {
            "sqlite_ticket_json": "raw_json",
            "sqlite_ticket_xml": "raw_xml",
            "sqlite_basic_json": "raw_json",
            "pg_ticket_json": "raw_json",
            "pg_basic_json": "raw_json",
            "sqlite_ticket_json_2p": "raw_json_2p",
        }
        bars: dict[str, list[tuple[str, Callable[[Row], float | None], float, bool]]] = {
            "sqlite_ticket_json": [
                ("ratio", lambda r: r.ratio, BAR_SOTICKET_JSON, True),
                ("p99 ms", lambda r: r.p99_ms, BAR_P99_MS, False),
            ],
            "sqlite_ticket_xml": [("ratio", lambda r: r.ratio, BAR_XML, True)],
            "sqlite_basic_json": [("ratio", lambda r: r.ratio, BAR_BASIC, True)],
            "pg_ticket_json": [("vs asyncpg", lambda r: r.ratio_to_asyncpg, BAR_POSTGRES, True)],
            "pg_basic_json": [("vs asyncpg", lambda r: r.ratio_to_asyncpg, BAR_POSTGRES, True)],
            "sqlite_ticket_json_2p": [("ratio", lambda r: r.ratio, BAR_SOTICKET_JSON, True)],
        }
        for key, row in rows.items():
            if key.startswith("raw_") and row.status == "ok":
                row.status = "ceiling"
        for key, row in rows.items():
            if row.status != "ok":
                continue
            top = rps(ceiling[key])
            if row.requests_per_s is not None and top:
                row.ratio = row.requests_per_s / top
            if key.startswith("pg_"):
                lookup = rps("raw_asyncpg")
                if row.requests_per_s is not None and lookup:
                    row.ratio_to_asyncpg = row.requests_per_s / lookup
            failures = []
            for name, value_of, bar, at_least in bars[key]:
                value = value_of(row)
                if value is None:
                    row.problems.append(f"{name}: its ceiling row has no result")
                    row.status = "ERROR"
                    break
                if (value < bar) if at_least else (value > bar):
                    sign = "<" if at_least else ">"
                    failures.append(f"{name} {value:.2f} {sign} {bar:g}")
            if row.status == "ERROR":
                continue
            memory_failed = row.peak_rss_mb is not None and row.peak_rss_mb >= BAR_RSS_MB
            if memory_failed:
                failures.append(f"RSS {row.peak_rss_mb:.0f} MB ≥ {BAR_RSS_MB:g}")
            row.problems += failures
            row.status = "FAIL" if failures else "PASS"
            # A throughput verdict from a disturbed run (this row's or a ceiling's) is not one.
            # Memory does not depend on other jobs, so an RSS failure stands.
            used = [key, ceiling[key]] + (["raw_asyncpg"] if key.startswith("pg_") else [])
            noisy = [
                f"{'this run' if k == key else rows[k].label} {rows[k].disturbed:.0%}"
                for k in used
                if (rows[k].disturbed or 0.0) > self.args.noise
            ]
            if noisy and not memory_failed:
                row.problems.append(
                    f"would {row.status}, but other jobs took CPU: {', '.join(noisy)}"
                )
                row.status = "NOISY"


# ------------------------------------------------------------------------------------ output

ORDER = [
    "raw_json",
    "raw_xml",
    "raw_asyncpg",
    "sqlite_ticket_json",
    "sqlite_ticket_xml",
    "sqlite_basic_json",
    "pg_ticket_json",
    "pg_basic_json",
    "raw_json_2p",
    "sqlite_ticket_json_2p",
]


def _fmt(value: float | None, spec: str) -> str:
    return "—" if value is None else format(value, spec)


def table(rows: dict[str, Row], args: argparse.Namespace) -> str:
    """The result table as fixed-width text."""
    head = (
        "row",
        "body B",
        "req/s",
        "p50 ms",
        "p99 ms",
        "ratio",
        "vs pg",
        "RSS MB",
        "PSS MB",
        "other",
    )
    lines = []
    for key in ORDER:
        row = rows.get(key)
        if row is None:
            continue
        verdict = row.status
        if row.status in {"FAIL", "ERROR", "NOISY"} and row.problems:
            verdict += ": " + "; ".join(p.splitlines()[0][:90] for p in row.problems)
        elif row.disturbed is not None and row.disturbed > args.noise:
            verdict += f" (disturbed: other jobs took {row.disturbed:.0%} of the server core)"
        lines.append(
            (
                row.label,
                str(row.body_bytes or "—"),
                _fmt(row.requests_per_s, ",.0f"),
                _fmt(row.p50_ms, ".2f"),
                _fmt(row.p99_ms, ".2f"),
                _fmt(row.ratio, ".2f"),
                _fmt(row.ratio_to_asyncpg, ".2f"),
                _fmt(row.peak_rss_mb, ".1f"),
                _fmt(row.peak_pss_mb, ".1f"),
                _fmt(row.disturbed, ".0%"),
                verdict,
            )
        )
    widths = [max(len(head[i]), *(len(line[i]) for line in lines)) for i in range(len(head))]

    def render(cells: tuple[str, ...]) -> str:
        text = [cells[0].ljust(widths[0])]
        text += [cell.rjust(width) for cell, width in zip(cells[1:], widths[1:], strict=False)]
        return "  ".join(text)

    title = (
        f"GET {TASK_PATH} — wrk -t1 -c{args.connections} -d{args.duration:g}s "
        f"(core {args.client_core}) vs granian 1 worker (core {args.server_core})"
    )
    out = [title, render(head) + "  result", "-" * (sum(widths) + 2 * len(widths) + 6)]
    out += [render(line[:-1]) + "  " + line[-1] for line in lines]
    out.append(
        f"bars: SQLite SOTicket JSON ratio ≥ {BAR_SOTICKET_JSON} and p99 ≤ {BAR_P99_MS:g} ms; "
        f"XML ≥ {BAR_XML}; Basic ≥ {BAR_BASIC}; PostgreSQL ≥ {BAR_POSTGRES} × raw asyncpg; "
        f"peak RSS (main + worker) < {BAR_RSS_MB:g} MB"
    )
    out.append(
        "ratio: req/s ÷ raw constant of the same body size; vs pg: req/s ÷ raw asyncpg lookup; "
        "RSS/PSS: peak of the sum over granian main + worker; other: share of the server's core "
        "taken by jobs outside the benchmark, plus steal"
    )
    return "\n".join(out)


def environment(ref: str | None) -> dict[str, Any]:
    """What the numbers were measured on (``ref``: the committed tree measured, else the files)."""

    def version(argv: list[str]) -> str:
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        return (done.stdout or done.stderr).splitlines()[0] if (done.stdout or done.stderr) else ""

    cpu = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    import granian  # noqa: PLC0415

    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", f"{ref or 'HEAD'}^{{commit}}"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    dirty = ref is None and bool(
        subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--", "src"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
    )
    return {
        "python": sys.version.split()[0],
        "granian": granian.__version__,
        "wrk": version(["wrk", "-v"]),
        "kernel": platform.release(),
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "loadavg_before": Path("/proc/loadavg").read_text().split()[:3],
        "source": f"git {ref} (snapshot)" if ref else "working tree",
        "git_commit": commit,
        "src_dirty": dirty,
        "batchtask_env": {k: v for k, v in os.environ.items() if k.startswith("BATCHTASK_")},
    }


def write_json(rows: dict[str, Row], args: argparse.Namespace, env: dict[str, Any]) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS_DIR / f"{stamp}.json"
    payload = {
        "timestamp": stamp,
        "args": vars(args),
        "environment": env,
        "bars": {
            "sqlite_soticket_json_ratio": BAR_SOTICKET_JSON,
            "sqlite_soticket_json_p99_ms": BAR_P99_MS,
            "sqlite_basic_json_ratio": BAR_BASIC,
            "sqlite_soticket_xml_ratio": BAR_XML,
            "postgresql_ratio_to_raw_asyncpg": BAR_POSTGRES,
            "peak_rss_mb": BAR_RSS_MB,
        },
        "rows": [asdict(rows[key]) for key in ORDER if key in rows],
        "table": table(rows, args),
    }
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    return path


# -------------------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, help="seconds per measured run (default 10)")
    parser.add_argument("--warmup", type=float, help="seconds of warm-up per row (default 2)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (32)")
    parser.add_argument("--quick", action="store_true", help="3 s runs, 1 s warm-up (smoke test)")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432"),
        help="PostgreSQL server URL without a database (BENCH_PG_URL)",
    )
    parser.add_argument("--no-postgres", action="store_true", help="skip the PostgreSQL rows")
    parser.add_argument(
        "--no-processes", action="store_true", help="skip the 2-process rows (serve --workers 2)"
    )
    parser.add_argument(
        "--noise",
        type=float,
        default=0.10,
        help="retry a run when other jobs or steal took more than this share of a core (0.10)",
    )
    parser.add_argument("--retries", type=int, default=2, help="retries of a disturbed run (2)")
    parser.add_argument(
        "--patience",
        type=float,
        default=30.0,
        help="seconds to wait for quiet cores before each run (30)",
    )
    parser.add_argument("--server-core", type=int, default=0, help="core for the server (0)")
    parser.add_argument("--client-core", type=int, default=1, help="core for wrk (1)")
    parser.add_argument(
        "--ref",
        help="measure this git revision of src/ (e.g. HEAD) instead of the working tree",
    )
    parser.add_argument("--keep-temp", action="store_true", help="keep logs and the SQLite file")
    args = parser.parse_args(argv)
    if args.duration is None:
        args.duration = 3.0 if args.quick else 10.0
    if args.warmup is None:
        args.warmup = 1.0 if args.quick else 2.0
    return args


def preflight(args: argparse.Namespace) -> None:
    missing = [tool for tool in ("wrk", "taskset") if shutil.which(tool) is None]
    if missing:
        raise SystemExit(f"missing {', '.join(missing)}: apt-get install -y wrk util-linux")
    cores = os.sched_getaffinity(0)
    if args.server_core == args.client_core or not {args.server_core, args.client_core} <= cores:
        raise SystemExit(
            f"need two distinct available cores for server and wrk, have {sorted(cores)}"
        )


@contextlib.contextmanager
def pinned(core: int) -> Iterator[None]:
    """Keep this script (and its memory sampler) off the server's core."""
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {core})
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    preflight(args)
    env = environment(args.ref)
    with pinned(args.client_core):
        rows = Bench(args).run()
    text = table(rows, args)
    print(text, flush=True)
    path = write_json(rows, args, env)
    print(f"\nresults: {path.relative_to(ROOT)}")
    return 0 if all(row.status in {"PASS", "ceiling", "SKIPPED"} for row in rows.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
