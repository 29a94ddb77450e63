"""The ports the services need from the outside world, as Protocols.

Adapters live in ``storage`` (SQLite, PostgreSQL); the contract test suite runs every adapter against
the same tests so they cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Protocol

from batchtask.domain.aggregate import Aggregate
from batchtask.domain.archive_query import ArchiveQuery, ArchiveRow
from batchtask.domain.change import ChangePage
from batchtask.domain.credential import Credential, CredentialKind
from batchtask.domain.state import BatchTaskState, CancellationBehaviour
from batchtask.domain.stats import DefinitionFigures, SeriesPoint
from batchtask.domain.task import BatchTask, NewTask, TaskOutcome, TaskUpdate
from batchtask.domain.task_list import TaskBrief, TaskListQuery, TaskPage, TaskSelection
from batchtask.domain.tenant import TenantInfo
from batchtask.domain.user import Role, User
from batchtask.domain.worker_info import WorkerInfo


@dataclass(frozen=True, slots=True)
class TaskFilter:
    """Which tasks a list call wants. ``None`` means no restriction on that attribute."""

    #: Owners to include; 0 is the system owner.
    associate_ids: Sequence[int] | None = None
    #: Include only user tasks (AssociateId ≠ 0).
    user_tasks_only: bool = False
    #: Include only system tasks (AssociateId = 0).
    system_tasks_only: bool = False
    state: BatchTaskState | None = None
    #: Definition name, compared case-insensitively.
    name: str | None = None
    #: Task ids to include.
    ids: Sequence[int] | None = None
    #: Only tasks with a larger id (keyset paging: the last id of the previous page).
    after_id: int = 0
    #: At most this many tasks (the first by id).
    limit: int | None = None


@dataclass(frozen=True, slots=True)
class TaskEvent:
    """One appended line of a task's history."""

    task_id: int
    at: datetime
    actor: str
    from_state: BatchTaskState | None
    to_state: BatchTaskState
    start_count: int
    reason: str = ""
    #: Where the action came from: ``api``, ``admin-api``, ``console``, ``cli`` (``""``: the runtime).
    source: str = ""


class TaskRepository(Protocol):
    """Persistence of batch tasks, their definitions, parameter blobs and event log."""

    async def get(self, task_id: int) -> BatchTask | None:
        """The task with this id, or ``None``."""
        ...

    async def create(
        self,
        new: NewTask,
        *,
        now: datetime,
        actor: str,
        default_cancellation: CancellationBehaviour = CancellationBehaviour.CanCancel,
        source: str = "",
    ) -> int:
        """Store a ``New`` task (creating its definition lazily) and return its id."""
        ...

    async def update(
        self, task_id: int, update: TaskUpdate, *, now: datetime, actor: str, source: str = ""
    ) -> BatchTask | None:
        """Apply a client update; ``None`` when the task does not exist."""
        ...

    async def record_outcome(
        self, task_id: int, outcome: TaskOutcome, *, now: datetime, actor: str, reason: str = ""
    ) -> bool:
        """Write what an executor reports (unfenced); log a state change. ``False`` if missing."""
        ...

    async def delete(
        self, task_ids: Sequence[int], *, now: datetime, actor: str, source: str = ""
    ) -> int:
        """Delete tasks and their parameter blobs; return how many rows went."""
        ...

    async def next_id(self, *, at_least: int = 0) -> int:
        """The id the next task created gets, after moving the id sequence up to ``at_least``
        (never down: an id once given is never given again). The emulator's seed keeps the
        Ids it is given with it."""
        ...

    async def find(self, task_filter: TaskFilter) -> list[BatchTask]:
        """Tasks matching the filter, by id (from ``after_id``, at most ``limit``)."""
        ...

    async def events(self, task_id: int) -> list[TaskEvent]:
        """The event log of one task, oldest first."""
        ...

    async def archive(self, query: ArchiveQuery) -> list[ArchiveRow]:
        """One page of the BatchTasks archive (``query.top`` rows at most)."""
        ...

    async def archive_totals(
        self, query: ArchiveQuery, aggregates: Sequence[Aggregate]
    ) -> dict[str, object]:
        """Each aggregate over every row ``query.filter`` matches, by ``Aggregate.key``."""
        ...


