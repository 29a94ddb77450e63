"""``MemoryStore``: the ``Store`` port in process memory, for tests and throw-away runs.

It passes the same contract suite as the SQL engines (``tests/contract``), so service and worker
tests that are not about a database use it: no file, no server, no fsync. ``memory://name`` URLs
name one database per process: every store opened on the same name shares its rows (two stores
on one name behave like two processes on one database). Nothing persists, and nothing is shared
with another process.
"""

from __future__ import annotations

from batchtask.domain.clock import Clock, SystemClock
from batchtask.storage.memory.accounts import (
    MemoryCredentialRepository,
    MemoryThrottleRepository,
    MemoryUserRepository,
)
from batchtask.storage.memory.console import (
    MemoryAdminRepository,
    MemoryChangeFeed,
    MemoryStatsRepository,
    MemoryWorkerRegistry,
)
from batchtask.storage.memory.runs import MemoryRunRepository
from batchtask.storage.memory.tables import Tables
from batchtask.storage.memory.tasks import MemoryTaskRepository
from batchtask.storage.memory.tenants import MemoryTenantCatalogue

__all__ = ["MemoryStore", "drop_memory", "open_memory"]

_DATABASES: dict[str, Tables] = {}


class MemoryStore:
    """Every repository over one in-memory database."""

    def __init__(self, tables: Tables | None = None, *, clock: Clock | None = None) -> None:
        self.tables = tables if tables is not None else Tables()
        #: The "database's clock" of leases (a test may pass its fake clock).
        self.clock = clock or SystemClock()
        self._tasks = MemoryTaskRepository(self.tables)
        self._users = MemoryUserRepository(self.tables)
        self._credentials = MemoryCredentialRepository(self.tables)
        self._throttle = MemoryThrottleRepository(self.tables)
        self._runs = MemoryRunRepository(self.tables, self._tasks, self.clock)
        self._admin = MemoryAdminRepository(self.tables, self._tasks, self._runs)
        self._workers = MemoryWorkerRegistry(self.tables)
        self._stats = MemoryStatsRepository(self.tables)
        self._changes = MemoryChangeFeed(self.tables)
        self._tenants = MemoryTenantCatalogue(self.tables)

    @property
    def tasks(self) -> MemoryTaskRepository:
        """Batch tasks."""
        return self._tasks

    @property
    def users(self) -> MemoryUserRepository:
        """Users."""
        return self._users

    @property
    def credentials(self) -> MemoryCredentialRepository:
        """Tickets, tokens and sessions."""
        return self._credentials

    @property
    def throttle(self) -> MemoryThrottleRepository:
        """Failed-login counters."""
        return self._throttle

    @property
    def runs(self) -> MemoryRunRepository:
        """The runtime."""
        return self._runs

    @property
    def admin(self) -> MemoryAdminRepository:
        """The console's task queries and bulk writes."""
        return self._admin

    @property
    def workers(self) -> MemoryWorkerRegistry:
        """The worker registry."""
        return self._workers

    @property
    def stats(self) -> MemoryStatsRepository:
        """Queue figures."""
        return self._stats

    @property
    def changes(self) -> MemoryChangeFeed:
        """The change log of the live stream."""
        return self._changes

    @property
    def tenants(self) -> MemoryTenantCatalogue:
        """The tenant registry."""
        return self._tenants

    async def reset(self, *, users: bool) -> None:
        """Empty as a fresh tenant's database."""
        self.tables.reset(users=users)

    async def ping(self) -> None:
        """Always answers."""

    async def close(self) -> None:
        """Nothing to release (the rows stay while the process runs)."""


def open_memory(url: str, *, clock: Clock | None = None) -> MemoryStore:
    """The store of ``memory://name``: one shared database per name in this process."""
    if not url.startswith("memory://"):
        raise ValueError(f"not a memory URL: {url!r}")
    name = url[len("memory://") :]
    tables = _DATABASES.setdefault(name, Tables()) if name else Tables()
    return MemoryStore(tables, clock=clock)


def drop_memory(url: str) -> None:
    """Forget the database of ``memory://name`` (a nameless one was never kept)."""
    _DATABASES.pop(url[len("memory://") :], None)
