"""Leases: every lease of a worker renewed in one statement, status reads, progress writes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from batchtask.domain.ports import Attempt, LeaseStatus
from batchtask.storage.database import Database
from batchtask.storage.definitions import clip
from batchtask.storage.queries import load
from batchtask.storage.runs.part import Part
from batchtask.storage.task_repository import SqlTaskRepository


class Leases(Part):
    """Heartbeats and the reads between them."""

    def __init__(self, db: Database, tasks: SqlTaskRepository) -> None:
        super().__init__(db, tasks)
        self._leases = load("leases", db)

    async def heartbeat(
        self, attempts: Sequence[Attempt], *, now: datetime, lease: float
    ) -> dict[int, LeaseStatus]:
        """Renew the leases of every held attempt in one statement (``lease`` seconds on the
        database's clock); status by task id."""
        if not attempts:
            return {}
        db = self._db
        rows = await self._leases.heartbeat.fetch(
            db,
            lease=float(lease),
            now=db.ts(now),
            fences=db.pairs([(a.task_id, a.start_count) for a in attempts]),
        )
        return statuses(attempts, {int(row[0]): row[1] is not None for row in rows})

    async def inspect(self, attempts: Sequence[Attempt]) -> dict[int, LeaseStatus]:
        """Status by task id, read only (stop requests and lost tasks between heartbeats)."""
        if not attempts:
            return {}
        db = self._db
        rows = await self._leases.inspect.fetch(
            db, task_ids=db.array([a.task_id for a in attempts])
        )
        token = {a.task_id: a.start_count for a in attempts}
        held = {int(r[0]): r[2] is not None for r in rows if token.get(int(r[0])) == int(r[1])}
        return statuses(attempts, held)

    async def progress(
        self, attempt: Attempt, percent: int, description: str, *, now: datetime
    ) -> bool:
        """Write the progress of a ``Started`` attempt (also the heartbeat column ``updated``)."""
        db = self._db
        changed = await self._leases.progress.execute(
            db,
            percent=max(0, min(100, int(percent))),
            description=clip(description, "ProgressDescription"),
            now=db.ts(now),
            task_id=attempt.task_id,
            start_count=attempt.start_count,
        )
        return changed == 1


def statuses(attempts: Sequence[Attempt], held: Mapping[int, bool]) -> dict[int, LeaseStatus]:
    """Every attempt's status from ``held`` (task id → stop requested); missing = lost."""
    out = {}
    for attempt in attempts:
        cancel = held.get(attempt.task_id)
        if cancel is None:
            out[attempt.task_id] = LeaseStatus.LOST
        else:
            out[attempt.task_id] = LeaseStatus.CANCEL_REQUESTED if cancel else LeaseStatus.HELD
    return out
