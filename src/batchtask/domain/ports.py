"""The ports the services need from the outside world, as Protocols.

Adapters live in ``storage`` (SQLite, PostgreSQL); the contract test suite runs every adapter against
the same tests so they cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from batchtask.domain.credential import Credential, CredentialKind
from batchtask.domain.state import BatchTaskState, CancellationBehaviour
from batchtask.domain.task import BatchTask, NewTask, TaskOutcome, TaskUpdate
from batchtask.domain.user import Role, User


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
    ) -> int:
        """Store a ``New`` task (creating its definition lazily) and return its id."""
        ...

    async def update(
        self, task_id: int, update: TaskUpdate, *, now: datetime, actor: str
    ) -> BatchTask | None:
        """Apply a client update; ``None`` when the task does not exist."""
        ...

    async def record_outcome(
        self, task_id: int, outcome: TaskOutcome, *, now: datetime, actor: str, reason: str = ""
    ) -> bool:
        """Write what an executor reports (unfenced); log a state change. ``False`` if missing."""
        ...

    async def delete(self, task_ids: Sequence[int], *, now: datetime, actor: str) -> int:
        """Delete tasks and their parameter blobs; return how many rows went."""
        ...

    async def find(self, task_filter: TaskFilter) -> list[BatchTask]:
        """Tasks matching the filter, by id."""
        ...

    async def events(self, task_id: int) -> list[TaskEvent]:
        """The event log of one task, oldest first."""
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


class ThrottleRepository(Protocol):
    """Shared counters of failed logins, so every API process sees the same budget."""

    async def blocked_until(self, keys: Sequence[str], now: datetime) -> datetime | None:
        """The latest block still in force among ``keys``, or ``None``."""
        ...

    async def record_failure(self, key: str, now: datetime, window_seconds: int) -> int:
        """Count one failure in the key's window (a new window after it expires); return the count."""
        ...

    async def block(self, key: str, until: datetime) -> None:
        """Block a key until an instant."""
        ...

    async def clear(self, key: str) -> None:
        """Forget a key's failures (after a successful login)."""
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

    async def ping(self) -> None:
        """Raise ``StorageUnavailable`` when the database cannot answer."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...
