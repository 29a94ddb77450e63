"""Handlers of the reliability suite, loaded by worker processes through
``BATCHTASK_HANDLERS=tests.reliability.handlers``.

Effects are what a handler does to the outside world exactly once per success, so the suite can
count them: one row per ``effect_key`` in ``effects`` in the worker's own database (the one in
``BATCHTASK_DATABASE_URL``). A second insert of a key does not fail, it adds one to that row's
``duplicates``, which the tests report. Each progress text and result carries ``attempt:pid``, so
a write that came from a stale attempt can be recognised in the row.

The handlers run on the worker's event loop; SQLite writes go to a thread (``sqlite3``), so a busy
database never stalls the worker's heartbeats, and PostgreSQL writes go through one small
``asyncpg`` pool per worker process.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
from typing import Any

from batchtask.worker.context import TaskContext
from batchtask.worker.registry import definition

#: The effects table, in SQL both engines accept.
EFFECTS_DDL = (
    "CREATE TABLE IF NOT EXISTS effects (effect_key TEXT NOT NULL UNIQUE,"
    " task_id INTEGER NOT NULL, attempt INTEGER NOT NULL, pid INTEGER NOT NULL,"
    " duplicates INTEGER NOT NULL DEFAULT 0)"
)
_UPSERT = (
    "INSERT INTO effects (effect_key, task_id, attempt, pid) VALUES ({}, {}, {}, {})"
    " ON CONFLICT (effect_key) DO UPDATE SET duplicates = effects.duplicates + 1"
)
#: Seconds an effect write waits for SQLite's write lock.
_SQLITE_BUSY = 10.0

_pools: dict[str, asyncio.Task[Any]] = {}


def tag(ctx: TaskContext) -> str:
    """``attempt:pid`` of the running handler."""
    return f"{ctx.attempt}:{os.getpid()}"


async def record_effect(ctx: TaskContext, key: str) -> None:
    """Insert the effect ``key`` once (a repeat counts as a duplicate)."""
    url = os.environ["BATCHTASK_DATABASE_URL"]
    values = (key, ctx.task_id, ctx.attempt, os.getpid())
    if url.startswith("sqlite:///"):
        await asyncio.to_thread(_sqlite_effect, url[len("sqlite:///") :], values)
        return
    pool = await _pg_pool(url)
    async with pool.acquire() as conn:
        await conn.execute(_UPSERT.format("$1", "$2", "$3", "$4"), *values)


def _sqlite_effect(path: str, values: tuple[str, int, int, int]) -> None:
    conn = sqlite3.connect(path, timeout=_SQLITE_BUSY, isolation_level=None)
    try:
        conn.execute(EFFECTS_DDL)
        conn.execute(_UPSERT.format("?", "?", "?", "?"), values)
    finally:
        conn.close()


async def _pg_pool(url: str) -> Any:
    """This process's pool (created once; a failed creation is retried by the next caller)."""
    import asyncpg  # noqa: PLC0415 - only PostgreSQL workers need it

    async def create() -> Any:
        pool = await asyncpg.create_pool(url, min_size=1, max_size=4)
        # Another process may create the table at the same moment.
        async with pool.acquire() as conn:
            with contextlib.suppress(asyncpg.PostgresError):
                await conn.execute(EFFECTS_DDL)
        return pool

    task = _pools.get(url)
    if task is None or (task.done() and (task.cancelled() or task.exception() is not None)):
        task = _pools[url] = asyncio.ensure_future(create())
    return await asyncio.shield(task)


@definition("reliability.sleep_steps", max_starts=3, backoff=0.05)
async def sleep_steps(ctx: TaskContext) -> None:
    """``n`` steps of ``ms`` milliseconds, progress after each, then the effect ``effect_key``
    (default ``task-<id>``); returns early once the task is cancelled."""
    parameters = ctx.parameters
    steps = int(parameters.get("n", "4"))
    seconds = float(parameters.get("ms", "100")) / 1000
    for step in range(1, steps + 1):
        await asyncio.sleep(seconds)
        if ctx.cancelled:
            return
        ctx.progress(100 * step / steps, f"{tag(ctx)}:{step}")
    await record_effect(ctx, parameters.get("effect_key") or f"task-{ctx.task_id}")
    ctx.result(tag(ctx))


@definition("reliability.noop", max_starts=3, backoff=0.05)
async def noop(ctx: TaskContext) -> None:
    """Does nothing but record the effect ``effect_key`` when one is given."""
    key = ctx.parameters.get("effect_key")
    if key:
        await record_effect(ctx, key)


@definition("reliability.poison", max_starts=3, backoff=0.05)
async def poison(ctx: TaskContext) -> None:
    """Kills the whole worker process on every attempt."""
    os._exit(1)


@definition("reliability.poison.process", max_starts=3, backoff=0.05, isolation="process")
def poison_in_child(ctx: TaskContext) -> None:
    """Kills its own child process on every attempt (the worker survives)."""
    os._exit(1)
