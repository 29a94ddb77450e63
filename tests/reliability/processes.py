"""Real ``batchtask`` processes for the reliability suite, signalled by exact PID and always reaped.

Every wait here has a wall-clock cap. :meth:`Child.stop` sends ``SIGCONT`` (a frozen process
cannot die) and ``SIGKILL`` to the one PID it started, then waits for it, so no test leaves a
process behind whatever it asserted. Nothing is ever signalled by name or pattern.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]
BATCHTASK = [sys.executable, "-m", "batchtask"]
HANDLERS = "tests.reliability.handlers"


def environment(database: str, **settings: str) -> dict[str, str]:
    """The environment of a child: no inherited ``BATCHTASK_*``, the repository importable, the
    reliability handlers loaded, and ``settings`` as ``BATCHTASK_<NAME>``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("BATCHTASK_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env["BATCHTASK_DATABASE_URL"] = database
    env["BATCHTASK_HANDLERS"] = HANDLERS
    env.update({f"BATCHTASK_{name.upper()}": value for name, value in settings.items()})
    return env


def cli(database: str, *args: str) -> str:
    """Run one ``batchtask`` command to completion; its stdout."""
    done = subprocess.run(
        [*BATCHTASK, *args], env=environment(database), cwd=REPO, capture_output=True,
        text=True, timeout=60, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise AssertionError(f"batchtask {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


class Child:
    """One child process whose combined output a thread collects."""

    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            command, env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True,
        )  # fmt: skip
        self.pid = self.process.pid
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        """Everything it printed so far."""
        return "".join(self.lines)

    @property
    def alive(self) -> bool:
        """It has not exited (a stopped process is alive)."""
        return self.process.poll() is None

    def signal(self, signum: int) -> None:
        """Send ``signum`` to this exact PID (unless it was already reaped)."""
        if self.process.poll() is None:
            os.kill(self.pid, signum)

    async def exited(self, seconds: float) -> int:
        """Its exit code, waiting at most ``seconds``."""
        deadline = time.monotonic() + seconds
        while (code := self.process.poll()) is None:
            if time.monotonic() > deadline:
                raise AssertionError(f"process {self.pid} still running after {seconds:g} s")
            await asyncio.sleep(0.01)
        return code

    def stop(self) -> None:
        """Kill it and its descendants if it still runs, reap it and close its output."""
        if self.process.poll() is None:
            for pid in [self.pid, *descendants(self.pid)]:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGCONT)
                    os.kill(pid, signal.SIGKILL)
        self.process.wait(10)
        self._reader.join(5)
        # Closing the pipe while the reader thread still reads it would block forever.
        if self.process.stdout is not None and not self._reader.is_alive():
            self.process.stdout.close()


def descendants(pid: int) -> list[int]:
    """The PIDs of every living descendant of ``pid``, read from ``/proc``."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            for child in (task / "children").read_text().split():
                found += [int(child), *descendants(int(child))]
    return found


class WorkerProcess(Child):
    """``batchtask worker`` with the reliability handlers."""

    def __init__(
        self,
        database: str,
        *,
        concurrency: int = 4,
        lease: float = 2.0,
        heartbeat: float = 0.5,
        grace: float | None = None,
        **settings: str,
    ) -> None:
        args = ["--concurrency", str(concurrency), "--lease", str(lease)]
        args += ["--heartbeat", str(heartbeat)]
        if grace is not None:
            args += ["--grace", str(grace)]
        settings = {"poll_interval": "0.1", "cancel_grace": "0.5", **settings}
        super().__init__([*BATCHTASK, "worker", *args], environment(database, **settings))

    async def ready(self, seconds: float = 30) -> WorkerProcess:
        """Wait until it has registered its definitions and claims."""
        deadline = time.monotonic() + seconds
        while not any(" ready (" in line for line in self.lines):
            if not self.alive or time.monotonic() > deadline:
                raise AssertionError(f"worker {self.pid} did not start:\n{self.output}")
            await asyncio.sleep(0.02)
        return self

    @property
    def owner(self) -> str:
        """Its lease owner name (``host:pid:random``), once ready."""
        line = next(line for line in self.lines if " ready (" in line)
        return line.split()[1]


def free_port() -> int:
    """A free loopback port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServeProcess(Child):
    """``batchtask serve --no-worker`` on a free loopback port (``settings`` as in
    :func:`environment`)."""

    def __init__(self, database: str, *, port: int | None = None, **settings: str) -> None:
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = environment(database, **{"cookie_secure": "false", **settings})
        command = [*BATCHTASK, "serve", "--port", str(self.port), "--no-worker"]
        super().__init__(command, env)

    async def ready(self, seconds: float = 30) -> ServeProcess:
        """Wait until ``/healthz`` answers 200."""
        deadline = time.monotonic() + seconds
        async with httpx.AsyncClient(base_url=self.base, timeout=1) as client:
            while True:
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get("/healthz")).status_code == 200:
                        return self
                if not self.alive or time.monotonic() > deadline:
                    raise AssertionError(f"serve {self.pid} did not start:\n{self.output}")
                await asyncio.sleep(0.1)

    def stop(self) -> None:
        """SIGTERM first, so granian stops its own worker process; then make sure."""
        if self.alive:
            self.signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(10)
        super().stop()


