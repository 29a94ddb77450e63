"""``TaskRepository`` in memory: the contract of ``task_repository.py`` over plain records."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from types import MappingProxyType
from typing import TypeVar
from zoneinfo import ZoneInfo

from batchtask.domain.aggregate import Aggregate
from batchtask.domain.archive_query import ArchiveQuery, ArchiveRow
from batchtask.domain.clock import SystemClock
from batchtask.domain.ports import TaskEvent, TaskFilter
from batchtask.domain.state import BatchTaskState, CancellationBehaviour
from batchtask.domain.task import BINARY_OBJECT_TABLE, BatchTask, NewTask, TaskOutcome, TaskUpdate
from batchtask.storage import parameter_blobs
from batchtask.storage.memory.archive import Evaluator, Reader, ordered, totals
from batchtask.storage.memory.tables import DefinitionRow, Tables, TaskRow, counter_from, visible

T = TypeVar("T")
_EMPTY = DefinitionRow(0, "", "", datetime.min, datetime.min)


def definition_id(
    tables: Tables, name: str, now: datetime, cancellation: CancellationBehaviour
) -> int:
    """The id of the definition called ``name`` (any case), created if there is none."""
    key = name.casefold()
    found = tables.definition_by_key(key)
    if found is not None:
        return found.id
    row = DefinitionRow(
        tables.next_definition(), name, key, registered=now, updated=now, cancellation=cancellation
    )
    tables.definitions[row.id] = row
    return row.id


class MemoryTaskRepository:
    """Tasks, their definitions, parameter blobs and event log, in memory."""

    def __init__(self, tables: Tables) -> None:
        self._t = tables
        self.readers = _readers(tables)

    def task(self, row: TaskRow) -> BatchTask:
        """The domain view of a row."""
        definition = self._t.definitions.get(row.definition_id, _EMPTY)
        blob = None if row.blob_id is None else self._t.blobs.get(row.blob_id)
        return BatchTask(
            id=row.id,
            name=definition.name,
            associate_id=row.registered_associate_id,
            details_table=row.details_table,
            details_record=row.details_record,
            is_internal=row.is_internal,
            parameters=parameter_blobs.decode(blob),
            last_started=row.last_started,
            created=row.registered,
            start_count=row.start_count,
            database_serial_number=row.dbtag,
            context=row.context,
            result=row.result,
            state=row.state,
            description=row.description,
            response=row.response,
            request=row.request,
            progress_description=row.progress_description,
            progress_percent=row.progress_percent,
            file_name=row.file_name,
            cancellation_behaviour=definition.cancellation,
            updated=row.updated,
            definition_id=row.definition_id,
            lease_owner=row.lease_owner,
            lease_expires=row.lease_expires,
            cancel_requested=row.cancel_requested,
            run_after=row.run_after,
        )

    async def get(self, task_id: int) -> BatchTask | None:
        """The task with this id, or ``None``."""
        row = self._t.tasks.get(task_id)
        return None if row is None else self.task(row)

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
        return self.create_now(
            new, now=now, actor=actor, cancellation=default_cancellation, source=source
        )

    def create_now(
        self,
        new: NewTask,
        *,
        now: datetime,
        actor: str,
        cancellation: CancellationBehaviour = CancellationBehaviour.CanCancel,
        source: str = "",
    ) -> int:
        """:meth:`create` without suspending (for callers that must stay atomic)."""
        t = self._t
        definition = definition_id(t, new.name, now, cancellation)
        details_table, details_record, blob_id = new.details_table, new.details_record, None
        if new.parameters:
            blob_id = t.next_blob()
            t.blobs[blob_id] = parameter_blobs.encode(new.parameters)
            details_table, details_record = BINARY_OBJECT_TABLE, blob_id
        row = TaskRow(
            id=t.next_task(),
            definition_id=definition,
            description=new.description,
            dbtag=new.database_serial_number,
            state=BatchTaskState.New,
            details_table=details_table,
            details_record=details_record,
            request=new.request,
            registered=now,
            registered_associate_id=new.associate_id,
            updated=now,
            updated_associate_id=new.associate_id,
            file_name=new.file_name,
            context=new.context,
            is_internal=new.is_internal,
            blob_id=blob_id,
        )
        t.tasks[row.id] = row
        t.log(TaskEvent(row.id, now, actor, None, BatchTaskState.New, 0, "created", source))
        t.changed(row)
        return row.id

    async def update(
        self, task_id: int, update: TaskUpdate, *, now: datetime, actor: str, source: str = ""
    ) -> BatchTask | None:
        """Change State, Description, Response and/or Request; log a state change."""
        row = self._t.tasks.get(task_id)
        if row is None:
            return None
        before, shown = row.state, visible(row)
        if update.state is not None:
            row.state = update.state
        row.description = _given(update.description, row.description)
        row.response = _given(update.response, row.response)
        row.request = _given(update.request, row.request)
        row.updated, row.updated_count = now, row.updated_count + 1
        if update.state is not None and update.state != before:
            self._t.log(TaskEvent(task_id, now, actor, before, update.state, row.start_count,
                                  "updated", source))  # fmt: skip
        self._t.touched(row, shown)
        return self.task(row)

    async def record_outcome(
        self, task_id: int, outcome: TaskOutcome, *, now: datetime, actor: str, reason: str = ""
    ) -> bool:
        """Write what an executor reports (unfenced); log a state change."""
        row = self._t.tasks.get(task_id)
        if row is None:
            return False
        before, start_count, shown = row.state, row.start_count, visible(row)
        if outcome.state is not None:
            row.state = outcome.state
        row.start_count = _given(outcome.start_count, row.start_count)
        row.last_started = _given(outcome.last_started, row.last_started)
        row.progress_percent = _given(outcome.progress_percent, row.progress_percent)
        row.progress_description = _given(outcome.progress_description, row.progress_description)
        row.result = _given(outcome.result, row.result)
        row.response = _given(outcome.response, row.response)
        row.file_name = _given(outcome.file_name, row.file_name)
        row.updated, row.updated_count = now, row.updated_count + 1
        if outcome.state is not None and outcome.state != before:
            count = start_count if outcome.start_count is None else outcome.start_count
            self._t.log(TaskEvent(task_id, now, actor, before, outcome.state, count, reason))
        self._t.touched(row, shown)
        return True

    async def next_id(self, *, at_least: int = 0) -> int:
        """The id the next task gets, moved up to ``at_least`` first (never down)."""
        start = max(self._t.next_task(), at_least)
        self._t.next_task = counter_from(start)
        return start

    async def delete(
        self, task_ids: Sequence[int], *, now: datetime, actor: str, source: str = ""
    ) -> int:
        """Delete tasks with their ParameterObject blobs; log each deletion."""
        return self.delete_now(task_ids, now=now, actor=actor, source=source)

    def delete_now(
        self, task_ids: Sequence[int], *, now: datetime, actor: str, source: str = ""
    ) -> int:
        """:meth:`delete` without suspending."""
        t, deleted = self._t, 0
        for task_id in dict.fromkeys(task_ids):
            row = t.tasks.pop(task_id, None)
            if row is None:
                continue
            if row.blob_id is not None:
                t.blobs.pop(row.blob_id, None)
            t.log(TaskEvent(task_id, now, actor, row.state, BatchTaskState.Unknown,
                            row.start_count, "deleted", source))  # fmt: skip
            t.changed(row)
            deleted += 1
        return deleted

    async def find(self, task_filter: TaskFilter) -> list[BatchTask]:
        """Tasks matching the filter, by id."""
        owners = None if task_filter.associate_ids is None else set(task_filter.associate_ids)
        ids = None if task_filter.ids is None else set(task_filter.ids)
        name = None if not task_filter.name else task_filter.name.casefold()
        state = task_filter.state
        out: list[BatchTask] = []
        for task_id in sorted(self._t.tasks):
            if task_id <= task_filter.after_id:
                continue
            if task_filter.limit is not None and len(out) >= task_filter.limit:
                break
            row = self._t.tasks[task_id]
            owner = row.registered_associate_id
            if (
                (owners is not None and owner not in owners)
                or (task_filter.user_tasks_only and owner == 0)
                or (task_filter.system_tasks_only and owner != 0)
                or (state is not None and state is not BatchTaskState.All and row.state != state)
                or (ids is not None and task_id not in ids)
                or (name is not None and self.definition(row).key != name)
            ):
                continue
            out.append(self.task(row))
        return out

    async def events(self, task_id: int) -> list[TaskEvent]:
        """The event log of one task, oldest first."""
        return [event for event in self._t.events if event.task_id == task_id]

    def _matching(self, query: ArchiveQuery) -> list[TaskRow]:
        rows = list(self._t.tasks.values())
        if query.filter is not None:
            evaluator = Evaluator(
                self.readers,
                now=query.now or SystemClock().now(),
                zone=query.zone or ZoneInfo("UTC"),
                associate_id=query.associate_id,
            )
            rows = [row for row in rows if evaluator.matches(query.filter, row)]
        return rows

    async def archive_totals(
        self, query: ArchiveQuery, aggregates: Sequence[Aggregate]
    ) -> dict[str, object]:
        """The ``$select`` aggregates over the filtered rows."""
        return totals(self._matching(query), aggregates, self.readers)

    async def archive(self, query: ArchiveQuery) -> list[ArchiveRow]:
        """One page of the BatchTasks archive."""
        rows = ordered(self._matching(query), query.order, self.readers, lambda row: row.id)
        page = rows[query.skip : query.skip + query.top]
        columns = [name for name in query.columns if name in self.readers]
        return [
            ArchiveRow(
                task_id=row.id,
                owner=row.registered_associate_id,
                values={name: self.readers[name](row) for name in columns},
                names={
                    "updatedBy": self._display_name(row.updated_associate_id),
                    "registeredBy": self._display_name(row.registered_associate_id),
                },
            )
            for row in page
        ]

    def definition(self, row: TaskRow) -> DefinitionRow:
        """The row's definition (an empty one when it has none)."""
        return self._t.definitions.get(row.definition_id, _EMPTY)

    def _display_name(self, associate_id: int) -> str:
        user = self._t.users.get(associate_id)
        return "" if user is None else user.display_name


