"""Claims: many due ``New`` tasks of known definitions → ``Aquired`` per statement, oldest first,
no plain owner beyond its share of the claimer's slots."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime

from batchtask.domain.errors import Conflict
from batchtask.domain.ports import Attempt, DefinitionPolicy, OwnerShare
from batchtask.domain.task import SYSTEM_ASSOCIATE
from batchtask.storage import definitions
from batchtask.storage.database import Database
from batchtask.storage.queries import load
from batchtask.storage.runs.part import Part
from batchtask.storage.task_repository import SqlTaskRepository
from batchtask.storage.task_rows import RELEASES, task_from_row

log = logging.getLogger("batchtask.storage.runs")

#: Candidates a claim looks at per task it may take (owners over their share are skipped first).
SCAN_FACTOR = 4


def claim_plan(
    limit: int, share: OwnerShare | None
) -> tuple[list[int], list[tuple[int, int]], int]:
    """(owners with no room, [owner, room] of owners the claimer holds, room of anyone else).

    The system owner is never capped; without a share nobody is.
    """
    if share is None:
        return [], [(SYSTEM_ASSOCIATE, limit)], limit
    rooms = {
        owner: max(0, share.cap - held)
        for owner, held in share.held.items()
        if owner != SYSTEM_ASSOCIATE
    }
    rooms[SYSTEM_ASSOCIATE] = limit
    full = sorted(owner for owner, room in rooms.items() if room == 0)
    return full, sorted(rooms.items()), min(limit, share.cap)


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
        lease: float,
        share: OwnerShare | None = None,
    ) -> list[Attempt]:
        """Compare-and-swap up to ``limit`` due ``New`` tasks to ``Aquired``, oldest id first."""
        if not definition_ids or limit < 1:
            return []
        db, sql = self._db, self._claims
        known = db.array(list(definition_ids))
        if db.single_writer and await sql.probe.one(db, definitions=known, now=db.ts(now)) is None:
            return []
        full, rooms, room = claim_plan(limit, share)
        try:
            rows = await sql.claim.fetch(
                db, definitions=known, now=db.ts(now), full=db.array(full), scan=limit * SCAN_FACTOR,
                rooms=db.pairs(rooms), room=room, limit=limit, owner=owner,
                actor=f"worker:{owner}", lease=float(lease),
            )  # fmt: skip
        except Conflict:
            # The unique claim index refused a second claim of one attempt: nothing was claimed.
            log.warning("claim refused by the claim index; retrying later", exc_info=True)
            return []
        attempts = [
            Attempt(task=task_from_row(db, row), owner=owner, releases=int(row[RELEASES]))
            for row in rows
        ]
        return sorted(attempts, key=lambda attempt: attempt.task_id)
