"""``TaskRepository`` in SQL (``sql/tasks.sql``), the same for both engines.

A task is read with one statement: the row, its definition (Name, CancellationBehaviour) and its
ParameterObject blob (through the BinaryObjectLink of link type 6), so the hot ``GET`` costs a
single primary-key lookup. Every state change appends to the event log in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from batchtask.domain.aggregate import Aggregate
from batchtask.domain.archive import RestrictionType, find_column
from batchtask.domain.archive_query import ArchiveQuery, ArchiveRow
from batchtask.domain.clock import SystemClock
from batchtask.domain.ports import TaskEvent, TaskFilter
from batchtask.domain.state import BatchTaskState, CancellationBehaviour
from batchtask.domain.task import BatchTask, NewTask, TaskOutcome, TaskUpdate
from batchtask.storage import event_log, parameter_blobs
from batchtask.storage.archive_totals import archive_totals
from batchtask.storage.database import Database
from batchtask.storage.filter_sql import COLUMN_SQL, bind, compile_filter, compile_order_by
from batchtask.storage.queries import load
from batchtask.storage.task_rows import state, task_from_row


class SqlTaskRepository:
    """Tasks, their definitions, parameter blobs and event log."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._sql = load("tasks", db)
        self._select = self._sql.select_task.statements[0].sql

    async def get(self, task_id: int) -> BatchTask | None:
        """The task with this id, or ``None``."""
        row = await self._db.fetchrow(self._select, task_id)
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
        """Store a ``New`` task, its definition (lazily), its ParameterObject blob and its
        event (``sql/tasks.sql`` ``create``: one statement on PostgreSQL)."""
        db = self._db
        blob = parameter_blobs.encode(new.parameters) if new.parameters else None
        row = await self._sql.create.fetchrow(
            db,
            name=new.name,
            key=new.name.casefold(),
            cancellation=int(default_cancellation),
            now=db.ts(now),
            data=blob,
            size=0 if blob is None else len(blob),
            associate_id=new.associate_id,
            description=new.description,
            dbtag=new.database_serial_number,
            details_table=new.details_table,
            details_record=new.details_record,
            request=new.request,
            file_name=new.file_name,
            context=new.context,
            is_internal=db.flag(new.is_internal),
            actor=actor,
            source=source,
        )
        assert row is not None  # noqa: S101 - RETURNING
        return int(row[0])

    async def update(
        self, task_id: int, update: TaskUpdate, *, now: datetime, actor: str, source: str = ""
    ) -> BatchTask | None:
        """Change State, Description, Response and/or Request; log a state change."""
        async with self._db.transaction() as db:
            row = await self._sql.lock_state.fetchrow(db, task_id=task_id)
            if row is None:
                return None
            before = state(row[0])
            await self._sql.update_task.execute(
                db,
                state=None if update.state is None else int(update.state),
                description=update.description,
                response=update.response,
                request=update.request,
                now=db.ts(now),
                task_id=task_id,
            )
            if update.state is not None and update.state != before:
                await event_log.append(
                    db,
                    TaskEvent(task_id, now, actor, before, update.state, row[1], "updated", source),
                )
        return await self.get(task_id)

    async def record_outcome(
        self, task_id: int, outcome: TaskOutcome, *, now: datetime, actor: str, reason: str = ""
    ) -> bool:
        """Write what an executor reports (unfenced); log a state change."""
        async with self._db.transaction() as db:
            row = await self._sql.lock_state.fetchrow(db, task_id=task_id)
            if row is None:
                return False
            before = state(row[0])
            await self._sql.record_outcome.execute(
                db,
                state=None if outcome.state is None else int(outcome.state),
                start_count=outcome.start_count,
                last_started=db.ts(outcome.last_started),
                progress_percent=outcome.progress_percent,
                progress_description=outcome.progress_description,
                result=outcome.result,
                response=outcome.response,
                file_name=outcome.file_name,
                now=db.ts(now),
                task_id=task_id,
            )
            if outcome.state is not None and outcome.state != before:
                start_count = row[1] if outcome.start_count is None else outcome.start_count
                await event_log.append(
                    db, TaskEvent(task_id, now, actor, before, outcome.state, start_count, reason)
                )
        return True

    async def next_id(self, *, at_least: int = 0) -> int:
        """The id the next task gets, moved up to ``at_least`` first (never down)."""
        async with self._db.transaction() as db:
            if at_least > 1:
                await self._sql.skip_ids.execute(db, last=at_least - 1)
            row = await self._sql.next_task_id.fetchrow(db)
        assert row is not None  # noqa: S101 - one row
        return int(row[0])

    async def delete(
        self, task_ids: Sequence[int], *, now: datetime, actor: str, source: str = ""
    ) -> int:
        """Delete tasks with their ParameterObject blobs and links; log each deletion."""
        if not task_ids:
            return 0
        async with self._db.transaction() as db:
            rows = await self._sql.states_of.fetch(db, task_ids=db.array(list(task_ids)))
            if not rows:
                return 0
            found = [int(row[0]) for row in rows]
            await parameter_blobs.delete_of(db, found)
            deleted = await self._sql.delete_tasks.execute(db, task_ids=db.array(found))
            unknown = BatchTaskState.Unknown
            events = [
                TaskEvent(
                    int(row[0]), now, actor, state(row[1]), unknown, row[2], "deleted", source
                )
                for row in rows
            ]
            await event_log.append(db, *events)
        return deleted

    async def find(self, task_filter: TaskFilter) -> list[BatchTask]:
        """Tasks matching the filter, by id."""
        where: list[str] = []
        args: list[object] = []
        db = self._db
        if task_filter.associate_ids is not None:
            where.append(db.member("t.registered_associate_id"))
            args.append(db.array(list(task_filter.associate_ids)))
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
            where.append(db.member("t.batchtask_id"))
            args.append(db.array(list(task_filter.ids)))
        if task_filter.after_id:
            where.append("t.batchtask_id > ?")
            args.append(task_filter.after_id)
        clause = (" WHERE " + " AND ".join(where)) if where else ""
        limit = ""
        if task_filter.limit is not None:
            limit = " LIMIT ?"
            args.append(task_filter.limit)
        rows = await db.fetch(
            f"{self._sql.select_tasks.sql}{clause} ORDER BY t.batchtask_id{limit}", *args
        )
        return [task_from_row(db, row) for row in rows]

    async def events(self, task_id: int) -> list[TaskEvent]:
        """The event log of one task, oldest first."""
        return await event_log.of_task(self._db, task_id)

    async def archive_totals(
        self, query: ArchiveQuery, aggregates: Sequence[Aggregate]
    ) -> dict[str, object]:
        """The ``$select`` aggregates over the filtered rows (``archive_totals.py``)."""
        return await archive_totals(self._db, query, aggregates)

    async def archive(self, query: ArchiveQuery) -> list[ArchiveRow]:
        """One page of the BatchTasks archive; filter and order compiled to bound SQL."""
        db = self._db
        columns = [name for name in query.columns if name in COLUMN_SQL]
        select = ", ".join(COLUMN_SQL[name] for name in columns)
        args: list[object] = []
        where = ""
        if query.filter is not None:
            zone = query.zone or ZoneInfo("UTC")
            now = query.now or SystemClock().now()
            sql, filter_args = compile_filter(
                query.filter, db, now=now, zone=zone, associate_id=query.associate_id
            )
            where = f" WHERE {sql}"
            args = bind(filter_args, db)
        order = compile_order_by(query.order, db)
        rows = await db.fetch(
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
                    value = db.instant(value)
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
