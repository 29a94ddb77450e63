"""What ``wait()`` knows about the task it follows, shared by the blocking and awaitable clients.

``wait()`` first reads the task (so a missing task is ``NotFound`` at once), then follows the
task's Server-Sent Events stream (``GET /admin/api/tasks/{id}/stream``, SPEC §10.1) and falls back
to polling ``GET BatchTask/{id}`` when the stream is not there or breaks. The follower holds the
last snapshot, reports every change to ``on_progress``, decides when the wait is over, and
remembers the stream position (``Last-Event-ID``) for reconnecting. It does no I/O itself.

A ``task`` event carries only the moving fields (State, ProgressPercent, ProgressDescription,
StartCount…); they are merged into the last full snapshot. When the task finishes, the client
reads the whole carrier once more so the returned snapshot has its Result, Response and FileName.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from enum import Enum, auto

from httpx_sse import ServerSentEvent

from batchtask.client.errors import NotFound, WaitTimeout
from batchtask.client.info import BatchTaskInfo
from batchtask.domain.state import BatchTaskState, parse_state

Until = BatchTaskState | Iterable[BatchTaskState] | None
OnProgress = Callable[[BatchTaskInfo], object] | None

#: Seconds a stream may stay silent before it is presumed dead (the server comments every 15 s).
IDLE = 20.0
#: How far a blocking stream read may run past the deadline before the stream is reopened.
SLACK = 1.0
#: Polling pauses: the first, the growth factor while nothing changes, and the longest.
FIRST_PAUSE, GROWTH, LONGEST_PAUSE = 0.1, 1.5, 1.0


class Step(Enum):
    """What the client does after a stream event."""

    CONTINUE = auto()
    #: Re-read the carrier and keep following (the stream said ``reset``).
    REFRESH = auto()
    #: The task finished: read the carrier one last time and return it.
    FINISH = auto()


class Follower:
    """The state of one ``wait()``."""

    def __init__(
        self, task_id: int, *, timeout: float | None, until: Until, on_progress: OnProgress
    ) -> None:
        if timeout is not None and timeout < 0:
            raise ValueError("timeout must be >= 0 seconds")
        self.task_id = task_id
        self.timeout = timeout
        self.deadline = None if timeout is None else time.monotonic() + timeout
        if until is None:
            self.targets: frozenset[BatchTaskState] = frozenset()
        elif isinstance(until, BatchTaskState):
            self.targets = frozenset({until})
        else:
            self.targets = frozenset(until)
        self.on_progress = on_progress
        self._last: BatchTaskInfo | None = None
        #: The ``id:`` of the last stream event, sent back as ``Last-Event-ID``.
        self.last_event_id: str | None = None
        self._pause = FIRST_PAUSE
        #: A stream event's finished state, reported once the whole carrier has been read.
        self._finished: BatchTaskInfo | None = None

    @property
    def last(self) -> BatchTaskInfo:
        """The latest snapshot (the first one is read before anything else happens)."""
        if self._last is None:
            raise RuntimeError("no snapshot seen yet")
        return self._last

    def done(self, info: BatchTaskInfo) -> bool:
        """Finished, or in one of the ``until`` states."""
        return info.state.is_finished or info.state in self.targets

    def see(self, info: BatchTaskInfo) -> bool:
        """Take a snapshot; report it when it changed; whether the wait is over."""
        before = self._last
        self._last = info
        if before is None or _moved(before, info):
            self._pause = FIRST_PAUSE
            if self.on_progress is not None:
                self.on_progress(info)
        else:
            self._pause = min(self._pause * GROWTH, LONGEST_PAUSE)
        return self.done(info)

    def remaining(self) -> float | None:
        """Seconds left before the deadline (never negative); ``None`` without a timeout."""
        return None if self.deadline is None else max(0.0, self.deadline - time.monotonic())

    def expired(self) -> bool:
        """The deadline has passed."""
        return self.deadline is not None and time.monotonic() >= self.deadline

    def timed_out(self) -> WaitTimeout:
        """The error to raise at the deadline, carrying the last snapshot."""
        return WaitTimeout(self.task_id, self.timeout or 0.0, self.last)

    def pause(self) -> float:
        """How long to sleep before the next poll (shorter right after a change)."""
        left = self.remaining()
        return self._pause if left is None else min(self._pause, left)

    def read_timeout(self) -> float:
        """The read timeout of a newly opened stream: silence past it means a dead stream."""
        left = self.remaining()
        return IDLE if left is None else min(IDLE, max(left, 0.001))

    def should_reopen(self, read_timeout: float) -> bool:
        """A blocking read of ``read_timeout`` could now run past the deadline by over ``SLACK``."""
        left = self.remaining()
        return left is not None and left + SLACK < read_timeout

    def apply(self, event: ServerSentEvent) -> Step:
        """Take one stream event."""
        if event.id:
            self.last_event_id = event.id
        if event.event == "end":
            return Step.FINISH
        if event.event == "reset":
            return Step.REFRESH
        if event.event != "task":
            return Step.CONTINUE
        try:
            data = json.loads(event.data)
        except ValueError:
            return Step.REFRESH
        if not isinstance(data, dict) or data.get("Id", self.task_id) != self.task_id:
            return Step.CONTINUE
        merged = _merge(self.last, data)
        if merged is None:
            return Step.REFRESH
        if self.done(merged):
            # Report the whole carrier (Result, LastStarted…) rather than this partial view.
            self._finished = merged
            return Step.FINISH
        return Step.FINISH if self.see(merged) else Step.CONTINUE

    def final(self, info: BatchTaskInfo | None) -> BatchTaskInfo:
        """The snapshot to return once the stream says the task finished.

        ``info`` is the carrier read after the news, ``None`` when the row is already gone (an
        internal task is deleted when it succeeds): then the last snapshot, if it was finished.
        """
        if info is not None:
            self.see(info)
            return self.last
        if self._finished is not None:
            self.see(self._finished)
        if not self.done(self.last):
            raise NotFound(404, "", f"task {self.task_id} was deleted while being waited for")
        return self.last


def _moved(before: BatchTaskInfo, after: BatchTaskInfo) -> bool:
    return (
        before.state != after.state
        or before.progress_percent != after.progress_percent
        or before.progress_description != after.progress_description
        or before.start_count != after.start_count
    )


def _merge(last: BatchTaskInfo, data: dict[str, object]) -> BatchTaskInfo | None:
    """The last snapshot with a ``task`` event's fields; ``None`` when the event is malformed."""
    try:
        state = data.get("State", last.state)
        percent = data.get("ProgressPercent", last.progress_percent)
        text = data.get("ProgressDescription", last.progress_description)
        starts = data.get("StartCount", last.start_count)
        if (
            not isinstance(state, str | int)
            or not isinstance(percent, int)
            or not isinstance(starts, int)
            or not isinstance(text, str)
        ):
            return None
        return replace(
            last,
            state=parse_state(state),
            progress_percent=percent,
            progress_description=text,
            start_count=starts,
        )
    except ValueError:
        return None