def _given(value: T | None, current: T) -> T:
    return current if value is None else value


def _readers(tables: Tables) -> Mapping[str, Reader]:
    """Archive column → its value of a row (the Python side of ``filter_sql.COLUMN_SQL``)."""

    def definition(row: TaskRow) -> DefinitionRow:
        return tables.definitions.get(row.definition_id, _EMPTY)

    readers: dict[str, Reader] = {
        "DefinitionId": lambda row: row.definition_id,
        "DefinitionName": lambda row: definition(row).name,
        "DefinitionDescription": lambda row: definition(row).description,
        "DefinitionTimeOut": lambda row: definition(row).timeout,
        "Description": lambda row: row.description,
        "DbTag": lambda row: row.dbtag,
        "State": lambda row: int(row.state),
        "DetailsTable": lambda row: row.details_table,
        "DetailsRecord": lambda row: row.details_record,
        "Request": lambda row: row.request,
        "Response": lambda row: row.response,
        "StartCount": lambda row: row.start_count,
        "LastStarted": lambda row: row.last_started,
        "ProgressPercent": lambda row: row.progress_percent,
        "ProgressDescription": lambda row: row.progress_description,
        "updatedBy": lambda row: row.updated_associate_id,
        "updatedDate": lambda row: row.updated,
        "registeredBy": lambda row: row.registered_associate_id,
        "registeredDate": lambda row: row.registered,
    }
    return MappingProxyType(readers)
