"""``TenantDirectory``: names, registration races, callbacks, failures (over SQLite files in a
temporary folder: settings accept no ``memory://`` URL)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from batchtask.bootstrap import TenantProvisioning, close_services, open_directory, tenant_settings
from batchtask.config import Settings
from batchtask.domain.errors import Conflict, InvalidInput
from batchtask.domain.tenant import TenantNotFound, check_context_identifier
from batchtask.services import tenants as tenants_module
from batchtask.services.container import Services
from batchtask.services.tenants import TenantDirectory

pytestmark = pytest.mark.anyio


def settings(folder: Path) -> Settings:
    return Settings(
        database_url=f"sqlite:///{folder / 'bt.db'}", argon2_memory_cost=64,
        sqlite_synchronous="NORMAL",
    )  # fmt: skip


@pytest.fixture
async def directory(tmp_path: Path) -> AsyncIterator[TenantDirectory]:
    opened = await open_directory(settings(tmp_path))
    try:
        yield opened
    finally:
        await opened.close()
        await close_services(opened.default)


async def test_names_are_checked_and_keys_ignore_case(directory: TenantDirectory) -> None:
    for bad in ("", "admin", "API", "Cust-1", "x" * 65, "Cust\u212a"):
        with pytest.raises(InvalidInput):
            await directory.add(bad)
    with pytest.raises(Conflict):
        await directory.add("cust00000")  # the default tenant
    info = await directory.add("CustA")
    assert info.context_identifier == "CustA"
    with pytest.raises(Conflict):
        await directory.add("CUSTA")
    assert (await directory.get("custa")).settings.context_identifier == "CustA"
    assert directory.cached("CUSTA") is not None
    assert directory.cached("CustB") is None
    generated = await directory.add()
    assert re.fullmatch(r"Cust\d{5}", generated.context_identifier)
    listed = [t.context_identifier for t in await directory.list()]
    assert listed == ["Cust00000", "CustA", generated.context_identifier]
    assert check_context_identifier("Cust1") == "Cust1"


async def test_concurrent_adds_of_one_name_make_one_tenant(directory: TenantDirectory) -> None:
    results = await asyncio.gather(
        *(directory.add("CustRace") for _ in range(5)), return_exceptions=True
    )
    assert sum(not isinstance(r, BaseException) for r in results) == 1
    assert all(isinstance(r, Conflict) for r in results if isinstance(r, BaseException))


async def test_unknown_and_default_tenants(directory: TenantDirectory) -> None:
    with pytest.raises(TenantNotFound):
        await directory.get("Nobody")
    with pytest.raises(TenantNotFound):
        await directory.remove("Nobody")
    with pytest.raises(InvalidInput):
        await directory.remove("Cust00000")
    assert await directory.get("CUST00000") is directory.default
    assert await directory.exists("cust00000")
    assert not await directory.exists("Nobody")


async def test_callbacks_follow_a_tenants_life(directory: TenantDirectory) -> None:
    seen: list[tuple[str, str]] = []

    async def opened(ctx: str, services: Services) -> None:
        seen.append(("open", ctx))

    async def closed(ctx: str, services: Services) -> None:
        seen.append(("close", ctx))

    async def reset(ctx: str, services: Services, users: bool) -> None:
        seen.append(("reset", f"{ctx}:{users}"))

    directory.on_open(opened)
    directory.on_close(closed)
    directory.on_reset(reset)
    await directory.add("CustL")
    await directory.reset("custl", users=True)
    await directory.reset("Cust00000")
    await directory.remove("CUSTL")
    assert seen == [
        ("open", "CustL"), ("reset", "CustL:True"), ("reset", "Cust00000:False"),
        ("close", "CustL"),
    ]  # fmt: skip
    assert set(directory.opened()) == {"Cust00000"}


async def test_a_tenant_that_cannot_open_is_not_registered(tmp_path: Path) -> None:
    base = settings(tmp_path)

    class Failing(TenantProvisioning):
        async def open(self, context_identifier: str) -> Services:
            raise RuntimeError("cannot open")

    default = (await open_directory(base)).default
    directory = TenantDirectory(default, Failing(base, lambda _ctx: default.clock))
    try:
        with pytest.raises(RuntimeError):
            await directory.add("CustX")
        assert not await directory.exists("CustX")
        await directory.open_all()  # nothing registered, nothing to open
    finally:
        await directory.close()
        await close_services(default)


async def test_reopened_after_close_and_open_all(directory: TenantDirectory) -> None:
    await directory.add("CustO")
    first = await directory.get("CustO")
    await directory.close()
    with pytest.raises(TenantNotFound):  # a closed directory opens nothing any more
        await directory.get("CustO")
    again = TenantDirectory(
        directory.default, TenantProvisioning(settings_of(directory), lambda _c: first.clock)
    )
    await again.open_all()
    assert set(again.opened()) == {"Cust00000", "CustO"}
    await again.close()


def settings_of(directory: TenantDirectory) -> Settings:
    return directory.default.settings


def test_tenant_settings() -> None:
    base = Settings(database_url="sqlite:////data/bt.db", files_dir="/data/files")
    assert tenant_settings(base, "cust00000") is base
    other = tenant_settings(base, "CustA")
    assert other.context_identifier == "CustA"
    assert other.database_url == "sqlite:////data/bt.db.tenants/custa.sqlite3"
    assert str(other.files_path) == "/data/files.tenants/custa"


async def test_a_tenant_removed_by_another_process_is_closed_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two directories on one database, as two server processes: what one removes (or removes
    and creates again) the other stops serving once it reads the registration again."""
    monkeypatch.setattr(tenants_module, "REVALIDATE", 0.0)
    base = settings(tmp_path)
    one, two = await open_directory(base), await open_directory(base)
    closed: list[str] = []

    async def closing(ctx: str, services: Services) -> None:
        closed.append(ctx)

    two.on_close(closing)
    try:
        await one.add("CustP")
        first = await two.get("CustP")
        assert await two.get("custp") is first  # still registered: the same services
        await one.remove("CustP")
        with pytest.raises(TenantNotFound):
            await two.get("CustP")
        assert closed == ["CustP"]
        await one.add("CustP")
        second = await two.get("CustP")
        assert second is not first
        await one.remove("CustP")
        await one.add("CustP")  # removed and created again: a new registration
        assert await two.get("CustP") is not second
        assert closed == ["CustP", "CustP"]
    finally:
        for directory in (one, two):
            await directory.close()
            await close_services(directory.default)
