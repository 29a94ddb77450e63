"""``TenantCatalogue`` in memory: the registry as a dictionary of the tables."""

from __future__ import annotations

from batchtask.domain.errors import Conflict
from batchtask.domain.tenant import TenantInfo
from batchtask.storage.memory.tables import Tables


class MemoryTenantCatalogue:
    """The tenant registry over one in-memory database."""

    def __init__(self, tables: Tables) -> None:
        self._tables = tables

    async def all(self) -> list[TenantInfo]:
        """Every registered tenant, oldest first."""
        return sorted(self._tables.tenants.values(), key=lambda t: (t.created, t.key))

    async def find(self, key: str) -> TenantInfo | None:
        """The tenant of ``key``."""
        return self._tables.tenants.get(key)

    async def add(self, tenant: TenantInfo) -> None:
        """Register ``tenant``; ``Conflict`` when its key is taken."""
        if tenant.key in self._tables.tenants:
            raise Conflict(f"tenant {tenant.context_identifier!r} exists")
        self._tables.tenants[tenant.key] = tenant

    async def remove(self, key: str) -> bool:
        """Forget the tenant of ``key``."""
        return self._tables.tenants.pop(key, None) is not None
