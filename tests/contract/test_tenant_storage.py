"""Tenant storage on every store: the registry of the default database, and the reset that makes a
database look like a fresh tenant's (ids from 1, users kept unless asked, change numbers grow)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from batchtask.domain.errors import Conflict
from batchtask.domain.ports import Store
from batchtask.domain.task import NewTask
from batchtask.domain.tenant import TenantInfo
from batchtask.domain.user import Role
from batchtask.storage.schema_reset import deletion_order
from tests.conftest import FakeClock

pytestmark = pytest.mark.anyio


async def test_registry_adds_finds_lists_and_removes(store: Store, clock: FakeClock) -> None:
    later = clock.now() + timedelta(seconds=1)
    await store.tenants.add(TenantInfo("CustB", later))
    await store.tenants.add(TenantInfo("CustA", clock.now()))
    with pytest.raises(Conflict):
        await store.tenants.add(TenantInfo("custa", later))  # keys are case-insensitive
    assert await store.tenants.find("custa") == TenantInfo("CustA", clock.now())
    assert await store.tenants.find("custc") is None
    assert [t.context_identifier for t in await store.tenants.all()] == ["CustA", "CustB"]
    assert await store.tenants.remove("custb") is True
    assert await store.tenants.remove("custb") is False
    assert await store.tenants.all() == [TenantInfo("CustA", clock.now())]


async def _task(store: Store, clock: FakeClock, name: str = "x") -> int:
    return await store.tasks.create(
        NewTask(name=name, associate_id=1, parameters={"k": "v"}),
        now=clock.now(), actor="associate:1",
    )  # fmt: skip


async def test_reset_keeps_users_and_restarts_ids(store: Store, clock: FakeClock) -> None:
    user = await store.users.add("boss", "hash", Role.admin, display_name="", now=clock.now())
    await store.tenants.add(TenantInfo("CustA", clock.now()))
    for _ in range(3):
        await _task(store, clock)
    before = await store.changes.latest()
    await store.reset(users=False)
    assert await store.tasks.get(1) is None
    assert await store.tasks.events(1) == []
    assert await store.users.by_name("boss") == user
    assert await store.tenants.find("custa") is not None  # the registry is never emptied
    assert await store.changes.latest() >= before  # change numbers only grow
    assert await _task(store, clock) == 1
    assert await store.changes.latest() > before


async def test_reset_with_users(store: Store, clock: FakeClock) -> None:
    await store.users.add("boss", "hash", Role.admin, display_name="", now=clock.now())
    await _task(store, clock)
    await store.reset(users=True)
    assert await store.users.by_name("boss") is None
    assert await store.users.all() == []
    again = await store.users.add("boss", "hash", Role.admin, display_name="", now=clock.now())
    assert again.associate_id == 1
    assert await _task(store, clock) == 1


def test_deletion_order_puts_children_first() -> None:
    order = deletion_order(
        ["associate", "credential", "binaryobject", "binaryobjectlink", "batchtask"],
        [("credential", "associate"), ("binaryobjectlink", "binaryobject"), ("x", "y")],
    )
    assert order.index("credential") < order.index("associate")
    assert order.index("binaryobjectlink") < order.index("binaryobject")
    assert sorted(order) == sorted(
        ["associate", "credential", "binaryobject", "binaryobjectlink", "batchtask"]
    )
