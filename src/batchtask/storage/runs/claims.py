"""Claims: up to ``limit`` due ``New`` tasks of known definitions → ``Aquired``, oldest first."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime

from batchtask.domain.errors import Conflict
from batchtask.domain.ports import Attempt, DefinitionPolicy, TaskEvent
from batchtask.domain.state import BatchTaskState
from batchtask.storage import definitions, event_log
from batchtask.storage.database import Database
from batchtask.storage.queries import load
from batchtask.storage.runs.part import Part
from batchtask.storage.task_repository import SqlTaskRepository
from batchtask.storage.task_rows import RELEASES, task_from_row

log = logging.getLogger("batchtask.storage.runs")


class Claims(Part):
    """Registering definitions and claiming their tasks."""

    def __init__(self, db: Database, tasks: SqlTaskRepository) -> None:
        super().__init__(db, tasks)
        self._claims = load("claims", db)

    async def register(
        self, policies: Sequence[DefinitionPolicy], *, now: datetime
    ) -> Mapping[str, int]:
        """Upsert definitions (description, cancellation, timeout, retry policy); ids by key."""
        return await definitions.register(self._db, policies, now=now)

    async def claim(
        self,
        definition_ids: Sequence[int],
        *,
        owner: str,
        limit: int,
        now: datetime,
        lease_expires: datetime,
    ) -> list[Attempt]:
        """Compare-and-swap up to ``limit`` due ``New`` tasks to ``Aquired``, oldest id first."""
        if not definition_ids or limit < 1:
            return []
        db, sql = self._db, self._claims
        known = db.array(list(definition_ids))
        if db.single_writer and await sql.probe.one(db, definitions=known, now=db.ts(now)) is None:
            return []
        try:
            async with db.transaction() as tx:
                rows = await sql.claim.fetch(
                    tx, definitions=known, now=tx.ts(now), limit=limit, owner=owner,
                    lease_expires=tx.ts(lease_expires),
                )  # fmt: skip
                if not rows:
                    return []
                claimed = sorted(int(row[0]) for row in rows)
                starts = {int(row[0]): int(row[1]) for row in rows}
                new, aquired, actor = BatchTaskState.New, BatchTaskState.Aquired, f"worker:{owner}"
                events = [
                    TaskEvent(task_id, now, actor, new, aquired, starts[task_id], "claimed")
                    for task_id in claimed
                ]
                await event_log.append(tx, *events)
                found = await sql.claimed_tasks.fetch(tx, task_ids=tx.array(claimed))
        except Conflict:
            # The unique claim index refused a second claim of one attempt: nothing was claimed.
            log.warning("claim refused by the claim index; retrying later", exc_info=True)
            return []
        return [
            Attempt(task=task_from_row(db, row), owner=owner, releases=int(row[RELEASES]))
            for row in found
        ]
