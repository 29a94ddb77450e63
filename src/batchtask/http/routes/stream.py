"""``GET /admin/api/stream`` and ``GET /admin/api/tasks/{id}/stream``: the live stream (SSE).

The response is its own ASGI callable because a stream must end in three ways a plain
streaming response cannot tell apart: the client went away (``http.disconnect``), the hub dropped
the subscriber because it fell behind (the pending write is cancelled even if the client never
reads again — nothing waits on a slow socket), or the one-task stream reached ``end``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from batchtask.domain.change import TaskChange
from batchtask.domain.errors import InvalidInput
from batchtask.domain.stats import QueueStats
from batchtask.domain.worker_info import WorkerInfo
from batchtask.http.routes.batch_task import caller, options_for, path_id
from batchtask.i18n.translator import Translator
from batchtask.serialisation import admin as shapes
from batchtask.serialisation.sse import KEEPALIVE, RETRY, frame
from batchtask.services.container import Services
from batchtask.services.live import LiveEvent, LiveHub, Subscriber

#: Seconds without an event after which a comment is sent.
KEEPALIVE_AFTER = 15.0


def render(event: LiveEvent, text: Translator, now: Callable[[], object]) -> bytes:
    """The event's bytes in this translator's language (cached on the event per language)."""
    cached = event.rendered.get(text.language)
    if cached is not None:
        return cached
    value = event.value
    if isinstance(value, TaskChange):
        body = frame(event.kind, shapes.task_event(value, text), event.id)
    elif isinstance(value, WorkerInfo):
        body = frame("worker", shapes.worker(value, now()))  # type: ignore[arg-type]
    elif isinstance(value, QueueStats):
        body = frame("stats", shapes.stats(value))
    else:
        body = frame(event.kind, {})
    event.rendered[text.language] = body
    return body


class EventStream(Response):
    """A ``text/event-stream`` answer fed by one hub subscriber."""

    def __init__(
        self,
        hub: LiveHub,
        subscriber: Subscriber,
        first: list[LiveEvent],
        text: Translator,
        ctx: Services,
        *,
        one_task: bool,
    ) -> None:
        super().__init__(status_code=200)
        self._hub = hub
        self._subscriber = subscriber
        self._first = first
        self._text = text
        self._ctx = ctx
        self._one_task = one_task
        self._last_id = 0
        self._closed = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"text/event-stream; charset=utf-8"),
                    (b"cache-control", b"no-store"),
                    (b"x-accel-buffering", b"no"),
                ],
            }
        )
        writer = asyncio.create_task(self._write(send))
        gone = asyncio.create_task(_disconnected(receive))
        dropped = asyncio.create_task(self._subscriber.ended.wait())
        try:
            done, _ = await asyncio.wait(
                {writer, gone, dropped}, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            self._closed = True
            self._hub.unsubscribe(self._subscriber)
            for task in (writer, gone, dropped):
                task.cancel()
            # A writer stuck on a client that stopped reading may not end now (servers do not
            # always let a pending write be cancelled); returning with the response unfinished
            # makes the server close the connection, which frees the write, and the writer
            # then sees it is closed and ends.
            await asyncio.wait({writer, gone, dropped}, timeout=1.0)
        if writer in done and not writer.cancelled() and writer.exception() is None:
            await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _write(self, send: Send) -> None:
        await self._chunk(send, RETRY)
        for event in self._first:
            if await self._deliver(send, event):
                return
        queue = self._subscriber.queue
        while not self._closed:
            try:
                event = await asyncio.wait_for(queue.get(), KEEPALIVE_AFTER)
            except TimeoutError:
                await self._chunk(send, KEEPALIVE)
                continue
            if await self._deliver(send, event):
                return

    async def _deliver(self, send: Send, event: LiveEvent) -> bool:
        """Write one event; ``True`` when the one-task stream has ended."""
        if event.kind == "task" and event.id is not None:
            if event.id <= self._last_id:
                return False  # already covered by a snapshot or the replay
            self._last_id = event.id
        await self._chunk(send, render(event, self._text, self._ctx.clock.now))
        change = event.value
        if not self._one_task or not isinstance(change, TaskChange):
            return False
        if not change.deleted and not (change.state is not None and change.state.is_finished):
            return False
        final = await self._hub.ending(change)
        await self._chunk(send, frame("end", shapes.task_event(final, self._text), event.id))
        return True

    async def _chunk(self, send: Send, body: bytes) -> None:
        await send({"type": "http.response.body", "body": body, "more_body": True})
        if self._closed:  # closed while the write was pending
            raise asyncio.CancelledError


async def _disconnected(receive: Receive) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return


def last_event_id(request: Request) -> int | None:
    """``Last-Event-ID`` (or ``?lastEventId=``): a change number; anything else is a 400."""
    raw = request.headers.get("last-event-id") or request.query_params.get("lastEventId")
    if raw is None or not raw.strip():
        return None
    text = raw.strip()
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        raise InvalidInput("Last-Event-ID must be a change number", field="Last-Event-ID")
    return int(text)


async def stream(request: Request) -> Response:
    """Every task the caller may read, workers, and stats every few seconds."""
    ctx, principal = await caller(request)
    resume = last_event_id(request)
    text = options_for(request, ctx, carrier_select=False).translator
    subscriber, first = await ctx.live.subscribe(principal, last_event_id=resume)
    return EventStream(ctx.live, subscriber, first, text, ctx, one_task=False)


async def task_stream(request: Request) -> Response:
    """One task: its current state at once, every change, then ``end`` when it finishes."""
    ctx, principal = await caller(request)
    task_id = path_id(request)
    resume = last_event_id(request)
    text = options_for(request, ctx, carrier_select=False).translator
    await ctx.tasks.get(principal, task_id)  # 404 before any stream starts
    subscriber, first = await ctx.live.subscribe(principal, task_id=task_id, last_event_id=resume)
    try:
        mark = await ctx.store.changes.latest()
        task, _ = await ctx.tasks.get(principal, task_id)
    except BaseException:
        ctx.live.unsubscribe(subscriber)
        raise
    first.append(ctx.live.snapshot(task, mark))
    return EventStream(ctx.live, subscriber, first, text, ctx, one_task=True)
