"""``Batcher``: many attempts' writes of one kind in one statement, without waiting for a batch.

Group commit: the first write submitted starts a flush on the next turn of the event loop, so
everything submitted meanwhile (all the attempts a claim launched, all the handlers that ended
together) goes in the same statement; while a flush is in flight, new writes wait for the next
one. An idle worker's single write is sent at once; a busy worker's writes cost one round trip
per batch instead of one per task. A failed flush fails every write in it, and each caller
retries as it would a write of its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

In = TypeVar("In")
Out = TypeVar("Out")

#: Writes per statement at most (the statement's size stays bounded).
LIMIT = 256


class Batcher(Generic[In, Out]):
    """Coalesces ``submit``ted items into calls of ``write(items) -> results`` (same order)."""

    def __init__(
        self, write: Callable[[Sequence[In]], Awaitable[Sequence[Out]]], *, limit: int = LIMIT
    ) -> None:
        self._write = write
        self._limit = limit
        self._pending: list[tuple[In, asyncio.Future[Out]]] = []
        self._flusher: asyncio.Task[None] | None = None
        #: Statements sent and items written (for tests and benchmarks).
        self.flushes = 0
        self.items = 0

    async def submit(self, item: In) -> Out:
        """Write ``item`` with whatever else is pending; its result."""
        future: asyncio.Future[Out] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush(), name="batchtask-batcher")
        return await future

    async def _flush(self) -> None:
        while self._pending:
            batch, self._pending = self._pending[: self._limit], self._pending[self._limit :]
            self.flushes += 1
            self.items += len(batch)
            try:
                results = await self._write([item for item, _ in batch])
            except Exception as exc:  # every caller sees the failure and retries on its own
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)
