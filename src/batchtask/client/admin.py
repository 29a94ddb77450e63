"""``client.admin``: the admin API (``/admin/api/…``, SPEC §10.1), typed.

What the console does, as calls: search tasks with the ``$filter`` grammar, a task with its event
log, lease and allowed actions, stop / retry / delete (one or in bulk), definitions, workers,
figures, the task's file, and the live Server-Sent Events streams.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import httpx
from httpx_sse import ServerSentEvent

from batchtask.client import json_value as jv
from batchtask.client.call import AsyncSend, Call, Send, carrier, read_nothing, segment
from batchtask.client.connection import Connection
from batchtask.client.info import BatchTaskInfo
from batchtask.domain.state import BatchTaskState, parse_state

BulkAction = Literal["Stop", "Retry", "Delete"]


@dataclass(frozen=True, slots=True)
class TaskSummary:
    """One row of ``GET tasks`` (the fields every summary has; the rest is in ``raw``)."""

    id: int
    name: str
    state: BatchTaskState
    progress_percent: int
    progress_description: str
    start_count: int
    associate_id: int
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> TaskSummary:
        """Read one summary object."""
        return cls(
            id=jv.integer(data, "Id"),
            name=jv.text(data, "Name"),
            state=_state(data, "State"),
            progress_percent=jv.integer(data, "ProgressPercent"),
            progress_description=jv.text(data, "ProgressDescription"),
            start_count=jv.integer(data, "StartCount"),
            associate_id=jv.integer(data, "AssociateId"),
            raw=dict(data),
        )


@dataclass(frozen=True, slots=True)
class TaskPage:
    """One page of ``GET tasks``."""

    tasks: list[TaskSummary]
    #: How many tasks match in all.
    count: int
    #: The next page's URL, or ``None`` on the last page.
    next: str | None


@dataclass(frozen=True, slots=True)
class TaskEvent:
    """One entry of a task's event log."""

    at: datetime | None
    actor: str
    from_state: BatchTaskState | None
    to_state: BatchTaskState
    start_count: int
    reason: str


@dataclass(frozen=True, slots=True)
class Lease:
    """Which worker holds the task, until when."""

    owner: str
    expires: datetime | None


@dataclass(frozen=True, slots=True)
class TaskDetail:
    """``GET tasks/{id}``: the carrier, its history, its lease and what may be done now."""

    task: BatchTaskInfo
    events: list[TaskEvent]
    lease: Lease | None
    #: Among ``Stop``, ``Retry``, ``Delete``, ``Edit``.
    actions: list[str]


@dataclass(frozen=True, slots=True)
class Skipped:
    """A task a bulk action left alone, and why."""

    id: int
    reason: str


@dataclass(frozen=True, slots=True)
class BulkResult:
    """``POST tasks/bulk``."""

    matched: int
    done: int
    skipped: list[Skipped]


@dataclass(frozen=True, slots=True)
class Definition:
    """A task definition with its figures (``GET definitions``)."""

    name: str
    description: str
    cancellation_behaviour: str
    timeout: float
    max_starts: int
    isolation: str
    counts: dict[str, int]
    succeeded_24h: int
    failed_24h: int
    p50_ms: float
    p95_ms: float
    workers: int


@dataclass(frozen=True, slots=True)
class Worker:
    """A worker process (``GET workers``)."""

    id: str
    host: str
    pid: int
    version: str
    started: datetime | None
    last_heartbeat: datetime | None
    slots: int
    busy: int
    definitions: list[str]
    running: list[int]
    alive: bool


@dataclass(frozen=True, slots=True)
class StatsPoint:
    """One step of ``GET stats``' series."""

    at: datetime | None
    started: int
    succeeded: int
    failed: int
    waiting: int


@dataclass(frozen=True, slots=True)
class Stats:
    """``GET stats``."""

    counts: dict[str, int]
    oldest_waiting_seconds: float
    series: list[StatsPoint]


