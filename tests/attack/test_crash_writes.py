"""Suite G — kill -9 the API process during POSTs, 40 times on each engine.

A real ``batchtask serve`` (granian and its worker) takes ``POST /api/v1/BatchTask`` from four
concurrent clients; after a random 50–300 ms (seeded) the worker and the supervisor get SIGKILL
while requests are in flight, and a new server starts on the same database. Every POST that was
acknowledged (a 200 with an id) must be there after the restarts with exactly what was sent, and
nothing may be half-written: every task in the database is one that some client sent (its
``Description`` names a sent request) with all of that request's fields, whether or not its
answer arrived before the kill. SQLite's ``PRAGMA integrity_check`` must say ``ok``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import sqlite3
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.attack.stack import DEEP, ServerImage, Stack, start_stack
from tests.reliability.conftest import ENGINES
from tests.reliability.processes import Child, ServeProcess, descendants

pytestmark = pytest.mark.e2e

KILLS = 40
WRITERS = 4


@pytest.fixture(params=ENGINES)
def stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """A server per engine (replaced after every kill)."""
    yield from start_stack(request.param, request, tmp_path_factory)


def body(writer: int, serial: int) -> dict[str, Any]:
    """What one POST sends; its ``Description`` names it."""
    return {
        "Name": "batchtask.sleep",
        "Description": f"w{writer}-{serial}",
        "Request": f"request of w{writer}-{serial} " + "x" * 200,
        "ParameterObject": {"seconds": str(serial % 7), "writer": str(writer)},
    }


def kill_hard(server: ServeProcess) -> None:
    """SIGKILL the worker(s) first (they hold the requests), then the supervisor; reap them."""
    for pid in [*descendants(server.pid), server.pid]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    Child.stop(server)  # reaps (and would SIGKILL anything left), never a graceful SIGTERM


async def writer(
    base: str, auth: dict[str, str], number: int, serials: Iterator[int],
    sent: dict[str, dict[str, Any]], acknowledged: dict[str, int], stop: asyncio.Event,
) -> None:  # fmt: skip
    """POST one task after another until the server dies (or ``stop``)."""
    async with httpx.AsyncClient(base_url=base, timeout=10) as client:
        while not stop.is_set():
            data = body(number, next(serials))
            sent[data["Description"]] = data
            try:
                answer = await client.post("/api/v1/BatchTask", json=data, headers=auth)
            except httpx.HTTPError:
                return
            if answer.status_code != 200:
                raise AssertionError(f"{answer.status_code} {answer.text}")
            acknowledged[data["Description"]] = int(answer.json())


async def round_of_writes(
    stack: Stack, rng: random.Random, serials: Iterator[int],
    sent: dict[str, dict[str, Any]], acknowledged: dict[str, int],
) -> None:  # fmt: skip
    """Writers against the live server, SIGKILL at a random instant, wait for them to notice."""
    stop = asyncio.Event()
    auth = stack.auth("alice")
    writers = [
        asyncio.create_task(writer(stack.base, auth, n, serials, sent, acknowledged, stop))
        for n in range(WRITERS)
    ]
    await asyncio.sleep(rng.uniform(0.05, 0.3))  # sleep-ok: the kill instant (chaos), no verdict
    kill_hard(stack.server)
    stop.set()
    await asyncio.wait_for(asyncio.gather(*writers), 30)


def every_task(stack: Stack) -> list[dict[str, Any]]:
    """Every task in the database: ids from the admin API's list, each read whole by the admin."""
    tasks: list[dict[str, Any]] = []
    with httpx.Client(base_url=stack.base, timeout=30, headers=stack.auth("admin")) as client:
        ids: list[int] = []
        while True:
            answer = client.get("/admin/api/tasks", params={"top": "500", "skip": str(len(ids))})
            assert answer.status_code == 200, answer.text
            page = answer.json()
            ids += [row["Id"] for row in page["Tasks"]]
            if len(ids) >= page["Count"] or not page["Tasks"]:
                break
        for task in ids:
            answer = client.get(f"/api/v1/BatchTask/{task}")
            assert answer.status_code == 200, answer.text
            tasks.append(answer.json())
    return tasks


def test_acknowledged_posts_survive_kill_minus_nine(stack: Stack) -> None:
    """40 SIGKILLs during POSTs: every acknowledged task is there, nothing is half-written."""
    rng = random.Random(20261128)
    serials = iter(range(10**9))
    sent: dict[str, dict[str, Any]] = {}
    acknowledged: dict[str, int] = {}
    kills = KILLS * (3 if DEEP else 1)
    start = time.monotonic()
    for _ in range(kills):
        asyncio.run(round_of_writes(stack, rng, serials, sent, acknowledged))
        stack.server = ServerImage(stack.database, **stack.settings)
        asyncio.run(stack.server.ready())
    tasks = every_task(stack)
    found = {task["Description"]: task for task in tasks}
    lost = [name for name in acknowledged if name not in found]
    wrong_id = [name for name, id_ in acknowledged.items() if name in found
                and found[name]["Id"] != id_]  # fmt: skip
    strangers = [name for name in found if name not in sent]
    half = [
        name for name, task in found.items() if name in sent and (
            task["Name"] != sent[name]["Name"] or task["Request"] != sent[name]["Request"]
            or task["ParameterObject"] != sent[name]["ParameterObject"]
            or task["State"] != "New"
        )
    ]  # fmt: skip
    unacknowledged = len(found) - len([name for name in acknowledged if name in found])
    print(f"G {kills} kills in {time.monotonic() - start:.0f} s: {len(sent)} POSTs sent,"
          f" {len(acknowledged)} acknowledged, {len(found)} in the database"
          f" ({unacknowledged} committed but unanswered), lost {len(lost)},"
          f" half-written {len(half)}")  # fmt: skip
    assert len(acknowledged) > kills
    assert lost == []
    assert wrong_id == []
    assert strangers == []
    assert half == []
    assert len(found) == len(tasks)  # no Description twice: no POST was committed twice
    if stack.database.startswith("sqlite:///"):
        with sqlite3.connect(stack.database.removeprefix("sqlite:///")) as connection:
            assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
