"""``SqlStore``: the ``Store`` port for one database, whichever engine holds it."""

from __future__ import annotations

from batchtask.storage.admin_repository import SqlAdminRepository
from batchtask.storage.change_feed import SqlChangeFeed
from batchtask.storage.credential_repository import SqlCredentialRepository
from batchtask.storage.database import Database
from batchtask.storage.runs import SqlRunRepository
from batchtask.storage.schema_reset import reset_database
from batchtask.storage.stats_repository import SqlStatsRepository
from batchtask.storage.task_repository import SqlTaskRepository
from batchtask.storage.tenant_catalogue import SqlTenantCatalogue
from batchtask.storage.throttle_repository import SqlThrottleRepository
from batchtask.storage.user_repository import SqlUserRepository
from batchtask.storage.worker_repository import SqlWorkerRegistry


class SqlStore:
    """Every repository over one ``Database``."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._tasks = SqlTaskRepository(db)
        self._users = SqlUserRepository(db)
        self._credentials = SqlCredentialRepository(db)
        self._throttle = SqlThrottleRepository(db)
        self._runs = SqlRunRepository(db, self._tasks)
        self._admin = SqlAdminRepository(db, self._runs)
        self._workers = SqlWorkerRegistry(db)
        self._stats = SqlStatsRepository(db)
        self._changes = SqlChangeFeed(db)
        self._tenants = SqlTenantCatalogue(db)

    @property
    def tasks(self) -> SqlTaskRepository:
        """Batch tasks."""
        return self._tasks

    @property
    def users(self) -> SqlUserRepository:
        """Users."""
        return self._users

    @property
    def credentials(self) -> SqlCredentialRepository:
        """Tickets, tokens and sessions."""
        return self._credentials

    @property
    def throttle(self) -> SqlThrottleRepository:
        """Failed-login counters."""
        return self._throttle

    @property
    def runs(self) -> SqlRunRepository:
        """The runtime: claims, leases, fenced transitions."""
        return self._runs

    @property
    def admin(self) -> SqlAdminRepository:
        """The console's task queries and bulk writes."""
        return self._admin

    @property
    def workers(self) -> SqlWorkerRegistry:
        """The worker registry."""
        return self._workers

    @property
    def stats(self) -> SqlStatsRepository:
        """Queue figures."""
        return self._stats

    @property
    def changes(self) -> SqlChangeFeed:
        """The change log of the live stream."""
        return self._changes

    @property
    def tenants(self) -> SqlTenantCatalogue:
        """The tenant registry."""
        return self._tenants

    async def reset(self, *, users: bool) -> None:
        """Empty the database as a fresh tenant's (``schema_reset.py``)."""
        await reset_database(self.db, users=users)

    async def ping(self) -> None:
        """Raise ``StorageUnavailable`` when the database cannot answer."""
        await self.db.ping()

    async def close(self) -> None:
        """Release connections."""
        await self.db.close()