@dataclass(frozen=True, slots=True)
class StreamEvent:
    """One Server-Sent Event: ``task``, ``worker``, ``stats``, ``reset`` or ``end``."""

    event: str
    #: The change number (``Last-Event-ID`` to resume from here).
    id: str | None
    #: The JSON data, parsed (``None`` when the event carries none).
    data: Any

    @classmethod
    def of(cls, sse: ServerSentEvent) -> StreamEvent:
        """Wrap an event of the stream."""
        try:
            data = sse.json() if sse.data else None
        except ValueError:
            data = sse.data
        return cls(event=sse.event, id=sse.id or None, data=data)


def _state(data: Mapping[str, Any], key: str) -> BatchTaskState:
    value = data.get(key)
    try:
        return parse_state(value) if isinstance(value, str | int) else BatchTaskState.Unknown
    except ValueError:
        return BatchTaskState.Unknown


def _read_page(response: httpx.Response) -> TaskPage:
    body = response.json()
    return TaskPage(
        tasks=[TaskSummary.from_wire(item) for item in jv.items(body, "Tasks")],
        count=jv.integer(body, "Count"),
        next=jv.optional_text(body, "Next"),
    )


def _read_detail(response: httpx.Response) -> TaskDetail:
    body = response.json()
    lease = body.get("Lease")
    return TaskDetail(
        task=carrier(body.get("Task")),
        events=[
            TaskEvent(
                at=jv.date(item, "At"),
                actor=jv.text(item, "Actor"),
                from_state=None if item.get("From") is None else _state(item, "From"),
                to_state=_state(item, "To"),
                start_count=jv.integer(item, "StartCount"),
                reason=jv.text(item, "Reason"),
            )
            for item in jv.items(body, "Events")
        ],
        lease=Lease(jv.text(lease, "Owner"), jv.date(lease, "Expires"))
        if isinstance(lease, Mapping)
        else None,
        actions=[str(action) for action in body.get("Actions") or []],
    )


def _read_stopped(response: httpx.Response) -> bool:
    return jv.flag(response.json(), "Stopped")


def _read_task(response: httpx.Response) -> BatchTaskInfo:
    return carrier(response.json().get("Task"))


def _read_bulk(response: httpx.Response) -> BulkResult:
    body = response.json()
    return BulkResult(
        matched=jv.integer(body, "Matched"),
        done=jv.integer(body, "Done"),
        skipped=[
            Skipped(jv.integer(item, "Id"), jv.text(item, "Reason"))
            for item in jv.items(body, "Skipped")
        ],
    )


def _read_definitions(response: httpx.Response) -> list[Definition]:
    return [
        Definition(
            name=jv.text(item, "Name"),
            description=jv.text(item, "Description"),
            cancellation_behaviour=jv.text(item, "CancellationBehaviour"),
            timeout=jv.number(item, "Timeout"),
            max_starts=jv.integer(item, "MaxStarts"),
            isolation=jv.text(item, "Isolation"),
            counts=jv.counts(item, "Counts"),
            succeeded_24h=jv.integer(item, "Succeeded24h"),
            failed_24h=jv.integer(item, "Failed24h"),
            p50_ms=jv.number(item, "P50Ms"),
            p95_ms=jv.number(item, "P95Ms"),
            workers=jv.integer(item, "Workers"),
        )
        for item in _array(response)
    ]


def _read_workers(response: httpx.Response) -> list[Worker]:
    return [
        Worker(
            id=str(item.get("Id", "")),
            host=jv.text(item, "Host"),
            pid=jv.integer(item, "Pid"),
            version=jv.text(item, "Version"),
            started=jv.date(item, "Started"),
            last_heartbeat=jv.date(item, "LastHeartbeat"),
            slots=jv.integer(item, "Slots"),
            busy=jv.integer(item, "Busy"),
            definitions=[str(name) for name in item.get("Definitions") or []],
            running=jv.integers(item, "Running"),
            alive=jv.flag(item, "Alive"),
        )
        for item in _array(response)
    ]


