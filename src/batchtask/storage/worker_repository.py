"""``WorkerRegistry`` in SQL: one ``batchtask_worker`` row per worker process.

Lists of definition names and running task ids are small JSON arrays in text columns: they are
written whole at every heartbeat and only ever read whole.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from batchtask.domain.worker_info import WorkerInfo
from batchtask.storage.database import Database, Row

_COLUMNS = (
    "worker_id, host, pid, version, kind, started, last_heartbeat, lease_seconds, slots, busy,"
    " definitions, running, stopped"
)


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

    async def register(self, worker: WorkerInfo) -> None:
        """Insert or overwrite the worker's row (a restart under the same name starts afresh)."""
        db = self._db
        await db.execute(
            f"INSERT INTO batchtask_worker ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (worker_id) DO UPDATE SET host = excluded.host, pid = excluded.pid,"
            " version = excluded.version, kind = excluded.kind, started = excluded.started,"
            " last_heartbeat = excluded.last_heartbeat, lease_seconds = excluded.lease_seconds,"
            " slots = excluded.slots, busy = excluded.busy, definitions = excluded.definitions,"
            " running = excluded.running, stopped = excluded.stopped",
            worker.id,
            worker.host,
            worker.pid,
            worker.version,
            worker.kind,
            db.ts(worker.started),
            db.ts(worker.last_heartbeat),
            float(worker.lease_seconds),
            worker.slots,
            worker.busy,
            json.dumps(list(worker.definitions)),
            json.dumps(list(worker.running)),
            db.ts(worker.stopped),
        )

    async def beat(
        self, worker_id: str, *, now: datetime, busy: int, running: Sequence[int]
    ) -> None:
        """Renew the heartbeat and what the worker runs."""
        await self._db.execute(
            "UPDATE batchtask_worker SET last_heartbeat = ?, busy = ?, running = ?"
            " WHERE worker_id = ?",
            self._db.ts(now),
            busy,
            json.dumps(sorted(running)),
            worker_id,
        )

    async def deregister(self, worker_id: str, *, now: datetime) -> None:
        """Mark the worker stopped; it runs nothing any more."""
        await self._db.execute(
            "UPDATE batchtask_worker SET stopped = ?, last_heartbeat = ?, busy = 0,"
            " running = '[]' WHERE worker_id = ?",
            self._db.ts(now),
            self._db.ts(now),
            worker_id,
        )

    async def all(self) -> list[WorkerInfo]:
        """Every registered worker, oldest start first."""
        rows = await self._db.fetch(
            f"SELECT {_COLUMNS} FROM batchtask_worker ORDER BY started, worker_id"
        )
        return [self._info(row) for row in rows]

    async def forget(self, *, before: datetime) -> int:
        """Drop workers whose last heartbeat is older than ``before``."""
        return await self._db.execute(
            "DELETE FROM batchtask_worker WHERE last_heartbeat < ?", self._db.ts(before)
        )

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
