"""Changes of tasks as the live stream sees them (SPEC §10.1 ``stream``).

Every visible change of a task row (created, state, progress, texts, stop requested, deleted)
appends one numbered row to a change log, written by database triggers, so changes made by any
process — API, worker, CLI, another tool — are seen by every API process. The number is the SSE
``id:``: a client that reconnects with ``Last-Event-ID`` is sent every task changed since, in its
current state.
"""

from __future__ import annotations

from dataclasses import dataclass

from batchtask.domain.state import BatchTaskState


@dataclass(frozen=True, slots=True)
class TaskChange:
    """One change-log row joined with the task's current state (``state`` None: deleted)."""

    change_id: int
    task_id: int
    associate_id: int
    name: str
    #: ``None`` when the task no longer exists.
    state: BatchTaskState | None
    progress_percent: int = 0
    progress_description: str = ""
    start_count: int = 0

    @property
    def deleted(self) -> bool:
        """The task is gone (deleted, purged, or an internal task that succeeded)."""
        return self.state is None


@dataclass(frozen=True, slots=True)
class ChangePage:
    """Change-log rows after a cursor, and what the database says about unfinished writers.

    On PostgreSQL change numbers come from a sequence, so a number can be taken by a transaction
    that commits after a higher one: a gap may still fill. ``in_flight_below`` is the snapshot's
    first unassigned transaction id when the page was read, ``finished_below`` the oldest running
    one: once ``finished_below`` reaches the ``in_flight_below`` seen with a gap, every writer that
    could fill it has ended. SQLite writers commit in number order, so both are 0 there.
    """

    changes: tuple[TaskChange, ...]
    in_flight_below: int = 0
    finished_below: int = 0


#: Changes the log keeps; a ``Last-Event-ID`` older than that gets ``event: reset``.
KEEP_CHANGES = 100_000
