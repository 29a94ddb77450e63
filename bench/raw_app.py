"""Raw ASGI ceilings for ``http_bench.py``: the least work an ASGI app can do per request.

Two apps, configured by environment variables:

``app``
    Answers every request with a constant body of ``BENCH_BODY_SIZE`` bytes. It is the ceiling of
    what the HTTP server, the ASGI bridge and one Python worker can deliver for a body that size.

``pg_app``
    Does one ``asyncpg`` pool ``fetchrow`` by primary key on the ``batchtask`` table
    (``BENCH_PG_DSN``, row ``BENCH_PG_TASK_ID``, default 1) and then answers like ``app``. It is
    the ceiling of a PostgreSQL-backed endpoint: one round trip per request and nothing else. The
    pool is sized like batchtask's (``min_size=1``, ``max_size=BENCH_PG_POOL_SIZE``, default 10).

Both send the same ``content-type`` (``BENCH_CONTENT_TYPE``) and ``vary`` headers as batchtask, so
only the work behind the response differs, not its size on the wire.

Run as a script (``python bench/raw_app.py``), it serves ``BENCH_APP`` (``app`` or ``pg_app``) on
``BENCH_PORT`` under granian with exactly the settings ``batchtask serve`` uses: ASGI interface,
one worker, no websockets, no access log, a 10 s header read timeout.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

VARY = b"Accept, Accept-Language, SO-Language, SO-Culture, SO-TimeZone"

BODY_SIZE = int(os.environ.get("BENCH_BODY_SIZE", "3697"))
CONTENT_TYPE = os.environ.get("BENCH_CONTENT_TYPE", "application/json; charset=utf-8").encode()
BODY = (b"x" * BODY_SIZE)[:BODY_SIZE]
START = {
    "type": "http.response.start",
    "status": 200,
    "headers": [
        (b"content-type", CONTENT_TYPE),
        (b"vary", VARY),
        (b"content-length", str(BODY_SIZE).encode("ascii")),
    ],
}
BODY_MESSAGE = {"type": "http.response.body", "body": BODY, "more_body": False}

PG_SQL = "SELECT * FROM batchtask WHERE batchtask_id = $1"


async def _lifespan(
    receive: Receive, send: Send, startup: Any = None, shutdown: Any = None
) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            if startup is not None:
                await startup()
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            if shutdown is not None:
                await shutdown()
            await send({"type": "lifespan.shutdown.complete"})
            return


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    """Constant body, no work."""
    if scope["type"] == "http":
        await send(START)
        await send(BODY_MESSAGE)
    elif scope["type"] == "lifespan":
        await _lifespan(receive, send)


class _Pool:
    pool: Any = None


async def _open_pool() -> None:
    import asyncpg  # noqa: PLC0415 - only the PostgreSQL variant needs the driver

    _Pool.pool = await asyncpg.create_pool(
        os.environ["BENCH_PG_DSN"],
        min_size=1,
        max_size=int(os.environ.get("BENCH_PG_POOL_SIZE", "10")),
        command_timeout=30,
    )


async def _close_pool() -> None:
    if _Pool.pool is not None:
        await _Pool.pool.close()


PG_TASK_ID = int(os.environ.get("BENCH_PG_TASK_ID", "1"))


async def pg_app(scope: Scope, receive: Receive, send: Send) -> None:
    """One primary-key lookup through the pool, then the constant body."""
    if scope["type"] == "http":
        row = await _Pool.pool.fetchrow(PG_SQL, PG_TASK_ID)
        if row is None:
            await send({"type": "http.response.start", "status": 404, "headers": []})
            await send({"type": "http.response.body", "body": b""})
            return
        await send(START)
        await send(BODY_MESSAGE)
    elif scope["type"] == "lifespan":
        await _lifespan(receive, send, _open_pool, _close_pool)


def main() -> None:
    """Serve ``BENCH_APP`` on ``BENCH_HOST:BENCH_PORT`` the way ``batchtask serve`` does."""
    from granian.constants import Interfaces  # noqa: PLC0415
    from granian.http import HTTP1Settings  # noqa: PLC0415
    from granian.server import Server  # noqa: PLC0415

    name = os.environ.get("BENCH_APP", "app")
    if name not in {"app", "pg_app"}:
        raise SystemExit(f"BENCH_APP must be app or pg_app, not {name!r}")
    Server(
        f"raw_app:{name}",
        address=os.environ.get("BENCH_HOST", "127.0.0.1"),
        port=int(os.environ.get("BENCH_PORT", "8000")),
        interface=Interfaces.ASGI,
        workers=int(os.environ.get("BENCH_WORKERS", "1")),
        websockets=False,
        log_access=False,
        http1_settings=HTTP1Settings(header_read_timeout=10_000),
    ).serve()


if __name__ == "__main__":
    main()