def _read_stats(response: httpx.Response) -> Stats:
    body = response.json()
    return Stats(
        counts=jv.counts(body, "Counts"),
        oldest_waiting_seconds=jv.number(body, "OldestWaitingSeconds"),
        series=[
            StatsPoint(
                at=jv.date(item, "At"),
                started=jv.integer(item, "Started"),
                succeeded=jv.integer(item, "Succeeded"),
                failed=jv.integer(item, "Failed"),
                waiting=jv.integer(item, "Waiting"),
            )
            for item in jv.items(body, "Series")
        ],
    )


def _read_bytes(response: httpx.Response) -> bytes:
    return response.content


def _array(response: httpx.Response) -> list[Mapping[str, Any]]:
    return jv.items({"items": response.json()}, "items")


class AdminCalls:
    """Builders of the admin calls under one tenant's ``/admin/api``."""

    def __init__(self, admin: str) -> None:
        self.base = admin

    def tasks(
        self, filter: str | None, q: str | None, order_by: str | None, top: int, skip: int
    ) -> Call[TaskPage]:
        params: dict[str, str | int] = {"top": top, "skip": skip}
        for key, value in (("filter", filter), ("q", q), ("orderby", order_by)):
            if value:
                params[key] = value
        return Call("GET", f"{self.base}/tasks", _read_page, params=params)

    def task(self, task_id: int) -> Call[TaskDetail]:
        return Call("GET", f"{self.base}/tasks/{segment(task_id)}", _read_detail)

    def stop(self, task_id: int) -> Call[bool]:
        return Call("POST", f"{self.base}/tasks/{segment(task_id)}/stop", _read_stopped)

    def retry(self, task_id: int) -> Call[BatchTaskInfo]:
        return Call("POST", f"{self.base}/tasks/{segment(task_id)}/retry", _read_task)

    def delete(self, task_id: int) -> Call[None]:
        return Call("DELETE", f"{self.base}/tasks/{segment(task_id)}", read_nothing)

    def bulk(
        self,
        action: BulkAction,
        ids: Sequence[int] | None,
        filter: str | None,
        dry_run: bool,
    ) -> Call[BulkResult]:
        if (ids is None) == (filter is None):
            raise ValueError("give either ids or filter")
        body: dict[str, Any] = {"Action": action, "DryRun": dry_run}
        if ids is not None:
            body["Ids"] = list(ids)
        else:
            body["Filter"] = filter
        return Call("POST", f"{self.base}/tasks/bulk", _read_bulk, json=body)

    def definitions(self) -> Call[list[Definition]]:
        return Call("GET", f"{self.base}/definitions", _read_definitions)

    def workers(self) -> Call[list[Worker]]:
        return Call("GET", f"{self.base}/workers", _read_workers)

    def stats(self, window: int, step: int) -> Call[Stats]:
        params = {"window": window, "step": step}
        return Call("GET", f"{self.base}/stats", _read_stats, params=params)

    def file(self, task_id: int) -> Call[bytes]:
        return Call("GET", f"{self.base}/tasks/{segment(task_id)}/file", _read_bytes)

    def stream_path(self, task_id: int | None) -> str:
        if task_id is None:
            return f"{self.base}/stream"
        return f"{self.base}/tasks/{segment(task_id)}/stream"


Events = Callable[[str, str | None], Iterator[ServerSentEvent]]
AsyncEvents = Callable[[str, str | None], AsyncIterator[ServerSentEvent]]


