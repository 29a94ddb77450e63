"""Handlers for the worker tests; module-level so a spawned child process can import them."""

from __future__ import annotations

import os
import threading
import time

from batchtask.worker.context import TaskContext
from batchtask.worker.errors import TaskFailed
from batchtask.worker.registry import definition


@definition("test.process", isolation="process", max_starts=1)
def in_child(ctx: TaskContext) -> None:
    """Reports its pid, then waits for ``seconds`` unless stopped (and ignores the stop when
    ``stubborn`` is set, so the worker has to kill it)."""
    ctx.progress(50, f"pid {os.getpid()}")
    stubborn = ctx.parameters.get("stubborn") == "1"
    deadline = time.monotonic() + float(ctx.parameters.get("seconds", "0"))
    while time.monotonic() < deadline:
        if ctx.cancelled and not stubborn:
            return
        time.sleep(0.01)
    if ctx.parameters.get("exit"):
        os._exit(int(ctx.parameters["exit"]))
    ctx.result(f"done in {os.getpid()}")


@definition("test.process.async", isolation="process", max_starts=1)
async def in_child_async(ctx: TaskContext) -> None:
    """An async handler in a child process."""
    ctx.progress(10, "async child")
    ctx.result("async child done")


@definition("test.thread")
def in_thread(ctx: TaskContext) -> None:
    """A sync handler: runs in a worker thread, writes a file, may ask for manual cleanup."""
    path = ctx.file("out.txt")
    path.write_text(threading.current_thread().name)
    if ctx.parameters.get("manual") == "1":
        ctx.manual_cleanup()
    ctx.result("thread done")


#: Set by a test to let ``ignores_stop`` end; ``STUBBORN_ENDED`` is set just before it returns.
STUBBORN_RELEASE = threading.Event()
STUBBORN_ENDED = threading.Event()


@definition("test.stubborn.thread")
def ignores_stop(ctx: TaskContext) -> None:
    """Ignores ``cancelled`` until the test sets ``STUBBORN_RELEASE`` (at most ``seconds``)."""
    STUBBORN_RELEASE.wait(float(ctx.parameters.get("seconds", "1")))
    STUBBORN_ENDED.set()


@definition("test.boom", max_starts=3, backoff=0.01)
async def boom(ctx: TaskContext) -> None:
    """Fails every attempt with a transient error."""
    raise RuntimeError(f"boom on attempt {ctx.attempt}")


@definition("test.fatal", max_starts=3, backoff=0.01)
async def fatal(ctx: TaskContext) -> None:
    """Fails for good on the first attempt."""
    raise TaskFailed("bad parameters")


@definition("test.chatty")
async def chatty(ctx: TaskContext) -> None:
    """Reports progress 200 times within about a second."""
    import asyncio  # noqa: PLC0415

    for i in range(1, 201):
        ctx.progress(i / 2, f"{i}")
        await asyncio.sleep(0.005)


@definition("test.slow", timeout=0.3)
async def slow(ctx: TaskContext) -> None:
    """Never finishes within its 0.3 s timeout (and ignores ``cancelled``)."""
    import asyncio  # noqa: PLC0415

    await asyncio.sleep(30)
