"""``TaskRepository`` in SQL, written once for both engines.

A task is read with one statement: the row, its definition (Name, CancellationBehaviour) and its
ParameterObject blob (through the BinaryObjectLink of link type 6), so the hot ``GET`` costs a single
primary-key lookup.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from batchtask.domain.archive import RestrictionType, find_column
from batchtask.domain.archive_query import ArchiveQuery, ArchiveRow
from batchtask.domain.clock import SystemClock
from batchtask.domain.ports import TaskEvent, TaskFilter
from batchtask.domain.state import BatchTaskState, CancellationBehaviour
from batchtask.domain.task import (
    BATCH_TASK_TABLE,
    BINARY_OBJECT_TABLE,
    BLOB_LINK_BATCH_TASK,
    BatchTask,
    NewTask,
    TaskOutcome,
    TaskUpdate,
)
from batchtask.storage.database import Database, Row
from batchtask.storage.filter_sql import COLUMN_SQL, bind, compile_filter, compile_order_by

TASK_COLUMNS = """
    t.batchtask_id, COALESCE(d.name, ''), t.registered_associate_id, t.detailstable,
    t.detailsrecord, t.isinternal, b.binarydata, t.laststarted, t.registered, t.startcount,
    t.dbtag, t.context, t.result, t.state, t.description, t.response, t.request,
    t.progressdescription, t.progresspercent, t.filename, COALESCE(d.cancellation_behaviour, 0),
    t.updated, t.batchtaskdefinition_id, t.lease_owner, t.lease_expires, t.cancel_requested,
    t.run_after
"""
TASK_FROM = f"""
    FROM batchtask t
    LEFT JOIN batchtaskdefinition d ON d.batchtaskdefinition_id = t.batchtaskdefinition_id
    LEFT JOIN binaryobjectlink l
        ON l.ownertable = {BATCH_TASK_TABLE} AND l.ownerrecord = t.batchtask_id
        AND l.linktype = {BLOB_LINK_BATCH_TASK} AND l.rank = 0
    LEFT JOIN binaryobject b ON b.binaryobject_id = l.binaryobjectid
