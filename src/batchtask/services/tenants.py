"""``TenantDirectory``: the tenants of one server, each an opened ``Services`` bundle (SPEC §11.1).

Why a bundle per tenant: each tenant has a database of its own (``storage/tenant_databases.py``),
so a tenant's ``Services`` are exactly the single-tenant services over that database — auth, tasks,
the admin API, the live hub, the worker — and isolation holds by construction: nothing in them can
reach another tenant's rows, credentials, files or change log. The directory maps a
ContextIdentifier (any case) to its bundle: the default tenant's is always open, the others are
opened on first use and cached, and closed when removed. What a bundle is made of — storage, the
tenant's clock, its worker — is the composition root's business (the ``TenantProvisioner``), so
this module knows neither storage nor HTTP.

The list of tenants is the ``batchtask_tenant`` table of the default tenant's database
(``Store.tenants``), so every process sharing that database sees the same tenants.

Callbacks let others follow a tenant's life: the composition root starts and stops each tenant's
worker on ``on_open``/``on_close``; the emulator clears its per-tenant state on ``on_reset`` and
``on_close``.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Protocol

from batchtask.domain.errors import Conflict, InvalidInput
from batchtask.domain.tenant import (
    TenantInfo,
    TenantNotFound,
    check_context_identifier,
    tenant_key,
)
from batchtask.services.container import Services

log = logging.getLogger("batchtask.tenants")

#: Seconds an open tenant is served without reading its registration again (another process may
#: have removed it).
REVALIDATE = 5.0

Opened = Callable[[str, Services], Awaitable[None]]
Reset = Callable[[str, Services, bool], Awaitable[None]]


class TenantProvisioner(Protocol):
    """What a tenant is made of (implemented by the composition root, which knows storage)."""

    async def create(self, context_identifier: str) -> None:
        """Make the tenant's empty, migrated database."""
        ...

    async def open(self, context_identifier: str) -> Services:
        """Open the tenant's services (with its own clock from the clock factory)."""
        ...

    async def close(self, services: Services) -> None:
        """Release the tenant's live hub and database."""
        ...

    async def drop(self, context_identifier: str) -> None:
        """Delete the tenant's database and files (its services are closed)."""
        ...

    async def reset(self, services: Services, *, users: bool) -> None:
        """Empty the tenant's database and files (and its users with ``users``)."""
        ...