@dataclass
class Kill:
    """One chaos kill."""

    pid: int
    at: float


@dataclass
class Fleet:
    """A fixed number of worker slots; chaos kills one at random and restarts it."""

    start: Callable[[], WorkerProcess]
    size: int
    slots: list[WorkerProcess] = field(default_factory=list)
    #: Every process this fleet started, for output and clean-up.
    started: list[WorkerProcess] = field(default_factory=list)
    kills: list[Kill] = field(default_factory=list)
    #: PIDs of workers that died on their own and were restarted by :meth:`supervise`.
    deaths: list[int] = field(default_factory=list)

    def spawn(self) -> WorkerProcess:
        """Start one more worker (not waiting for it)."""
        worker = self.start()
        self.started.append(worker)
        return worker

    async def up(self) -> None:
        """Start every slot and wait until all are ready."""
        self.slots = [self.spawn() for _ in range(self.size)]
        for worker in self.slots:
            await worker.ready()

    async def chaos(
        self,
        *,
        kills: int,
        every: float,
        restart_after: float,
        seed: int,
        done: Callable[[], bool],
        cap: float,
    ) -> None:
        """``SIGKILL`` a random slot every ``every`` seconds and restart it ``restart_after``
        later, ``kills`` times, stopping early when ``done()`` or after ``cap`` seconds."""
        rng = random.Random(seed)
        deadline = time.monotonic() + cap
        for _ in range(kills):
            await asyncio.sleep(every)
            if done() or time.monotonic() > deadline:
                return
            slot = rng.randrange(self.size)
            victim = self.slots[slot]
            victim.signal(signal.SIGKILL)
            self.kills.append(Kill(victim.pid, time.monotonic()))
            await victim.exited(10)
            await asyncio.sleep(restart_after)
            self.slots[slot] = self.spawn()

    async def supervise(
        self, *, restart_after: float, done: Callable[[], bool], cap: float
    ) -> None:
        """Restart any slot whose worker died, ``restart_after`` seconds later, until ``done()``
        or for at most ``cap`` seconds."""
        deadline = time.monotonic() + cap
        while not done() and time.monotonic() < deadline:
            for slot, worker in enumerate(self.slots):
                if not worker.alive:
                    self.deaths.append(worker.pid)
                    await asyncio.sleep(restart_after)
                    self.slots[slot] = self.spawn()
            await asyncio.sleep(0.05)

    @property
    def output(self) -> str:
        """The output of every process, each under its PID."""
        return "\n".join(f"--- worker {w.pid}\n{w.output}" for w in self.started)

    def stop(self) -> None:
        """Kill and reap every process the fleet started."""
        for worker in self.started:
            worker.stop()