@dataclass(frozen=True, slots=True)
class DefinitionPolicy:
    """What a worker tells the database about a task definition it can run (SPEC §8.1)."""

    name: str
    description: str = ""
    cancellation: CancellationBehaviour = CancellationBehaviour.CanCancel
    #: Seconds one attempt may run; ``None`` = no limit. Separate from the lease (SPEC §8.3).
    timeout: float | None = None
    #: Attempts before the task is ``Failed`` (stored as ``autorestartcount`` = max_starts - 1).
    max_starts: int = 3
    #: Base of the exponential retry delay, in seconds.
    backoff: float = 1.0
    #: ``inline`` or ``process`` (shown by the console).
    isolation: str = ""


@dataclass(frozen=True, slots=True)
class Attempt:
    """One claimed attempt of a task; ``(task.id, task.start_count)`` fences every later write."""

    #: The task as claimed: state ``Aquired``, ``start_count`` already incremented.
    task: BatchTask
    #: Lease owner (the worker's identity).
    owner: str
    #: Attempts handed back by a shutting-down worker; they do not use up the retry budget.
    releases: int = 0

    @property
    def task_id(self) -> int:
        """The task's id."""
        return self.task.id

    @property
    def start_count(self) -> int:
        """The fencing token: the task's StartCount when it was claimed."""
        return self.task.start_count

    @property
    def starts_used(self) -> int:
        """Attempts that count against ``max_starts``."""
        return self.task.start_count - self.releases


@dataclass(frozen=True, slots=True)
class Completion:
    """How an attempt ended, as the worker reports it."""

    #: ``Succeeded``, ``SucceededManualCleanup`` or ``Failed``.
    state: BatchTaskState
    response: str = ""
    result: str | None = None
    file_name: str | None = None
    #: The last progress the handler reported, written with the final state.
    progress_percent: int | None = None
    progress_description: str | None = None
    #: Why, for the event log.
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Requeue:
    """An attempt that goes back to ``New``: a retry after back-off, or a release."""

    #: Not claimed again before this instant (``None``: at once).
    run_after: datetime | None
    #: The new Response (``None`` keeps it).
    response: str | None
    #: Handed back by a worker shutting down: the start does not count against the retries.
    released: bool = False
    #: Why, for the event log.
    reason: str = ""


#: How an attempt ends: finished (``Completion``) or back in the queue (``Requeue``).
End = Completion | Requeue


@dataclass(frozen=True, slots=True)
class OwnerShare:
    """Fairness of one claimer's slots between owners (SuperOffice associates).

    No plain owner holds more than ``cap`` of the claimer's slots, counting what it ``held``
    already; the rest stay free for other owners. System tasks (owner 0) are not capped.
    """

    cap: int
    #: Tasks the claimer holds now, by owner.
    held: Mapping[int, int]


class LeaseStatus(Enum):
    """What a worker learns about an attempt it holds."""

    #: Still ours, nobody asked to stop it.
    HELD = "held"
    #: Still ours, and a Stop was requested: wind the handler down.
    CANCEL_REQUESTED = "cancel_requested"
    #: No longer ours (reaped, finished, deleted or changed from outside): never write again.
    LOST = "lost"


class Subscription(Protocol):
    """A live push channel from the database (PostgreSQL LISTEN)."""

    @property
    def alive(self) -> bool:
        """False once the connection behind it is gone; the listener must subscribe again."""
        ...

    async def close(self) -> None:
        """Stop listening and return the connection."""
        ...


