"""Task use cases as the API sees them: every call runs as a ``Principal`` and respects §6 rights.

Everyone may read every task (``Select``); only admins and owners may change one. Fields the server
owns (Id, AssociateId, Created, StartCount, progress, …) are never taken from a client.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, replace

from batchtask.domain.aggregate import Aggregate
from batchtask.domain.archive_query import ArchiveQuery, ArchiveRow
from batchtask.domain.clock import Clock
from batchtask.domain.errors import Forbidden, InvalidInput, TaskNotFound
from batchtask.domain.ports import Store, TaskFilter
from batchtask.domain.rights import OWNER_RIGHTS, READER_RIGHTS, TaskRights, may_change, rights_for
from batchtask.domain.state import STORABLE, BatchTaskState
from batchtask.domain.task import SYSTEM_ASSOCIATE, BatchTask, NewTask, TaskUpdate
from batchtask.domain.user import Principal
from batchtask.services.task_files import TaskFiles

#: ``AssociateIds`` value meaning "system tasks" and "every user's tasks" (agent semantics).
SYSTEM_TASKS = 0
ALL_USER_TASKS = -1
#: Tasks read per query when a list is answered a page at a time.
LIST_PAGE = 100

Found = list[tuple[BatchTask, TaskRights]]


@dataclass(frozen=True, slots=True)
class TaskDraft:
    """What a client may choose when starting a job (the rest is the server's)."""

    name: str
    is_system: bool = False
    is_internal: bool = False
    description: str = ""
    request: str = ""
    context: str = ""
    details_table: int = 0
    details_record: int = 0
    parameters: dict[str, str] | None = None


#: Where an action came from, as the event log records it (SPEC §10).
SOURCE_API = "api"
SOURCE_ADMIN_API = "admin-api"
SOURCE_CONSOLE = "console"
SOURCE_CLI = "cli"


def actor(principal: Principal) -> str:
    """Who a principal is in the task event log: ``user:NAME``."""
    return f"user:{principal.user.username}"


class TaskService:
    """Reading and changing batch tasks on behalf of a caller."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        *,
        database_serial_number: str = "",
        parameter_limit: int = 64 * 1024,
        files: TaskFiles | None = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self._serial = database_serial_number
        #: Bytes a ParameterObject's keys and values may take (setting PARAMETER_OBJECT_LIMIT).
        self._parameter_limit = parameter_limit
        #: The tasks' files folder (``None``: tasks have no files here, e.g. unit tests).
        self.files = files
        #: Called after a task was created here (the composition root wakes this database's
        #: embedded worker, so a worker that polls slowly while idle starts it at once).
        self._created: list[Callable[[], None]] = []

    def on_created(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` after every task created through this service (and on
        :meth:`work_may_be_waiting`)."""
        self._created.append(callback)

    def work_may_be_waiting(self) -> None:
        """Wake this database's embedded worker: a task may be due now (the emulator moved the
        tenant's clock, a seed wrote tasks)."""
        for callback in self._created:
            callback()

    async def get(self, principal: Principal, task_id: int) -> tuple[BatchTask, TaskRights]:
        """One task with the caller's rights on it; every user may read every task (Select)."""
        task = await self._store.tasks.get(task_id)
        if task is None:
            raise TaskNotFound(task_id)
        return task, rights_for(principal, task)

    async def find(
        self, principal: Principal, task_filter: TaskFilter
    ) -> list[tuple[BatchTask, TaskRights]]:
        """Tasks matching a filter, each with the caller's rights."""
        tasks = await self._store.tasks.find(task_filter)
        return [(task, rights_for(principal, task)) for task in tasks]

    async def pages(
        self, principal: Principal, task_filter: TaskFilter, *, size: int = LIST_PAGE
    ) -> AsyncIterator[Found]:
        """Tasks matching a filter a page at a time, by id (keyset paging, one query a page).

        Lists are answered from this (issue 11 #6) so that a list of every task never sits in
        memory whole. The pages are separate reads: a task created or deleted meanwhile may or
        may not be in them, as with any paged list. A short (or empty) first page is the last.
        """
        after = 0
        while True:
            tasks = await self._store.tasks.find(replace(task_filter, after_id=after, limit=size))
            yield [(task, rights_for(principal, task)) for task in tasks]
            if len(tasks) < size:
                return
            after = tasks[-1].id

    def by_state(
        self, principal: Principal, state: BatchTaskState, name: str | None = None
    ) -> AsyncIterator[Found]:
        """User tasks (AssociateId ≠ 0, every user's) in a state; ``All`` = every state."""
        return self.pages(
            principal, TaskFilter(user_tasks_only=True, state=state, name=name or None)
        )

    def by_associates(
        self,
        principal: Principal,
        associate_ids: Sequence[int],
        *,
        state: BatchTaskState | None = None,
        name: str | None = None,
    ) -> AsyncIterator[Found]:
        """Agent ``AssociateIds`` semantics: empty = all, 0 = system, -1 = all users, else owners."""
        ids = set(associate_ids)
        if not ids or {ALL_USER_TASKS, SYSTEM_TASKS} <= ids:  # every user's and the system's
            task_filter = TaskFilter(state=state, name=name or None)
        elif ALL_USER_TASKS in ids:
            task_filter = TaskFilter(user_tasks_only=True, state=state, name=name or None)
        else:
            task_filter = TaskFilter(associate_ids=sorted(ids), state=state, name=name or None)
        return self.pages(principal, task_filter)

    async def create(
        self, principal: Principal, draft: TaskDraft, *, source: str = SOURCE_API
    ) -> int:
        """Start a job: a ``New`` task owned by the caller (or the system, for admins)."""
        name = draft.name.strip()
        if not name:
            raise InvalidInput("Name is required: it names the task definition", field="Name")
        if draft.is_system and not principal.is_admin:
            raise Forbidden("Only administrators may start system tasks")
        owner = SYSTEM_ASSOCIATE if draft.is_system else principal.associate_id
        parameters = dict(draft.parameters or {})
        size = sum(
            len(text.encode("utf-8", "surrogatepass"))
            for item in parameters.items()
            for text in item
        )
        if size > self._parameter_limit:
            raise InvalidInput(
                f"ParameterObject is larger than {self._parameter_limit} bytes ({size})",
                field="ParameterObject",
                limit=self._parameter_limit,
            )
        new = NewTask(
            name=name,
            associate_id=owner,
            description=draft.description,
            request=draft.request,
            context=draft.context,
            database_serial_number=self._serial,
            details_table=draft.details_table,
            details_record=draft.details_record,
            is_internal=draft.is_internal,
            parameters=parameters,
        )
        task_id = await self._store.tasks.create(
            new, now=self._clock.now(), actor=actor(principal), source=source
        )
        self.work_may_be_waiting()
        return task_id

    async def update(
        self, principal: Principal, task_id: int, update: TaskUpdate, *, source: str = SOURCE_API
    ) -> tuple[BatchTask, TaskRights]:
        """Change State, Description, Response or Request; 403 unless the caller may change it."""
        if update.state is not None and update.state not in STORABLE:
            raise InvalidInput(f"State {update.state.name} cannot be stored", field="State")
        task = await self._store.tasks.get(task_id)
        if task is None:
            raise TaskNotFound(task_id)
        if not may_change(principal, task):
            raise Forbidden("Only the owner of the task or an administrator can change it")
        updated = await self._store.tasks.update(
            task_id, update, now=self._clock.now(), actor=actor(principal), source=source
        )
        if updated is None:
            raise TaskNotFound(task_id)
        return updated, rights_for(principal, updated)

    async def delete(
        self, principal: Principal, task_ids: Sequence[int], *, source: str = SOURCE_API
    ) -> int:
        """Delete tasks the caller may change; missing ids are ignored (idempotent), others' → 403."""
        found = await self._store.tasks.find(TaskFilter(ids=list(task_ids))) if task_ids else []
        if any(not may_change(principal, task) for task in found):
            raise Forbidden("Only the owner of the task or an administrator can delete it")
        if not found:
            return 0
        ids = [task.id for task in found]
        deleted = await self._store.tasks.delete(
            ids, now=self._clock.now(), actor=actor(principal), source=source
        )
        await self.remove_files(ids)
        return deleted

    async def remove_files(self, task_ids: Sequence[int]) -> None:
        """Remove the files of deleted tasks (``files/<id>/``; issue 11 #10)."""
        if self.files is not None:
            await self.files.remove(task_ids)

    async def stop(self, principal: Principal, task_id: int, *, source: str = SOURCE_API) -> bool:
        """SPEC §8.4: ``False`` when missing, not the caller's to change, finished or CannotCancel."""
        task = await self._store.tasks.get(task_id)
        if task is None or not may_change(principal, task):
            return False
        return await self._store.runs.request_stop(
            task_id, now=self._clock.now(), actor=actor(principal), source=source
        )

    async def archive(
        self, principal: Principal, query: ArchiveQuery
    ) -> tuple[list[tuple[ArchiveRow, TaskRights]], bool]:
        """One page of the archive with the caller's rights per row, and whether more rows follow."""
        page = await self._store.tasks.archive(
            replace(
                query, top=query.top + 1, now=self._clock.now(), associate_id=principal.associate_id
            )
        )
        rows = []
        for row in page[: query.top]:
            mine = principal.is_admin or (
                row.owner != SYSTEM_ASSOCIATE and row.owner == principal.associate_id
            )
            rows.append((row, OWNER_RIGHTS if mine else READER_RIGHTS))
        return rows, len(page) > query.top

    async def archive_totals(
        self, principal: Principal, query: ArchiveQuery, aggregates: Sequence[Aggregate]
    ) -> dict[str, object]:
        """The ``$select`` aggregates over every row the caller's list would show (all pages)."""
        if not aggregates:
            return {}
        scoped = replace(query, now=self._clock.now(), associate_id=principal.associate_id)
        return await self._store.tasks.archive_totals(scoped, aggregates)
