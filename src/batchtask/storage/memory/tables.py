"""The rows of an in-memory database: plain mutable records, one dictionary per table.

Everything happens on one event loop and no method of a memory repository awaits while it changes
rows, so every method is atomic, as a transaction is on the SQL engines.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from batchtask.domain.credential import CredentialKind
from batchtask.domain.errors import Conflict
from batchtask.domain.ports import TaskEvent, ThrottleCounter
from batchtask.domain.state import BatchTaskState, CancellationBehaviour
from batchtask.domain.tenant import TenantInfo
from batchtask.domain.user import Role
from batchtask.domain.worker_info import WorkerInfo


@dataclass(slots=True)
class TaskRow:
    """A ``batchtask`` row."""

    id: int
    definition_id: int
    description: str
    dbtag: str
    state: BatchTaskState
    details_table: int
    details_record: int
    request: str
    registered: datetime
    registered_associate_id: int
    updated: datetime
    updated_associate_id: int
    file_name: str
    context: str
    is_internal: bool
    blob_id: int | None
    response: str = ""
    result: str = ""
    start_count: int = 0
    last_started: datetime | None = None
    progress_percent: int = 0
    progress_description: str = ""
    updated_count: int = 0
    lease_owner: str | None = None
    lease_expires: datetime | None = None
    cancel_requested: datetime | None = None
    run_after: datetime | None = None
    release_count: int = 0


@dataclass(slots=True)
class DefinitionRow:
    """A ``batchtaskdefinition`` row."""

    id: int
    name: str
    key: str
    registered: datetime
    updated: datetime
    description: str = ""
    timeout: int = 0
    restarts: int = 0
    backoff: float = 1.0
    cancellation: CancellationBehaviour = CancellationBehaviour.CanCancel
    isolation: str = ""
    updated_count: int = 0


@dataclass(slots=True)
class UserRow:
    """An ``associate`` row."""

    id: int
    username: str
    display_name: str
    password_hash: str
    role: Role
    active: bool
    registered: datetime
    updated: datetime


@dataclass(slots=True)
class CredentialRow:
    """A ``credential`` row."""

    id: int
    kind: CredentialKind
    secret_hash: str
    associate_id: int
    grant: str
    created: datetime
    expires_at: datetime
    sliding_seconds: int
    xsrf_hash: str | None
    app_hash: str | None


def visible(row: TaskRow) -> tuple[object, ...]:
    """The columns whose change the live stream shows (not leases or heartbeats)."""
    return (
        row.state, row.progress_percent, row.progress_description, row.start_count,
        row.description, row.response, row.request, row.result, row.file_name,
        row.cancel_requested,
    )  # fmt: skip


def _counter() -> Callable[[], int]:
    return counter_from(1)


def counter_from(start: int) -> Callable[[], int]:
    """Ids ``start``, ``start + 1``, … (an AUTOINCREMENT sequence)."""
    numbers: Iterator[int] = itertools.count(start)
    return lambda: next(numbers)


@dataclass
class Tables:
    """One in-memory database, shared by every store opened on its name."""

    tasks: dict[int, TaskRow] = field(default_factory=dict)
    definitions: dict[int, DefinitionRow] = field(default_factory=dict)
    blobs: dict[int, bytes] = field(default_factory=dict)
    events: list[TaskEvent] = field(default_factory=list)
    #: (task, StartCount) of every claim event: the unique claim index.
    claims: set[tuple[int, int]] = field(default_factory=set)
    users: dict[int, UserRow] = field(default_factory=dict)
    credentials: dict[int, CredentialRow] = field(default_factory=dict)
    throttle: dict[str, ThrottleCounter] = field(default_factory=dict)
    workers: dict[str, WorkerInfo] = field(default_factory=dict)
    #: The change log: (change number, task, owner, definition), oldest first.
    changes: list[tuple[int, int, int, int]] = field(default_factory=list)
    next_change: Callable[[], int] = field(default_factory=_counter)
    next_task: Callable[[], int] = field(default_factory=_counter)
    next_definition: Callable[[], int] = field(default_factory=_counter)
    next_blob: Callable[[], int] = field(default_factory=_counter)
    next_user: Callable[[], int] = field(default_factory=_counter)
    next_credential: Callable[[], int] = field(default_factory=_counter)
    #: The tenant registry (``batchtask_tenant``), by lower-case key.
    tenants: dict[str, TenantInfo] = field(default_factory=dict)

    def reset(self, *, users: bool) -> None:
        """Empty as a fresh tenant's database (``storage/schema_reset.py``): ids restart at 1,
        change numbers keep growing, definitions, workers and tenants stay (users unless told)."""
        deleted = list(self.tasks.values())
        self.changes.clear()
        for row in deleted:
            self.changed(row)
        self.tasks.clear()
        self.blobs.clear()
        self.events.clear()
        self.claims.clear()
        self.throttle.clear()
        self.next_task = _counter()
        self.next_blob = _counter()
        if users:
            self.users.clear()
            self.credentials.clear()
            self.next_user = _counter()
            self.next_credential = _counter()

    def definition_by_key(self, key: str) -> DefinitionRow | None:
        """The definition whose casefolded name is ``key``."""
        return next((d for d in self.definitions.values() if d.key == key), None)

    def log(self, *events: TaskEvent) -> None:
        """Append events; a second ``Aquired`` line of one attempt is a ``Conflict``, as the
        unique claim index makes it on the SQL engines (check with :meth:`claimable` first)."""
        for event in events:
            if event.to_state is BatchTaskState.Aquired:
                key = (event.task_id, event.start_count)
                if key in self.claims:
                    raise Conflict(f"task {key[0]} was already claimed at StartCount {key[1]}")
                self.claims.add(key)
            self.events.append(event)

    def changed(self, row: TaskRow) -> None:
        """A visible change of a task (what the change triggers of migration 0004 log)."""
        self.changes.append(
            (self.next_change(), row.id, row.registered_associate_id, row.definition_id)
        )

    def touched(self, row: TaskRow, before: tuple[object, ...]) -> None:
        """Log a change when a visible column differs from ``before`` (``visible(row)``)."""
        if visible(row) != before:
            self.changed(row)

    def claimable(self, task_id: int, start_count: int) -> bool:
        """No ``Aquired`` line exists for this attempt yet."""
        return (task_id, start_count) not in self.claims
