"""Where each tenant's rows live, and how its database is made and dropped (SPEC §11.1).

Every tenant but the default one has a database of its own, so isolation holds by construction —
no query can forget a tenant column, ids start at 1 per tenant, and removing a tenant is dropping
its database:

* SQLite ``sqlite:///data/batchtask.sqlite3`` → ``data/batchtask.sqlite3.tenants/<key>.sqlite3``.
  A new tenant is a copy of a migrated, empty *template* file kept in that folder (one per schema
  version), so creating one costs a file copy instead of running every migration (the issue's
  figure: ≤ 50 ms).
* PostgreSQL → the schema ``tenant_<key>`` of the same database, reached through ``search_path``
  (a connection parameter of the tenant's URL), migrated when created.
* ``memory://name`` → ``memory://name~<key>`` (a nameless ``memory://`` stays throw-away).

``key`` is the lower-case ContextIdentifier, ASCII letters and digits only (``domain.tenant``), so
it is safe as a file name and as a schema name.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from batchtask.domain.tenant import is_context_identifier
from batchtask.storage import migration
from batchtask.storage.memory import drop_memory
from batchtask.storage.sqlite import SqliteDatabase, path_from_url

SCHEMA_PREFIX = "tenant_"


def _checked(key: str) -> str:
    if not is_context_identifier(key) or key != key.lower():
        raise ValueError(f"not a tenant key: {key!r}")
    return key


def tenants_folder(database: Path) -> Path:
    """The folder of the tenants' SQLite files beside ``database``."""
    return database.with_name(database.name + ".tenants")


def tenant_url(url: str, key: str) -> str:
    """The database URL of tenant ``key`` when the default tenant's is ``url``."""
    _checked(key)
    if url.startswith("sqlite:///"):
        return f"sqlite:///{tenants_folder(path_from_url(url)) / f'{key}.sqlite3'}"
    if url.startswith(("postgresql://", "postgres://")):
        parts = urlsplit(url)
        query = "&".join(
            p for p in parts.query.split("&") if p and not p.startswith("search_path=")
        )
        query = "&".join(p for p in (query, f"search_path={SCHEMA_PREFIX}{key}") if p)
        return urlunsplit(parts._replace(query=query))
    if url.startswith("memory://"):
        name = url[len("memory://") :]
        return f"memory://{name}~{key}" if name else url
    raise ValueError(f"unsupported database URL: {url!r}")


async def create_tenant_database(
    url: str, key: str, *, now: datetime, synchronous: str = "FULL"
) -> None:
    """Make tenant ``key``'s empty, migrated database (a leftover of the same name is replaced)."""
    _checked(key)
    if url.startswith("sqlite:///"):
        folder = tenants_folder(path_from_url(url))
        template = await _template(folder, now=now, synchronous=synchronous)
        target = folder / f"{key}.sqlite3"
        _remove_sqlite(target)
        partial = folder / f".{key}.sqlite3.partial"
        shutil.copyfile(template, partial)
        os.replace(partial, target)
        return
    if url.startswith(("postgresql://", "postgres://")):
        from batchtask.storage.connect import open_database  # noqa: PLC0415 - avoids a cycle

        admin = await open_database(url, pool_size=1)
        try:
            await admin.execute(f'DROP SCHEMA IF EXISTS "{SCHEMA_PREFIX}{key}" CASCADE')
            await admin.execute(f'CREATE SCHEMA "{SCHEMA_PREFIX}{key}"')
        finally:
            await admin.close()
        db = await open_database(tenant_url(url, key), pool_size=1)
        try:
            await migration.upgrade(db, now)
        finally:
            await db.close()
        return
    if url.startswith("memory://"):
        drop_memory(tenant_url(url, key))
        return
    raise ValueError(f"unsupported database URL: {url!r}")


async def drop_tenant_database(url: str, key: str) -> None:
    """Delete tenant ``key``'s database (its store must be closed)."""
    _checked(key)
    if url.startswith("sqlite:///"):
        _remove_sqlite(tenants_folder(path_from_url(url)) / f"{key}.sqlite3")
    elif url.startswith(("postgresql://", "postgres://")):
        from batchtask.storage.connect import open_database  # noqa: PLC0415 - avoids a cycle

        admin = await open_database(url, pool_size=1)
        try:
            await admin.execute(f'DROP SCHEMA IF EXISTS "{SCHEMA_PREFIX}{key}" CASCADE')
        finally:
            await admin.close()
    elif url.startswith("memory://"):
        drop_memory(tenant_url(url, key))
    else:
        raise ValueError(f"unsupported database URL: {url!r}")


def _remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(FileNotFoundError):
            path.with_name(path.name + suffix).unlink()


async def _template(folder: Path, *, now: datetime, synchronous: str) -> Path:
    """The migrated empty database new tenants copy, made once per schema version."""
    version = max((m.version for m in migration.available("sqlite")), default=0)
    template = folder / f".template-{version:04d}.sqlite3"
    if template.exists():
        return template
    os.makedirs(folder, exist_ok=True)
    building = folder / f".template-{version:04d}.{os.getpid()}.building"
    _remove_sqlite(building)
    db = SqliteDatabase(building, synchronous=synchronous)
    try:
        await migration.upgrade(db, now)
    finally:
        await db.close()  # the last connection closing folds the WAL into the file
    os.replace(building, template)
    _remove_sqlite(building)
    return template
