"""``TenantCatalogue`` in SQL (``sql/tenants.sql``): the ``batchtask_tenant`` rows of the default
tenant's database, keyed by the lower-case ContextIdentifier."""

from __future__ import annotations

from batchtask.domain.tenant import TenantInfo
from batchtask.storage.database import Database, Row
from batchtask.storage.queries import load


class SqlTenantCatalogue:
    """The tenant registry over one ``Database``."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._sql = load("tenants", db)

    def _info(self, row: Row) -> TenantInfo:
        created = self._db.instant(row[1])
        assert created is not None  # noqa: S101 - NOT NULL column
        return TenantInfo(str(row[0]), created)

    async def all(self) -> list[TenantInfo]:
        """Every registered tenant, oldest first."""
        return [self._info(row) for row in await self._sql.all.fetch(self._db)]

    async def find(self, key: str) -> TenantInfo | None:
        """The tenant of ``key``."""
        row = await self._sql.find.fetchrow(self._db, key=key)
        return None if row is None else self._info(row)

    async def add(self, tenant: TenantInfo) -> None:
        """Register ``tenant`` (``Conflict`` from the primary key when taken)."""
        await self._sql.add.execute(
            self._db, key=tenant.key, context_identifier=tenant.context_identifier,
            created=self._db.ts(tenant.created),
        )  # fmt: skip

    async def remove(self, key: str) -> bool:
        """Forget the tenant of ``key``."""
        return await self._sql.remove.execute(self._db, key=key) > 0
