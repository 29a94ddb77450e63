"""Where a request's time goes: py-spy on the batchtask worker under the ``http_bench`` load.

Usage::

    python bench/profile_get.py [--engine sqlite|postgresql] [--scheme SOTicket|Basic]
                                [--accept json|xml] [--duration 10] [--py-spy PATH] [--svg OUT]

Sets up a database exactly as ``http_bench.py`` does, starts ``batchtask serve`` pinned to core 0,
warms up, then runs wrk (core 1) while ``py-spy record`` samples the granian worker. Prints the
frames with the most samples of their own ("self") and the most samples below them ("total"),
as a share of all samples, and optionally writes a flame graph. The numbers from this run are not
benchmark results: sampling slows the server down.

py-spy is not a project dependency: ``pip install py-spy`` (any environment) and pass ``--py-spy``
when it is not on PATH. It needs ptrace rights over the worker (root, or
``kernel.yama.ptrace_scope=0``).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from pathlib import Path

from http_bench import (
    JSON_ACCEPT,
    TASK_PATH,
    XML_ACCEPT,
    Database,
    cli,
    pg_admin,
    pinned,
    prepare,
    run_wrk,
    source_env,
    start_batchtask,
)


def frame_name(frame: str, *, lines: bool = False) -> str:
    """``fn (/…/site-packages/pkg/mod.py:12)`` → ``fn (pkg/mod.py)`` (``:12`` kept with ``lines``)."""
    if not lines:
        frame = re.sub(r":\d+\)$", ")", frame)
    for marker in ("site-packages/", "/src/", "/lib/python3.", "/lib/python"):
        if marker in frame:
            head, _, tail = frame.partition(" (")
            path = tail.split(marker, 1)[-1]
            if marker == "/lib/python3.":
                path = path.split("/", 1)[-1]
            return f"{head} ({path}"
    return frame


def area(frame: str) -> str:
    """Where a frame's code lives: ``batchtask.storage``, ``starlette``, ``json``, …"""
    path = frame.rpartition(" (")[2].rstrip(")")
    if path.startswith("<"):
        return "generated (dataclasses)"
    parts = path.split("/")
    if len(parts) == 1 and not path.endswith(".py"):
        return "unresolved (py-spy could not read the frame)"
    if parts[0] == "batchtask" and len(parts) > 2:
        return f"batchtask.{parts[1]}"
    if parts[0].endswith(".py"):
        return parts[0][:-3]
    return parts[0]


def summarise(collapsed: Path, top: int, *, lines: bool = False) -> str:
    """Self and total shares of the frames in a py-spy ``--format raw`` (collapsed) file.

    Granian resumes request coroutines from Rust, so many stacks start at the ASGI app rather than
    at the event loop: "total" is reliable for the request path (``batchtask`` frames, listed
    alone) but not for the loop and server frames above it. Time in granian's Rust threads has no
    Python stack and is not sampled at all.
    """
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    by_area: Counter[str] = Counter()
    samples = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [frame_name(f, lines=lines) for f in stack.split(";")]
        # py-spy puts the thread name first; the process and thread frames are not code.
        frames = [f for f in frames if not f.startswith(("process ", "thread "))]
        if not frames:
            continue
        samples += count
        own[frames[-1]] += count
        by_area[area(frames[-1])] += count
        for frame in set(frames):
            total[frame] += count
    if not samples:
        return "no samples (is the worker busy, and may py-spy attach to it?)"

    def share(n: int) -> str:
        return f"{100 * n / samples:5.1f}%"

    out = [f"{samples} samples", "", "self time by area:"]
    out += [f"  {share(n)}  {name}" for name, n in by_area.most_common()]
    out += ["", f"top {top} frames by self time:"]
    out += [f"  {share(n)}  {name}" for name, n in own.most_common(top)]
    ours = Counter({k: v for k, v in total.items() if "(batchtask/" in k})
    out += ["", f"top {top} batchtask frames by total time (self + callees):"]
    out += [f"  {share(n)}  {name}" for name, n in ours.most_common(top)]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--scheme", choices=["SOTicket", "Basic"], default="SOTicket")
    parser.add_argument("--accept", choices=["json", "xml"], default="json")
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rate", type=int, default=200, help="py-spy samples per second")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--py-spy", default=shutil.which("py-spy") or "py-spy")
    parser.add_argument("--svg", help="also write a flame graph here")
    parser.add_argument("--collapsed", help="keep py-spy's collapsed stacks in this file")
    parser.add_argument("--lines", action="store_true", help="one entry per line, not function")
    parser.add_argument(
        "--pg-url", default=os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432")
    )
    parser.add_argument("--ref", help="profile this git revision of src/ (e.g. HEAD)")
    parser.add_argument("--server-core", type=int, default=0)
    parser.add_argument("--client-core", type=int, default=1)
    args = parser.parse_args(argv)
    if shutil.which(args.py_spy) is None and not Path(args.py_spy).exists():
        raise SystemExit("py-spy not found: pip install py-spy, then pass --py-spy PATH")

    work = Path(tempfile.mkdtemp(prefix="batchtask-profile-"))
    env = source_env(args.ref, work)
    pg_name = f"bench_profile_{os.getpid()}"
    if args.engine == "sqlite":
        db = Database("sqlite", f"sqlite:///{work / 'bench.db'}")
    else:
        db = Database("postgresql", f"{args.pg_url.rstrip('/')}/{pg_name}")
    accept = JSON_ACCEPT if args.accept == "json" else XML_ACCEPT
    created = False
    try:
        with pinned(args.client_core):
            if args.engine == "postgresql":
                pg_admin(args.pg_url, f'CREATE DATABASE "{pg_name}"')
                created = True
                cli("db", "upgrade", "--database", db.url, env=env)
            prepare(db, core=args.server_core, env=env, work=work)
            server = start_batchtask(db, core=args.server_core, env=env, work=work)
            try:
                headers = db.headers(args.scheme, accept)
                url = server.url + TASK_PATH

                def load(seconds: float) -> None:
                    result = run_wrk(
                        url,
                        headers,
                        seconds=seconds,
                        connections=args.connections,
                        core=args.client_core,
                    )
                    print(
                        f"wrk: {result.requests_per_s:,.0f} req/s, p50 {result.p50_ms:.2f} ms, "
                        f"p99 {result.p99_ms:.2f} ms (under py-spy: not a benchmark result)"
                        + (f"; {'; '.join(result.errors)}" if result.errors else ""),
                        file=sys.stderr,
                    )

                load(args.warmup)
                worker = server.worker_pid()
                collapsed = Path(args.collapsed) if args.collapsed else work / "profile.txt"
                spy = [args.py_spy, "record", "--pid", str(worker), "--rate", str(args.rate)]
                spy += ["--duration", f"{max(1, int(args.duration))}", "--nonblocking"]
                recordings = [("raw", str(collapsed))]
                if args.svg:
                    recordings.append(("flamegraph", args.svg))
                # One load run covers every recording (py-spy writes one format per run).
                seconds = len(recordings) * (args.duration + 1) + 1
                loader = threading.Thread(target=load, args=(seconds,))
                loader.start()
                for form, out in recordings:
                    subprocess.run([*spy, "--format", form, "-o", out], check=True)
                loader.join()
                print(
                    f"py-spy on worker {worker}: {args.engine} {args.scheme} {args.accept}, "
                    f"{args.connections} connections"
                )
                print(summarise(collapsed, args.top, lines=args.lines))
            finally:
                server.stop()
    finally:
        if created:
            pg_admin(args.pg_url, f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
