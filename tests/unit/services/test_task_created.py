"""``TaskService.on_created``: how a tenant's idle worker hears of a task created through the API."""

from __future__ import annotations

import pytest

from batchtask.domain.errors import InvalidInput
from batchtask.domain.user import AuthMethod, Principal, Role
from batchtask.services.tasks import TaskDraft, TaskService
from batchtask.storage.memory import MemoryStore
from tests.conftest import FakeClock

pytestmark = pytest.mark.anyio


async def test_every_created_task_is_announced_once(clock: FakeClock) -> None:
    store = MemoryStore()
    tasks = TaskService(store, clock)
    heard: list[str] = []
    tasks.on_created(lambda: heard.append("a"))
    tasks.on_created(lambda: heard.append("b"))
    user = await store.users.add("boss", "hash", Role.admin, display_name="", now=clock.now())
    principal = Principal(user, AuthMethod.basic)
    await tasks.create(principal, TaskDraft(name="x"))
    assert heard == ["a", "b"]
    with pytest.raises(InvalidInput):
        await tasks.create(principal, TaskDraft(name=" "))
    assert heard == ["a", "b"]  # nothing created, nothing announced
    tasks.work_may_be_waiting()
    assert heard == ["a", "b", "a", "b"]