class RunRepository(Protocol):
    """The runtime's view of tasks: claims, fenced transitions, leases, stop and retention.

    Every write after :meth:`claim` is fenced on ``(task id, StartCount, state)`` and reports
    whether it applied, so a worker that lost its lease can never write again. Every state change
    appends a ``batchtask_event`` row in the same transaction.
    """

    async def register(
        self, definitions: Sequence[DefinitionPolicy], *, now: datetime
    ) -> Mapping[str, int]:
        """Upsert definitions; return definition id by casefolded name."""
        ...

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
        """Move up to ``limit`` due ``New`` tasks of these definitions to ``Aquired``, by id.

        Many per statement; each lease ends ``lease`` seconds from now on the database's clock.
        With a ``share``, no plain owner gets more than its room in the claimer's slots.
        """
        ...

    async def start_many(
        self, attempts: Sequence[Attempt], *, now: datetime, lease: float
    ) -> set[int]:
        """``Aquired`` → ``Started`` for every attempt still held; the ids that started."""
        ...

    async def start(self, attempt: Attempt, *, now: datetime, lease: float) -> bool:
        """``Aquired`` → ``Started``; LastStarted = now; progress, Response and Result reset."""
        ...

    async def heartbeat(
        self, attempts: Sequence[Attempt], *, now: datetime, lease: float
    ) -> dict[int, LeaseStatus]:
        """Renew the leases (database clock) and ``updated`` of held attempts; status by id."""
        ...

    async def inspect(self, attempts: Sequence[Attempt]) -> dict[int, LeaseStatus]:
        """Read-only :meth:`heartbeat`: status by task id, nothing written."""
        ...

    async def progress(
        self, attempt: Attempt, percent: int, description: str, *, now: datetime
    ) -> bool:
        """Write ProgressPercent and ProgressDescription of a ``Started`` attempt."""
        ...

    async def conclude(
        self, ends: Sequence[tuple[Attempt, End]], *, now: datetime
    ) -> list[BatchTaskState | None]:
        """End many attempts at once (finish, retry or release each); the state written for
        each, ``None`` where the attempt was fenced out. The rules of :meth:`finish`,
        :meth:`retry` and :meth:`release` hold for each, as if written one by one."""
        ...

    async def finish(
        self, attempt: Attempt, completion: Completion, *, now: datetime
    ) -> BatchTaskState | None:
        """End an attempt; return the state written, ``None`` when fenced out.

        A requested Stop wins over success: the task ends ``Failed`` with
        ``[SR_BATCH_CANCELLED]``. Internal tasks are deleted when they succeed.
        """
        ...

    async def retry(
        self, attempt: Attempt, *, now: datetime, run_after: datetime, response: str
    ) -> BatchTaskState | None:
        """Back to ``New``, due at ``run_after`` (``Failed``/cancelled when a Stop was requested)."""
        ...

    async def release(self, attempt: Attempt, *, now: datetime) -> BatchTaskState | None:
        """Back to ``New`` at once, StartCount kept, not counted against the retry budget."""
        ...

    async def reap(
        self, *, now: datetime, actor: str, limit: int = 100
    ) -> list[tuple[int, BatchTaskState]]:
        """Leases expired on the database's clock → ``New`` when starts remain, else ``Failed``
        ``[SR_BATCH_WORKER_LOST]`` (``now`` stamps the change and its event)."""
        ...

    async def request_stop(
        self, task_id: int, *, now: datetime, actor: str, source: str = ""
    ) -> bool:
        """SPEC §8.4: stop a task; ``True`` only when it will really stop."""
        ...

    async def purge(self, state: BatchTaskState, *, before: datetime, limit: int = 500) -> int:
        """Delete up to ``limit`` tasks finished in ``state`` and last changed before ``before``."""
        ...

    async def purge_orphan_events(self, *, before: datetime, limit: int = 500) -> int:
        """Delete the history of up to ``limit`` tasks that no longer exist (deleted through the
        API, by hand…) whose newest line is older than ``before``; how many tasks' lines went."""
        ...

    async def ensure_periodic(
        self, name: str, *, interval: float, now: datetime, description: str, actor: str
    ) -> int | None:
        """Create the next system task of ``name`` unless one is pending; its id, or ``None``.

        At most one task of the definition is waiting or running at a time, whatever the number
        of workers calling this, and a new one is due ``interval`` seconds after the last.
        """
        ...

    async def listen(
        self, on_new: Callable[[], None], on_cancel: Callable[[int], None]
    ) -> Subscription | None:
        """Push notifications of new work and stop requests; ``None`` when the engine has none."""
        ...


