"""Task use cases as the API sees them: every call runs as a ``Principal`` and respects §6 rights."""

from __future__ import annotations

from batchtask.domain.clock import Clock
from batchtask.domain.errors import TaskNotFound
from batchtask.domain.ports import Store
from batchtask.domain.rights import TaskRights, rights_for
from batchtask.domain.task import BatchTask
from batchtask.domain.user import Principal


class TaskService:
    """Reading and changing batch tasks on behalf of a caller."""

    def __init__(self, store: Store, clock: Clock, *, database_serial_number: str = "") -> None:
        self._store = store
        self._clock = clock
        self._serial = database_serial_number

    async def get(self, principal: Principal, task_id: int) -> tuple[BatchTask, TaskRights]:
        """One task with the caller's rights on it; every user may read every task (Select)."""
        task = await self._store.tasks.get(task_id)
        if task is None:
            raise TaskNotFound(task_id)
        return task, rights_for(principal, task)