class Admin:
    """The admin API, blocking (``Client.admin``)."""

    def __init__(self, send: Send, conn: Connection, events: Events) -> None:
        self._send = send
        self._events = events
        self._calls = AdminCalls(conn.routes.admin)

    def tasks(
        self,
        filter: str | None = None,
        q: str | None = None,
        order_by: str | None = None,
        top: int = 50,
        skip: int = 0,
    ) -> TaskPage:
        """Search tasks: ``filter`` in the ``$filter`` grammar, ``q`` free text (top ≤ 500)."""
        return self._send(self._calls.tasks(filter, q, order_by, top, skip))

    def task(self, id: int) -> TaskDetail:
        """A task with its event log, lease and the actions allowed now."""
        return self._send(self._calls.task(id))

    def stop(self, id: int) -> bool:
        """Stop a task (SPEC §8.4 rules); whether it was stopped."""
        return self._send(self._calls.stop(id))

    def retry(self, id: int) -> BatchTaskInfo:
        """Send a finished task back to ``New``; :class:`Conflict` when it is not finished."""
        return self._send(self._calls.retry(id))

    def delete(self, id: int) -> None:
        """Delete a task."""
        self._send(self._calls.delete(id))

    def bulk(
        self,
        action: BulkAction,
        *,
        ids: Sequence[int] | None = None,
        filter: str | None = None,
        dry_run: bool = False,
    ) -> BulkResult:
        """Stop, retry or delete the tasks named by ``ids`` or matching ``filter``."""
        return self._send(self._calls.bulk(action, ids, filter, dry_run))

    def definitions(self) -> list[Definition]:
        """Every task definition with its figures."""
        return self._send(self._calls.definitions())

    def workers(self) -> list[Worker]:
        """Every worker process, alive or recently gone."""
        return self._send(self._calls.workers())

    def stats(self, window: int = 3600, step: int = 60) -> Stats:
        """Counts per state, the oldest wait, and a series over ``window`` seconds."""
        return self._send(self._calls.stats(window, step))

    def file(self, id: int) -> bytes:
        """The file a task produced."""
        return self._send(self._calls.file(id))

    def stream(
        self, task_id: int | None = None, *, last_event_id: str | None = None
    ) -> Iterator[StreamEvent]:
        """Live events of every task the caller may read, or of one task (ends after ``end``)."""
        for sse in self._events(self._calls.stream_path(task_id), last_event_id):
            yield StreamEvent.of(sse)


class AsyncAdmin:
    """The admin API, awaitable (``AsyncClient.admin``); the same methods as :class:`Admin`."""

    def __init__(self, send: AsyncSend, conn: Connection, events: AsyncEvents) -> None:
        self._send = send
        self._events = events
        self._calls = AdminCalls(conn.routes.admin)

    async def tasks(
        self,
        filter: str | None = None,
        q: str | None = None,
        order_by: str | None = None,
        top: int = 50,
        skip: int = 0,
    ) -> TaskPage:
        """Search tasks: ``filter`` in the ``$filter`` grammar, ``q`` free text (top ≤ 500)."""
        return await self._send(self._calls.tasks(filter, q, order_by, top, skip))

    async def task(self, id: int) -> TaskDetail:
        """A task with its event log, lease and the actions allowed now."""
        return await self._send(self._calls.task(id))

    async def stop(self, id: int) -> bool:
        """Stop a task (SPEC §8.4 rules); whether it was stopped."""
        return await self._send(self._calls.stop(id))

    async def retry(self, id: int) -> BatchTaskInfo:
        """Send a finished task back to ``New``; :class:`Conflict` when it is not finished."""
        return await self._send(self._calls.retry(id))

    async def delete(self, id: int) -> None:
        """Delete a task."""
        await self._send(self._calls.delete(id))

    async def bulk(
        self,
        action: BulkAction,
        *,
        ids: Sequence[int] | None = None,
        filter: str | None = None,
        dry_run: bool = False,
    ) -> BulkResult:
        """Stop, retry or delete the tasks named by ``ids`` or matching ``filter``."""
        return await self._send(self._calls.bulk(action, ids, filter, dry_run))

    async def definitions(self) -> list[Definition]:
        """Every task definition with its figures."""
        return await self._send(self._calls.definitions())

    async def workers(self) -> list[Worker]:
        """Every worker process, alive or recently gone."""
        return await self._send(self._calls.workers())

    async def stats(self, window: int = 3600, step: int = 60) -> Stats:
        """Counts per state, the oldest wait, and a series over ``window`` seconds."""
        return await self._send(self._calls.stats(window, step))

    async def file(self, id: int) -> bytes:
        """The file a task produced."""
        return await self._send(self._calls.file(id))

    async def stream(
        self, task_id: int | None = None, *, last_event_id: str | None = None
    ) -> AsyncIterator[StreamEvent]:
        """Live events of every task the caller may read, or of one task (ends after ``end``)."""
        async for sse in self._events(self._calls.stream_path(task_id), last_event_id):
            yield StreamEvent.of(sse)