class AdminRepository(Protocol):
    """The console's reads and bulk writes over tasks (SPEC §10.1)."""

    async def page(self, query: TaskListQuery) -> TaskPage:
        """One page of tasks matching the selection, with the total count."""
        ...

    async def briefs(self, task_ids: Sequence[int]) -> list[TaskBrief]:
        """What bulk actions need to know about these tasks (missing ones are left out)."""
        ...

    async def matching(self, selection: TaskSelection, limit: int) -> list[TaskBrief]:
        """Up to ``limit`` tasks matching a selection, by id."""
        ...

    async def count(self, selection: TaskSelection) -> int:
        """How many tasks match a selection."""
        ...

    async def retry(
        self, task_ids: Sequence[int], *, now: datetime, actor: str, source: str
    ) -> list[int]:
        """Finished tasks back to ``New`` with a fresh retry budget; the ids that went back."""
        ...

    async def stop(
        self, task_ids: Sequence[int], *, now: datetime, actor: str, source: str
    ) -> list[int]:
        """SPEC §8.4 Stop of each task (in few transactions); the ids that will stop."""
        ...


class WorkerRegistry(Protocol):
    """Where every worker process says it exists, what it runs and that it is alive."""

    async def register(self, worker: WorkerInfo) -> None:
        """Write (or overwrite) a worker's row."""
        ...

    async def beat(
        self, worker_id: str, *, now: datetime, busy: int, running: Sequence[int]
    ) -> None:
        """Renew a worker's heartbeat and what it is running."""
        ...

    async def deregister(self, worker_id: str, *, now: datetime) -> None:
        """Mark a worker stopped (clean shutdown)."""
        ...

    async def all(self) -> list[WorkerInfo]:
        """Every registered worker, by start time."""
        ...

    async def forget(self, *, before: datetime) -> int:
        """Drop workers not heard from since ``before``; how many."""
        ...


class StatsRepository(Protocol):
    """Queue figures computed by the database."""

    async def counts(self) -> dict[BatchTaskState, int]:
        """Tasks per state."""
        ...

    async def oldest_waiting(self, now: datetime) -> datetime | None:
        """Since when the task at the head of the queue has been due; ``None``: none waits."""
        ...

    async def series(
        self, *, start: datetime, step: int, points: int, waiting_now: int
    ) -> list[SeriesPoint]:
        """``points`` steps of ``step`` seconds from ``start``: starts, outcomes, queue depth."""
        ...

    async def definitions(self, *, since: datetime) -> list[DefinitionFigures]:
        """Every definition with its counts, outcomes since ``since`` and run-time percentiles."""
        ...


class ChangeFeed(Protocol):
    """The numbered change log of tasks the live stream reads (see ``domain.change``)."""

    async def read(self, after: int, limit: int) -> ChangePage:
        """Up to ``limit`` changes numbered above ``after``, oldest first."""
        ...

    async def latest(self) -> int:
        """The highest change number (0 when none)."""
        ...

    async def oldest(self) -> int:
        """The lowest change number still kept (0 when none)."""
        ...

    async def prune(self, *, keep: int) -> int:
        """Forget all but the newest ``keep`` changes; how many went."""
        ...

    async def listen(self, on_change: Callable[[], None]) -> Subscription | None:
        """Be told at commit that changes were written; ``None`` when the engine cannot push."""
        ...


class UserRepository(Protocol):
    """Persistence of users (SuperOffice associates)."""

    async def add(
        self, username: str, password_hash: str, role: Role, *, display_name: str, now: datetime
    ) -> User:
        """Create a user; ``Conflict`` when the name is taken (case-insensitively)."""
        ...

    async def by_name(self, username: str) -> User | None:
        """Look a user up by name, case-insensitively."""
        ...

    async def by_id(self, associate_id: int) -> User | None:
        """Look a user up by associate id."""
        ...

    async def all(self) -> list[User]:
        """Every user, by associate id."""
        ...

    async def set_password(self, associate_id: int, password_hash: str, *, now: datetime) -> None:
        """Replace a user's password hash."""
        ...

    async def set_active(self, associate_id: int, active: bool, *, now: datetime) -> None:
        """Enable or disable a user."""
        ...

    async def remove(self, associate_id: int) -> bool:
        """Delete a user and their credentials; ``False`` when there was none."""
        ...