"""
SELECT_TASK = f"SELECT {TASK_COLUMNS} {TASK_FROM} WHERE t.batchtask_id = ?"

_STATES = {member.value: member for member in BatchTaskState}
_CANCELLATION = {member.value: member for member in CancellationBehaviour}


def decode_parameters(blob: object) -> dict[str, str]:
    """The ParameterObject dictionary stored in a BinaryObject (UTF-8 JSON object)."""
    if blob is None:
        return {}
    assert isinstance(blob, bytes | memoryview)  # noqa: S101 - BLOB/BYTEA column
    return dict(_decoded(bytes(blob)))


@lru_cache(maxsize=1024)
def _decoded(blob: bytes) -> tuple[tuple[str, str], ...]:
    """Decoded blobs, remembered: the same task is read far more often than it is written."""
    data = json.loads(blob)
    return tuple((str(key), str(value)) for key, value in data.items())


def encode_parameters(parameters: dict[str, str]) -> bytes:
    """The BinaryObject blob of a ParameterObject."""
    return json.dumps(parameters, ensure_ascii=False, separators=(",", ":")).encode()


def task_from_row(db: Database, row: Row) -> BatchTask:
    """Map one ``SELECT_TASK`` row."""
    created = db.instant(row[8])
    assert created is not None  # noqa: S101 - NOT NULL column
    return BatchTask(
        id=row[0],
        name=row[1],
        associate_id=row[2],
        details_table=row[3],
        details_record=row[4],
        is_internal=bool(row[5]),
        parameters=decode_parameters(row[6]),
        last_started=db.instant(row[7]),
        created=created,
        start_count=row[9],
        database_serial_number=row[10],
        context=row[11],
        result=row[12],
        state=_STATES.get(row[13], BatchTaskState.Unknown),
        description=row[14],
        response=row[15],
        request=row[16],
        progress_description=row[17],
        progress_percent=row[18],
        file_name=row[19],
        cancellation_behaviour=_CANCELLATION.get(row[20], CancellationBehaviour.CanCancel),
        updated=db.instant(row[21]),
        definition_id=row[22],
        lease_owner=row[23],
        lease_expires=db.instant(row[24]),
        cancel_requested=db.instant(row[25]),
        run_after=db.instant(row[26]),
    )


async def append_event(db: Database, event: TaskEvent) -> None:
    """Append one line to the task event log (inside the caller's transaction)."""
    await db.execute(
        "INSERT INTO batchtask_event"
        " (batchtask_id, at, actor, from_state, to_state, startcount, reason, source)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        event.task_id,
        db.ts(event.at),
        event.actor,
        None if event.from_state is None else int(event.from_state),
        int(event.to_state),
        event.start_count,
        event.reason,
        event.source,
    )


async def definition_id(
    db: Database, name: str, now: datetime, cancellation: CancellationBehaviour
) -> int:
    """The id of the definition called ``name``, created lazily as SuperOffice does."""
    key = name.casefold()
    row = await db.fetchrow(
        "SELECT batchtaskdefinition_id FROM batchtaskdefinition WHERE name_key = ?", key
    )
    if row is not None:
        return int(row[0])
    await db.execute(
        "INSERT INTO batchtaskdefinition"
        " (name, name_key, cancellation_behaviour, registered, updated)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (name_key) DO NOTHING",
        name,
        key,
        int(cancellation),
        db.ts(now),
        db.ts(now),
    )
    row = await db.fetchrow(
        "SELECT batchtaskdefinition_id FROM batchtaskdefinition WHERE name_key = ?", key
    )
    assert row is not None  # noqa: S101 - inserted or present just above
    return int(row[0])


class SqlTaskRepository:
    """Tasks, their definitions, parameter blobs and event log."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, task_id: int) -> BatchTask | None:
        """The task with this id, or ``None``."""
        row = await self._db.fetchrow(SELECT_TASK, task_id)
        return None if row is None else task_from_row(self._db, row)

    async def create(
        self,
        new: NewTask,
        *,
        now: datetime,
        actor: str,
        default_cancellation: CancellationBehaviour = CancellationBehaviour.CanCancel,
        source: str = "",
    ) -> int:
        """Store a ``New`` task, its definition (lazily) and its ParameterObject blob."""
        async with self._db.transaction() as db:
            definition = await definition_id(db, new.name, now, default_cancellation)
            details_table, details_record = new.details_table, new.details_record
            blob_id = None
            if new.parameters:
                blob = encode_parameters(new.parameters)
                row = await db.fetchrow(
                    "INSERT INTO binaryobject (conceptualtype, mimetype, originalsize, blobsize,"
                    " binarydata, registered, registered_associate_id, updated)"
                    " VALUES ('StringDictionary', 'application/json', ?, ?, ?, ?, ?, ?)"
                    " RETURNING binaryobject_id",
                    len(blob),
                    len(blob),
                    blob,
                    db.ts(now),
                    new.associate_id,
                    db.ts(now),
                )
                assert row is not None  # noqa: S101 - RETURNING
                blob_id = int(row[0])
                details_table, details_record = BINARY_OBJECT_TABLE, blob_id
            row = await db.fetchrow(
                "INSERT INTO batchtask (batchtaskdefinition_id, description, dbtag, state,"
                " detailstable, detailsrecord, request, registered, registered_associate_id,"
                " updated, updated_associate_id, filename, context, isinternal)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING batchtask_id",
                definition,
                new.description,
                new.database_serial_number,
                int(BatchTaskState.New),
                details_table,
                details_record,
                new.request,
                db.ts(now),
                new.associate_id,
                db.ts(now),
                new.associate_id,
                new.file_name,
                new.context,
                db.flag(new.is_internal),
            )
            assert row is not None  # noqa: S101 - RETURNING
            task_id = int(row[0])
            if blob_id is not None:
                await db.execute(
                    "INSERT INTO binaryobjectlink (binaryobjectid, ownertable, ownerrecord,"
                    " linktype, rank, registered, registered_associate_id, updated)"
                    " VALUES (?, ?, ?, ?, 0, ?, ?, ?)",
                    blob_id,
                    BATCH_TASK_TABLE,
                    task_id,
                    BLOB_LINK_BATCH_TASK,
                    db.ts(now),
                    new.associate_id,
                    db.ts(now),
                )
            await append_event(
                db,
                TaskEvent(task_id, now, actor, None, BatchTaskState.New, 0, "created", source),
            )
        return task_id

    async def update(
        self, task_id: int, update: TaskUpdate, *, now: datetime, actor: str, source: str = ""
    ) -> BatchTask | None:
        """Change State, Description, Response and/or Request; log a state change."""
        async with self._db.transaction() as db:
            lock = " FOR UPDATE" if db.dialect == "postgres" else ""
            row = await db.fetchrow(
                f"SELECT state, startcount FROM batchtask WHERE batchtask_id = ?{lock}", task_id
            )
            if row is None:
                return None
            before = _STATES.get(row[0], BatchTaskState.Unknown)
            await db.execute(
                "UPDATE batchtask SET state = COALESCE(?, state),"
                " description = COALESCE(?, description), response = COALESCE(?, response),"
                " request = COALESCE(?, request), updated = ?, updatedcount = updatedcount + 1"
                " WHERE batchtask_id = ?",
                None if update.state is None else int(update.state),
                update.description,
                update.response,
                update.request,
                db.ts(now),
                task_id,
            )
            if update.state is not None and update.state != before:
                await append_event(
                    db,
                    TaskEvent(task_id, now, actor, before, update.state, row[1], "updated", source),
                )
        return await self.get(task_id)

    async def record_outcome(
        self, task_id: int, outcome: TaskOutcome, *, now: datetime, actor: str, reason: str = ""
    ) -> bool:
        """Write what an executor reports (unfenced); log a state change."""
        async with self._db.transaction() as db:
            lock = " FOR UPDATE" if db.dialect == "postgres" else ""
            row = await db.fetchrow(
                f"SELECT state, startcount FROM batchtask WHERE batchtask_id = ?{lock}", task_id
            )
            if row is None:
                return False
            before = _STATES.get(row[0], BatchTaskState.Unknown)
            await db.execute(
                "UPDATE batchtask SET state = COALESCE(?, state),"
                " startcount = COALESCE(?, startcount), laststarted = COALESCE(?, laststarted),"
                " progresspercent = COALESCE(?, progresspercent),"
                " progressdescription = COALESCE(?, progressdescription),"
                " result = COALESCE(?, result), response = COALESCE(?, response),"
                " filename = COALESCE(?, filename), updated = ?, updatedcount = updatedcount + 1"
                " WHERE batchtask_id = ?",
                None if outcome.state is None else int(outcome.state),
                outcome.start_count,
                db.ts(outcome.last_started),
                outcome.progress_percent,
                outcome.progress_description,
                outcome.result,
                outcome.response,
                outcome.file_name,
                db.ts(now),
                task_id,
            )
            if outcome.state is not None and outcome.state != before:
                start_count = row[1] if outcome.start_count is None else outcome.start_count
                await append_event(
                    db, TaskEvent(task_id, now, actor, before, outcome.state, start_count, reason)
                )
        return True

    async def delete(
        self, task_ids: Sequence[int], *, now: datetime, actor: str, source: str = ""
    ) -> int:
        """Delete tasks with their ParameterObject blobs and links; log each deletion."""
        if not task_ids:
            return 0
        async with self._db.transaction() as db:
            members, args = db.in_list(list(task_ids))
            rows = await db.fetch(
                f"SELECT batchtask_id, state, startcount FROM batchtask WHERE batchtask_id {members}",
                *args,
            )
            if not rows:
                return 0
            found = [int(row[0]) for row in rows]
            members, args = db.in_list(found)
            links = await db.fetch(
                "SELECT binaryobjectid FROM binaryobjectlink"
                f" WHERE ownertable = {BATCH_TASK_TABLE} AND linktype = {BLOB_LINK_BATCH_TASK}"
                f" AND ownerrecord {members}",
                *args,
            )
            await db.execute(
                f"DELETE FROM binaryobjectlink WHERE ownertable = {BATCH_TASK_TABLE}"
                f" AND linktype = {BLOB_LINK_BATCH_TASK} AND ownerrecord {members}",
                *args,
            )
            if links:
                blob_members, blob_args = db.in_list([int(link[0]) for link in links])
                await db.execute(
                    f"DELETE FROM binaryobject WHERE binaryobject_id {blob_members}", *blob_args
                )
            deleted = await db.execute(f"DELETE FROM batchtask WHERE batchtask_id {members}", *args)
            for row in rows:
                await append_event(
                    db,
                    TaskEvent(
                        int(row[0]),
                        now,
                        actor,
                        _STATES.get(row[1], BatchTaskState.Unknown),
                        BatchTaskState.Unknown,
                        row[2],
                        "deleted",
                        source,
                    ),
                )
        return deleted

    async def find(self, task_filter: TaskFilter) -> list[BatchTask]:
        """Tasks matching the filter, by id."""
        where: list[str] = []
        args: list[object] = []
        if task_filter.associate_ids is not None:
            members, member_args = self._db.in_list(list(task_filter.associate_ids))
            where.append(f"t.registered_associate_id {members}")
            args.extend(member_args)
        if task_filter.user_tasks_only:
            where.append("t.registered_associate_id <> 0")
        if task_filter.system_tasks_only:
            where.append("t.registered_associate_id = 0")
        if task_filter.state is not None and task_filter.state is not BatchTaskState.All:
            where.append("t.state = ?")
            args.append(int(task_filter.state))
        if task_filter.name:
            where.append("d.name_key = ?")
            args.append(task_filter.name.casefold())
        if task_filter.ids is not None:
            members, member_args = self._db.in_list(list(task_filter.ids))
            where.append(f"t.batchtask_id {members}")
            args.extend(member_args)
        clause = (" WHERE " + " AND ".join(where)) if where else ""
        rows = await self._db.fetch(
            f"SELECT {TASK_COLUMNS} {TASK_FROM}{clause} ORDER BY t.batchtask_id", *args
        )
        return [task_from_row(self._db, row) for row in rows]

    async def events(self, task_id: int) -> list[TaskEvent]:
        """The event log of one task, oldest first."""
        rows = await self._db.fetch(
            "SELECT batchtask_id, at, actor, from_state, to_state, startcount, reason, source"
            " FROM batchtask_event WHERE batchtask_id = ? ORDER BY event_id",
            task_id,
        )
        out = []
        for row in rows:
            at = self._db.instant(row[1])
            assert at is not None  # noqa: S101 - NOT NULL column
            out.append(
                TaskEvent(
                    task_id=row[0],
                    at=at,
                    actor=row[2],
                    from_state=None if row[3] is None else _STATES.get(row[3]),
                    to_state=_STATES.get(row[4], BatchTaskState.Unknown),
                    start_count=row[5],
                    reason=row[6],
                    source=row[7],
                )
            )
        return out

    async def archive(self, query: ArchiveQuery) -> list[ArchiveRow]:
        """One page of the BatchTasks archive; filter and order compiled to bound SQL."""
        columns = [name for name in query.columns if name in COLUMN_SQL]
        select = ", ".join(COLUMN_SQL[name] for name in columns)
        args: list[object] = []
        where = ""
        if query.filter is not None:
            zone = query.zone or ZoneInfo("UTC")
            now = query.now or SystemClock().now()
            sql, filter_args = compile_filter(
                query.filter, self._db.dialect, now=now, zone=zone, associate_id=query.associate_id
            )
            where = f" WHERE {sql}"
            args = bind(filter_args, self._db.ts)
        order = compile_order_by(query.order, self._db.dialect)
        rows = await self._db.fetch(
            "SELECT t.batchtask_id, t.registered_associate_id,"
            " COALESCE(ua.display_name, ''), COALESCE(ra.display_name, '')"
            + (f", {select}" if select else "")
            + " FROM batchtask t"
            " LEFT JOIN batchtaskdefinition d ON d.batchtaskdefinition_id = t.batchtaskdefinition_id"
            " LEFT JOIN associate ua ON ua.associate_id = t.updated_associate_id"
            " LEFT JOIN associate ra ON ra.associate_id = t.registered_associate_id"
            f"{where} ORDER BY {order} LIMIT ? OFFSET ?",
            *args,
            query.top,
            query.skip,
        )
        out = []
        for row in rows:
            values: dict[str, object] = {}
            for index, name in enumerate(columns, start=4):
                column = find_column(name)
                value = row[index]
                if column is not None and column.restriction_type is RestrictionType.DATE:
                    value = self._db.instant(value)
                values[name] = value
            out.append(
                ArchiveRow(
                    task_id=row[0],
                    owner=row[1],
                    values=values,
                    names={"updatedBy": row[2], "registeredBy": row[3]},
                )
            )
        return out
