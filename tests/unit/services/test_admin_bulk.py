"""Bulk actions over a filter: more than ``MAX_BULK`` matches are counted by a dry run and refused
by a real one (nothing changes); ``Edit`` is not a bulk action. On the in-memory store."""

from __future__ import annotations

import pytest

from batchtask.domain.actions import TaskAction
from batchtask.domain.errors import InvalidInput
from batchtask.domain.task import NewTask
from batchtask.domain.task_list import MAX_BULK, TaskSelection
from batchtask.domain.user import AuthMethod, Principal, Role, User
from batchtask.services.admin import AdminService
from batchtask.services.tasks import TaskService
from batchtask.storage.memory import MemoryStore
from tests.conftest import FakeClock

pytestmark = pytest.mark.anyio
ADMIN = Principal(User(1, "admin", "", Role.admin, True, ""), AuthMethod.basic)


async def test_a_filter_over_the_bulk_limit(store: MemoryStore, clock: FakeClock) -> None:
    """Dry run: the count; real run: 400; Edit and too many ids: 400; nothing changes."""
    admin = AdminService(store, clock, TaskService(store, clock))
    for _ in range(MAX_BULK + 1):
        await store.tasks.create(NewTask("batchtask.sleep", 7), now=clock.now(), actor="t")
    dry = await admin.bulk(ADMIN, TaskAction.Delete, selection=TaskSelection(), dry_run=True,
                           source="test")  # fmt: skip
    assert (dry.matched, dry.done, dry.skipped) == (MAX_BULK + 1, 0, [])
    with pytest.raises(InvalidInput, match=f"matches {MAX_BULK + 1} tasks"):
        await admin.bulk(ADMIN, TaskAction.Delete, selection=TaskSelection(), source="test")
    with pytest.raises(InvalidInput, match="Stop, Retry or Delete"):
        await admin.bulk(ADMIN, TaskAction.Edit, ids=[1], source="test")
    with pytest.raises(InvalidInput, match=f"at most {MAX_BULK} ids"):
        await admin.bulk(ADMIN, TaskAction.Stop, ids=range(1, MAX_BULK + 2), source="test")
    assert await store.admin.count(TaskSelection()) == MAX_BULK + 1  # none deleted
