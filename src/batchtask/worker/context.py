"""``TaskContext``: everything a handler sees of its task (SPEC §8.1).

A handler reads ``parameters``, reports ``progress(percent, text)``, checks ``cancelled``
cooperatively, sets its ``result(text)`` and asks for ``file(name)`` paths. The context only
records; the worker decides when to write. Progress reaches the database at most about twice a
second per task, and the last value always lands with the final state.

The context is thread-safe: sync handlers call it from their own thread while the worker reads it
on the event loop. In a child process (``isolation="process"``) the same class runs with a sink
that ships :meth:`TaskContext.snapshot` to the parent, which :meth:`TaskContext.apply`-s it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from batchtask.domain.task import FIELD_LENGTHS, BatchTask


class Flag(Protocol):
    """Something that is set once (``threading.Event`` in-process)."""

    def is_set(self) -> bool:
        """Whether it is set."""
        ...


@dataclass(frozen=True, slots=True)
class TaskInfo:
    """The picklable facts about the task a handler runs."""

    task_id: int
    name: str
    parameters: Mapping[str, str]
    associate_id: int
    start_count: int

    @classmethod
    def of(cls, task: BatchTask) -> TaskInfo:
        """The facts of a claimed task."""
        return cls(task.id, task.name, dict(task.parameters), task.associate_id, task.start_count)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What a handler has reported so far."""

    progress: tuple[int, str] | None
    result: str | None
    file_name: str | None
    manual_cleanup: bool


class TaskContext:
    """The handler's window on its task."""

    def __init__(
        self,
        info: TaskInfo,
        *,
        files_dir: Path,
        cancel_flag: Flag | None = None,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        self.info = info
        self._files_dir = files_dir
        self._cancel_flag: Flag = cancel_flag if cancel_flag is not None else threading.Event()
        self._on_change = on_change
        self._lock = threading.Lock()
        self._progress: tuple[int, str] | None = None
        self._unsent = False
        self._result: str | None = None
        self._file_name: str | None = None
        self._manual_cleanup = False

    @property
    def task_id(self) -> int:
        """The task's Id."""
        return self.info.task_id

    @property
    def name(self) -> str:
        """The definition name."""
        return self.info.name

    @property
    def parameters(self) -> dict[str, str]:
        """The ParameterObject (a copy: changing it changes nothing)."""
        return dict(self.info.parameters)

    @property
    def associate_id(self) -> int:
        """Who owns the task (0 for system tasks)."""
        return self.info.associate_id

    @property
    def attempt(self) -> int:
        """Which attempt this is (the task's StartCount)."""
        return self.info.start_count

    @property
    def cancelled(self) -> bool:
        """True once the task was stopped, timed out or must be handed back: return soon."""
        return self._cancel_flag.is_set()

    def progress(self, percent: float, text: str = "") -> None:
        """Report progress: ``percent`` 0..100 (clamped) and a short text (≤ 254 characters)."""
        value = (
            max(0, min(100, round(percent))),
            _cut(str(text), FIELD_LENGTHS["ProgressDescription"]),
        )
        with self._lock:
            self._progress = value
            self._unsent = True
        self._changed()

    def result(self, text: str) -> None:
        """Set the task's Result (what it returns to whoever started it)."""
        with self._lock:
            self._result = str(text)
        self._changed()

    def file(self, name: str) -> Path:
        """A path for the task's output file ``name``; it becomes the task's FileName.

        Files live in ``<files_dir>/<task id>/<name>``; ``name`` is a plain file name.
        """
        if (
            not name
            or name in {".", ".."}
            or any(char in name for char in "/\\\0")
            or len(name) > FIELD_LENGTHS["FileName"]
        ):
            raise ValueError(f"not a plain file name: {name!r}")
        folder = self._files_dir / str(self.task_id)
        folder.mkdir(parents=True, exist_ok=True)
        with self._lock:
            self._file_name = name
        self._changed()
        return folder / name

    def manual_cleanup(self) -> None:
        """End as ``SucceededManualCleanup``: the task's data is cleaned up by its owner."""
        with self._lock:
            self._manual_cleanup = True
        self._changed()

    # -- the worker's side -------------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        """Everything reported so far."""
        with self._lock:
            return Snapshot(self._progress, self._result, self._file_name, self._manual_cleanup)

    def take_progress(self) -> tuple[int, str] | None:
        """The progress reported since the last call, if any."""
        with self._lock:
            if not self._unsent:
                return None
            self._unsent = False
            return self._progress

    def apply(self, snapshot: Snapshot) -> None:
        """Take over what a handler in a child process reported."""
        with self._lock:
            if snapshot.progress is not None and snapshot.progress != self._progress:
                self._progress = snapshot.progress
                self._unsent = True
            self._result = snapshot.result
            self._file_name = snapshot.file_name
            self._manual_cleanup = snapshot.manual_cleanup
        self._changed()

    def _changed(self) -> None:
        if self._on_change is not None:
            self._on_change()


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
