"""What the worker registry knows about one worker process (SPEC §10.1 ``GET workers``).

Every worker — embedded in ``serve`` or a standalone ``batchtask worker`` — writes one row when it
starts, renews it at every heartbeat and marks it stopped when it shuts down cleanly. A row whose
heartbeat is older than the worker's lease belongs to a worker that crashed or hangs: it is shown
with ``Alive`` false, and forgotten a day later.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

#: How long a silent or stopped worker stays in the registry.
FORGET_AFTER = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class WorkerInfo:
    """One registered worker process."""

    #: The worker's lease owner name (``host:pid:random``), also its actor in the event log.
    id: str
    host: str
    pid: int
    version: str
    #: ``embedded`` (inside ``serve``) or ``standalone`` (``batchtask worker``).
    kind: str
    started: datetime
    last_heartbeat: datetime
    #: The worker's lease: a heartbeat older than this means it is gone.
    lease_seconds: float
    slots: int
    busy: int
    definitions: tuple[str, ...]
    running: tuple[int, ...]
    #: When it deregistered (clean shutdown); ``None`` while it runs.
    stopped: datetime | None = None

    def alive(self, now: datetime) -> bool:
        """Running and heard from within its lease."""
        if self.stopped is not None:
            return False
        return now - self.last_heartbeat <= timedelta(seconds=self.lease_seconds)