class TenantDirectory:
    """ContextIdentifier → the tenant's opened ``Services``."""

    def __init__(self, default: Services, provisioner: TenantProvisioner) -> None:
        #: The default tenant's services (``settings.context_identifier``), always open.
        self.default = default
        self.default_context = default.settings.context_identifier
        self._default_key = tenant_key(self.default_context)
        self._provisioner = provisioner
        self._open: dict[str, Services] = {self._default_key: default}
        self._names: dict[str, str] = {self._default_key: self.default_context}
        self._locks: dict[str, asyncio.Lock] = {}
        #: Per open tenant (not the default): its registration's ``created`` and when it was read.
        self._seen: dict[str, tuple[datetime | None, float]] = {}
        self._on_open: list[Opened] = []
        self._on_close: list[Opened] = []
        self._on_reset: list[Reset] = []
        self._closed = False

    # -- following a tenant's life ---------------------------------------------------------------

    def on_open(self, callback: Opened) -> None:
        """Call ``callback(ctx, services)`` when a tenant is opened (not for those already open:
        see :meth:`opened`)."""
        self._on_open.append(callback)

    def on_close(self, callback: Opened) -> None:
        """Call ``callback(ctx, services)`` before a tenant is closed (removal or shutdown)."""
        self._on_close.append(callback)

    def on_reset(self, callback: Reset) -> None:
        """Call ``callback(ctx, services, users)`` after a tenant was reset."""
        self._on_reset.append(callback)

    def opened(self) -> dict[str, Services]:
        """The open tenants, by canonical ContextIdentifier."""
        return {self._names[key]: services for key, services in self._open.items()}

    # -- lookups ----------------------------------------------------------------------------------

    def cached(self, context_identifier: str) -> Services | None:
        """The tenant's services if it is open and its registration was confirmed within
        ``REVALIDATE`` seconds (the hot path of every request: two dict lookups); else ``None``
        (then :meth:`get` confirms it)."""
        key = context_identifier.lower()
        found = self._open.get(key)
        if found is None or key == self._default_key:
            return found
        if time.monotonic() - self._seen[key][1] > REVALIDATE:
            return None
        return found

    async def get(self, context_identifier: str) -> Services:
        """The tenant's services, opened on first use; ``TenantNotFound`` for an unknown one.

        An open tenant's registration is read again at most every ``REVALIDATE`` seconds: a
        tenant another process removed (or removed and created again) is closed here too.
        """
        key = tenant_key(context_identifier)
        found = self.cached(key)
        if found is not None:
            return found
        async with self._lock(key):
            found = self.cached(key)
            if found is not None:
                return found
            info = await self.default.store.tenants.find(key)
            stale = self._open.get(key)
            if stale is not None and (info is None or info.created != self._seen[key][0]):
                self._open.pop(key)
                self._seen.pop(key)
                await self._closing(self._names.pop(key), stale)
                stale = None
            if info is None or self._closed:
                raise TenantNotFound(context_identifier)
            if stale is not None:
                self._seen[key] = (info.created, time.monotonic())
                return stale
            return await self._opening(info)

    async def list(self) -> list[TenantInfo]:
        """Every tenant, the default one first (its ``created`` is ``None``)."""
        return [TenantInfo(self.default_context, None), *await self.default.store.tenants.all()]

    async def exists(self, context_identifier: str) -> bool:
        """Whether the tenant is registered (or is the default)."""
        key = tenant_key(context_identifier)
        return key in self._open or await self.default.store.tenants.find(key) is not None

    # -- changes ----------------------------------------------------------------------------------

    async def add(self, context_identifier: str | None = None) -> TenantInfo:
        """Register and create a tenant (a ``Cust`` + 5 digits name when ``None``), and open it.

        ``InvalidInput`` for a name that cannot be a ContextIdentifier, ``Conflict`` when taken.
        """
        if context_identifier is None:
            context_identifier = await self._new_name()
        name = check_context_identifier(context_identifier)
        key = tenant_key(name)
        if key == self._default_key:
            raise Conflict(f"tenant {name!r} exists")
        async with self._lock(key):
            info = TenantInfo(name, self.default.clock.now())
            try:  # the primary key decides, across processes
                await self.default.store.tenants.add(info)
            except Conflict:
                raise Conflict(f"tenant {name!r} exists") from None
            try:
                stored = await self.default.store.tenants.find(key)  # as the database keeps it
                await self._provisioner.create(name)
                await self._opening(stored or info)
            except BaseException:
                await self.default.store.tenants.remove(key)
                raise
        log.info("tenant %s added", name)
        return info

    async def remove(self, context_identifier: str) -> None:
        """Close and delete a tenant: its database, files and registration."""
        key = tenant_key(context_identifier)
        if key == self._default_key:
            raise InvalidInput(f"the default tenant {self.default_context!r} cannot be removed")
        async with self._lock(key):
            info = await self.default.store.tenants.find(key)
            if info is None:
                raise TenantNotFound(context_identifier)
            services = self._open.pop(key, None)
            self._names.pop(key, None)
            self._seen.pop(key, None)
            if services is not None:
                await self._closing(info.context_identifier, services)
            await self.default.store.tenants.remove(key)
            await self._provisioner.drop(info.context_identifier)
        log.info("tenant %s removed", info.context_identifier)

    async def reset(self, context_identifier: str, *, users: bool = False) -> None:
        """Empty a tenant as a fresh one: tasks, events, files, change log (users too with
        ``users``); ids start at 1 again."""
        services = await self.get(context_identifier)
        name = services.settings.context_identifier
        await self._provisioner.reset(services, users=users)
        for callback in self._on_reset:
            await callback(name, services, users)

    async def close(self) -> None:
        """Close every open tenant but the default one (whose owner closes it)."""
        self._closed = True
        for key in [k for k in self._open if k != self._default_key]:
            services = self._open.pop(key)
            self._seen.pop(key, None)
            await self._closing(self._names.pop(key), services)

    async def open_all(self) -> None:
        """Open every registered tenant (``serve``: their queued tasks must run)."""
        for info in await self.default.store.tenants.all():
            try:
                await self.get(info.context_identifier)
            except Exception:  # one broken tenant must not keep the server from starting
                log.exception("tenant %s could not be opened", info.context_identifier)

    # -- internals --------------------------------------------------------------------------------

    def _lock(self, key: str) -> asyncio.Lock:
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        return lock

    async def _opening(self, info: TenantInfo) -> Services:
        name = info.context_identifier
        services = await self._provisioner.open(name)
        key = info.key
        self._open[key] = services
        self._names[key] = name
        self._seen[key] = (info.created, time.monotonic())
        try:
            for callback in self._on_open:
                await callback(name, services)
        except BaseException:
            self._open.pop(key, None)
            self._names.pop(key, None)
            self._seen.pop(key, None)
            await self._provisioner.close(services)
            raise
        return services

    async def _closing(self, name: str, services: Services) -> None:
        for callback in self._on_close:
            try:
                await callback(name, services)
            except Exception:
                log.exception("closing tenant %s: a callback failed", name)
        await self._provisioner.close(services)

    async def _new_name(self) -> str:
        for _ in range(100):
            name = f"Cust{secrets.randbelow(90000) + 10000}"
            if not await self.exists(name):
                return name
        raise Conflict("no free ContextIdentifier found")