class CredentialRepository(Protocol):
    """Persistence of hashed tickets, tokens and sessions."""

    async def issue(
        self,
        kind: CredentialKind,
        secret_hash: str,
        associate_id: int,
        *,
        grant: str,
        now: datetime,
        expires_at: datetime,
        sliding_seconds: int,
        xsrf_hash: str | None = None,
        app_hash: str | None = None,
    ) -> Credential:
        """Store a new credential."""
        ...

    async def lookup(
        self, kind: CredentialKind, secret_hash: str, now: datetime
    ) -> tuple[Credential, User] | None:
        """The unexpired credential with this hash and its active user, else ``None``."""
        ...

    async def extend(self, credential_id: int, expires_at: datetime) -> None:
        """Move a sliding credential's expiry forward (never backward)."""
        ...

    async def revoke_grant(self, grant: str) -> int:
        """Delete every credential of one login; return how many."""
        ...

    async def revoke_user(self, associate_id: int) -> int:
        """Delete every credential of one user; return how many."""
        ...


@dataclass(slots=True)
class ThrottleCounter:
    """One throttle key's shared counter (a row): attempts in its window, a block, a last success.

    ``window_start`` is ``None`` for a key never seen. ``succeeded_at`` is only set on
    (user, address) pairs: it makes that address *known* for the user.
    """

    key: str
    window_start: datetime | None = None
    attempts: int = 0
    blocked_until: datetime | None = None
    succeeded_at: datetime | None = None


ThrottleChange = Callable[[Mapping[str, ThrottleCounter]], Sequence[ThrottleCounter]]


class ThrottleRepository(Protocol):
    """Shared login-attempt counters, so every API process spends the same budget."""

    async def read(self, keys: Sequence[str]) -> dict[str, ThrottleCounter]:
        """The counters of ``keys`` (a missing key reads as an empty counter); no lock, no write."""
        ...

    async def change(self, keys: Sequence[str], change: ThrottleChange) -> None:
        """Read-modify-write the counters of ``keys`` atomically, across processes.

        The rows are locked (created empty when missing) for one transaction; ``change`` — a pure,
        synchronous function — gets them and returns the counters to store. No other call on these
        keys, in this or any other process, sees a state between the read and the write.
        """
        ...


class TenantCatalogue(Protocol):
    """The tenants a server holds: rows of the *default* tenant's database (``batchtask_tenant``).

    The default tenant itself is never listed here: it is the server's own database.
    """

    async def all(self) -> list[TenantInfo]:
        """Every registered tenant, oldest first."""
        ...

    async def find(self, key: str) -> TenantInfo | None:
        """The tenant whose lower-case key is ``key``."""
        ...

    async def add(self, tenant: TenantInfo) -> None:
        """Register ``tenant``; ``Conflict`` when its key is taken."""
        ...

    async def remove(self, key: str) -> bool:
        """Forget the tenant of ``key``; whether it was registered."""
        ...


class Store(Protocol):
    """One database: every repository plus its health."""

    @property
    def tasks(self) -> TaskRepository:
        """Batch tasks."""
        ...

    @property
    def users(self) -> UserRepository:
        """Users."""
        ...

    @property
    def credentials(self) -> CredentialRepository:
        """Tickets, tokens and sessions."""
        ...

    @property
    def throttle(self) -> ThrottleRepository:
        """Failed-login counters."""
        ...

    @property
    def runs(self) -> RunRepository:
        """The runtime: claims, leases, fenced transitions."""
        ...

    @property
    def admin(self) -> AdminRepository:
        """The console's task queries and bulk writes."""
        ...

    @property
    def workers(self) -> WorkerRegistry:
        """The worker registry."""
        ...

    @property
    def stats(self) -> StatsRepository:
        """Queue figures."""
        ...

    @property
    def changes(self) -> ChangeFeed:
        """The change log of the live stream."""
        ...

    @property
    def tenants(self) -> TenantCatalogue:
        """The tenant registry (only the default tenant's database is asked)."""
        ...

    async def reset(self, *, users: bool) -> None:
        """Empty the database as a fresh tenant's: tasks, events, blobs, the change log, throttle
        counters (and users with their credentials when ``users``); ids start at 1 again, except
        change numbers, which only grow (a live stream's cursor stays valid)."""
        ...

    async def ping(self) -> None:
        """Raise ``StorageUnavailable`` when the database cannot answer."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...
