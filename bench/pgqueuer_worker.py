"""A pgqueuer worker running the same no-op job, for ``runtime_bench.py``'s anchor row.

Usage (started by the benchmark, one process per worker)::

    python bench/pgqueuer_worker.py POSTGRES_URL BATCH_SIZE

pgqueuer (``pip install -e '.[bench]'``) is a bench-only dependency: batchtask never imports it.
The worker connects with asyncpg, registers the entrypoint ``noop`` that does nothing, prints
``ready`` and dequeues with ``batch_size`` until SIGTERM. The idle poll is 0.5 s, as batchtask's.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from datetime import timedelta

import asyncpg
from pgqueuer import AsyncpgDriver, Job, Queries, QueueManager


async def main(url: str, batch_size: int) -> None:
    """Work until SIGTERM."""
    connection = await asyncpg.connect(url)
    manager = QueueManager(Queries(AsyncpgDriver(connection)))

    @manager.entrypoint("noop")
    async def noop(job: Job) -> None:
        """Nothing: the benchmark measures the queue around the job."""

    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, manager.shutdown.set)
    print("ready", flush=True)
    try:
        await manager.run(dequeue_timeout=timedelta(seconds=0.5), batch_size=batch_size)
    finally:
        await connection.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
