"""``WorkerRegistry`` in SQL (``sql/workers.sql``): one ``batchtask_worker`` row per worker process.

Lists of definition names and running task ids are small JSON arrays in text columns: they are
written whole at every heartbeat and only ever read whole.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from batchtask.domain.worker_info import WorkerInfo
from batchtask.storage.database import Database, Row
from batchtask.storage.queries import load


def _names(text: object) -> tuple[str, ...]:
    value = json.loads(str(text or "[]"))
    return tuple(str(item) for item in value) if isinstance(value, list) else ()


def _ids(text: object) -> tuple[int, ...]:
    value = json.loads(str(text or "[]"))
    return tuple(int(item) for item in value) if isinstance(value, list) else ()


class SqlWorkerRegistry:
    """The worker registry over one ``Database``."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._sql = load("workers", db)

    async def register(self, worker: WorkerInfo) -> None:
        """Insert or overwrite the worker's row (a restart under the same name starts afresh)."""
        db = self._db
        await self._sql.register.execute(
            db,
            worker_id=worker.id,
            host=worker.host,
            pid=worker.pid,
            version=worker.version,
            kind=worker.kind,
            started=db.ts(worker.started),
            last_heartbeat=db.ts(worker.last_heartbeat),
            lease_seconds=float(worker.lease_seconds),
            slots=worker.slots,
            busy=worker.busy,
            definitions=json.dumps(list(worker.definitions)),
            running=json.dumps(list(worker.running)),
            stopped=db.ts(worker.stopped),
        )

    async def beat(
        self, worker_id: str, *, now: datetime, busy: int, running: Sequence[int]
    ) -> None:
        """Renew the heartbeat and what the worker runs."""
        await self._sql.beat.execute(
            self._db, now=self._db.ts(now), busy=busy, running=json.dumps(sorted(running)),
            worker_id=worker_id,
        )  # fmt: skip

    async def deregister(self, worker_id: str, *, now: datetime) -> None:
        """Mark the worker stopped; it runs nothing any more."""
        await self._sql.deregister.execute(self._db, now=self._db.ts(now), worker_id=worker_id)

    async def all(self) -> list[WorkerInfo]:
        """Every registered worker, oldest start first."""
        return [self._info(row) for row in await self._sql.all.fetch(self._db)]

    async def forget(self, *, before: datetime) -> int:
        """Drop workers whose last heartbeat is older than ``before``."""
        return await self._sql.forget.execute(self._db, before=self._db.ts(before))

    def _info(self, row: Row) -> WorkerInfo:
        started = self._db.instant(row[5])
        heartbeat = self._db.instant(row[6])
        assert started is not None  # noqa: S101 - NOT NULL column
        assert heartbeat is not None  # noqa: S101 - NOT NULL column
        return WorkerInfo(
            id=row[0],
            host=row[1],
            pid=int(row[2]),
            version=row[3],
            kind=row[4],
            started=started,
            last_heartbeat=heartbeat,
            lease_seconds=float(row[7]),
            slots=int(row[8]),
            busy=int(row[9]),
            definitions=_names(row[10]),
            running=_ids(row[11]),
            stopped=self._db.instant(row[12]),
        )
