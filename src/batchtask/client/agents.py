"""``client.agents``: the 15 methods of SuperOffice's Batch agent (``POST Agents/Batch/<Method>``).

Names are the agent's in snake_case, parameters its PascalCase body keys in snake_case. Agent
conventions are SuperOffice's, not REST's: a missing task is ``None``, not ``NotFound``.
``associate_ids``: empty = all tasks, ``[0]`` = system tasks, ``[-1]`` = all users' tasks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from batchtask.client.call import (
    AsyncSend,
    Call,
    Send,
    read_bool,
    read_carrier_or_none,
    read_carriers,
    read_int,
    read_nothing,
)
from batchtask.client.info import BatchTaskInfo
from batchtask.client.rest import state_name
from batchtask.domain.state import BatchTaskState

T = TypeVar("T")
State = BatchTaskState | str
Infos = list[BatchTaskInfo]


class AgentCalls:
    """Builders of the agent calls under one API prefix."""

    def __init__(self, api: str) -> None:
        self._base = f"{api}/Agents/Batch"

    def _call(self, method: str, read: Callable[[Any], T], **body: Any) -> Call[T]:
        return Call("POST", f"{self._base}/{method}", read, json=body)

    def get_batch_task_info(self, id: int) -> Call[BatchTaskInfo | None]:
        return self._call("GetBatchTaskInfo", read_carrier_or_none, Id=id)

    def by_associates(self, ids: Sequence[int], state: State | None = None) -> Call[Infos]:
        if state is None:
            return self._call("GetBatchTaskInfosByAssociates", read_carriers, AssociateIds=ids)
        return self._call(
            "GetBatchTaskInfosByAssociatesAndState",
            read_carriers,
            AssociateIds=list(ids),
            State=state_name(state),
        )

    def by_name_and_associates(self, name: str, ids: Sequence[int]) -> Call[Infos]:
        return self._call(
            "GetBatchTaskInfosByNameAndAssociates", read_carriers, Name=name, AssociateIds=ids
        )

    def by_name_and_state(self, name: str, state: State) -> Call[Infos]:
        return self._call(
            "GetBatchTaskInfosByNameAndState", read_carriers, Name=name, State=state_name(state)
        )

    def by_state(self, state: State) -> Call[Infos]:
        return self._call("GetBatchTaskInfosByState", read_carriers, State=state_name(state))

    def by_task_name(self, scope: str, task_name: str, state: State | None) -> Call[Infos]:
        """``Get{All,System}BatchTaskInfosByName[AndState]``."""
        if state is None:
            return self._call(f"Get{scope}BatchTaskInfosByName", read_carriers, TaskName=task_name)
        return self._call(
            f"Get{scope}BatchTaskInfosByNameAndState",
            read_carriers,
            TaskName=task_name,
            State=state_name(state),
        )

    def start_batch_job(self, info: BatchTaskInfo) -> Call[int]:
        return self._call("StartBatchJob", read_int, BatchTaskInfo=info.to_wire())

    def stop_batch_job(self, id: int) -> Call[bool]:
        return self._call("StopBatchJob", read_bool, Id=id)

    def update_batch_task(self, info: BatchTaskInfo) -> Call[BatchTaskInfo | None]:
        return self._call("UpdateBatchTask", read_carrier_or_none, BatchTaskInfo=info.to_wire())

    def delete_batch_task(self, batch_task_id: int) -> Call[None]:
        return self._call("DeleteBatchTask", read_nothing, BatchTaskId=batch_task_id)

    def delete_batch_tasks(self, batch_task_ids: Sequence[int]) -> Call[None]:
        return self._call("DeleteBatchTasks", read_nothing, BatchTaskIds=list(batch_task_ids))


class Agents:
    """The Batch agent, blocking (``Client.agents``)."""

    def __init__(self, send: Send, api: str) -> None:
        self._send = send
        self._calls = AgentCalls(api)

    def get_batch_task_info(self, id: int) -> BatchTaskInfo | None:
        """One task, or ``None`` when it does not exist."""
        return self._send(self._calls.get_batch_task_info(id))

    def get_batch_task_infos_by_associates(self, associate_ids: Sequence[int]) -> Infos:
        """Tasks of these owners."""
        return self._send(self._calls.by_associates(list(associate_ids)))

    def get_batch_task_infos_by_associates_and_state(
        self, associate_ids: Sequence[int], state: State
    ) -> Infos:
        """Tasks of these owners in ``state``."""
        return self._send(self._calls.by_associates(list(associate_ids), state))

    def get_batch_task_infos_by_name_and_associates(
        self, name: str, associate_ids: Sequence[int]
    ) -> Infos:
        """Tasks of definition ``name`` (blank: all) and these owners."""
        return self._send(self._calls.by_name_and_associates(name, list(associate_ids)))

    def get_batch_task_infos_by_name_and_state(self, name: str, state: State) -> Infos:
        """Users' tasks of definition ``name`` in ``state`` (system tasks excluded)."""
        return self._send(self._calls.by_name_and_state(name, state))

    def get_batch_task_infos_by_state(self, state: State) -> Infos:
        """Users' tasks in ``state`` (system tasks excluded)."""
        return self._send(self._calls.by_state(state))

    def get_all_batch_task_infos_by_name(self, task_name: str) -> Infos:
        """System and user tasks of definition ``task_name`` (blank: all)."""
        return self._send(self._calls.by_task_name("All", task_name, None))

    def get_all_batch_task_infos_by_name_and_state(self, task_name: str, state: State) -> Infos:
        """System and user tasks of definition ``task_name`` in ``state``."""
        return self._send(self._calls.by_task_name("All", task_name, state))

    def get_system_batch_task_infos_by_name(self, task_name: str) -> Infos:
        """System tasks of definition ``task_name``."""
        return self._send(self._calls.by_task_name("System", task_name, None))

    def get_system_batch_task_infos_by_name_and_state(self, task_name: str, state: State) -> Infos:
        """System tasks of definition ``task_name`` in ``state``."""
        return self._send(self._calls.by_task_name("System", task_name, state))

    def start_batch_job(self, batch_task_info: BatchTaskInfo) -> int:
        """Start a job described by ``batch_task_info``; the new id."""
        return self._send(self._calls.start_batch_job(batch_task_info))

    def stop_batch_job(self, id: int) -> bool:
        """Stop a job; whether it was stopped."""
        return self._send(self._calls.stop_batch_job(id))

    def update_batch_task(self, batch_task_info: BatchTaskInfo) -> BatchTaskInfo | None:
        """Store State, Description, Response and Request of ``batch_task_info`` (by its id)."""
        return self._send(self._calls.update_batch_task(batch_task_info))

    def delete_batch_task(self, batch_task_id: int) -> None:
        """Delete one task."""
        self._send(self._calls.delete_batch_task(batch_task_id))

    def delete_batch_tasks(self, batch_task_ids: Sequence[int]) -> None:
        """Delete several tasks."""
        self._send(self._calls.delete_batch_tasks(batch_task_ids))


class AsyncAgents:
    """The Batch agent, awaitable (``AsyncClient.agents``); the same methods as :class:`Agents`."""

    def __init__(self, send: AsyncSend, api: str) -> None:
        self._send = send
        self._calls = AgentCalls(api)

    async def get_batch_task_info(self, id: int) -> BatchTaskInfo | None:
        """One task, or ``None`` when it does not exist."""
        return await self._send(self._calls.get_batch_task_info(id))

    async def get_batch_task_infos_by_associates(self, associate_ids: Sequence[int]) -> Infos:
        """Tasks of these owners."""
        return await self._send(self._calls.by_associates(list(associate_ids)))

    async def get_batch_task_infos_by_associates_and_state(
        self, associate_ids: Sequence[int], state: State
    ) -> Infos:
        """Tasks of these owners in ``state``."""
        return await self._send(self._calls.by_associates(list(associate_ids), state))

    async def get_batch_task_infos_by_name_and_associates(
        self, name: str, associate_ids: Sequence[int]
    ) -> Infos:
        """Tasks of definition ``name`` (blank: all) and these owners."""
        call = self._calls.by_name_and_associates(name, list(associate_ids))
        return await self._send(call)

    async def get_batch_task_infos_by_name_and_state(self, name: str, state: State) -> Infos:
        """Users' tasks of definition ``name`` in ``state`` (system tasks excluded)."""
        return await self._send(self._calls.by_name_and_state(name, state))

    async def get_batch_task_infos_by_state(self, state: State) -> Infos:
        """Users' tasks in ``state`` (system tasks excluded)."""
        return await self._send(self._calls.by_state(state))

    async def get_all_batch_task_infos_by_name(self, task_name: str) -> Infos:
        """System and user tasks of definition ``task_name`` (blank: all)."""
        return await self._send(self._calls.by_task_name("All", task_name, None))

    async def get_all_batch_task_infos_by_name_and_state(
        self, task_name: str, state: State
    ) -> Infos:
        """System and user tasks of definition ``task_name`` in ``state``."""
        return await self._send(self._calls.by_task_name("All", task_name, state))

    async def get_system_batch_task_infos_by_name(self, task_name: str) -> Infos:
        """System tasks of definition ``task_name``."""
        return await self._send(self._calls.by_task_name("System", task_name, None))

    async def get_system_batch_task_infos_by_name_and_state(
        self, task_name: str, state: State
    ) -> Infos:
        """System tasks of definition ``task_name`` in ``state``."""
        return await self._send(self._calls.by_task_name("System", task_name, state))

    async def start_batch_job(self, batch_task_info: BatchTaskInfo) -> int:
        """Start a job described by ``batch_task_info``; the new id."""
        return await self._send(self._calls.start_batch_job(batch_task_info))

    async def stop_batch_job(self, id: int) -> bool:
        """Stop a job; whether it was stopped."""
        return await self._send(self._calls.stop_batch_job(id))

    async def update_batch_task(self, batch_task_info: BatchTaskInfo) -> BatchTaskInfo | None:
        """Store State, Description, Response and Request of ``batch_task_info`` (by its id)."""
        call = self._calls.update_batch_task(batch_task_info)
        return await self._send(call)

    async def delete_batch_task(self, batch_task_id: int) -> None:
        """Delete one task."""
        await self._send(self._calls.delete_batch_task(batch_task_id))

    async def delete_batch_tasks(self, batch_task_ids: Sequence[int]) -> None:
        """Delete several tasks."""
        await self._send(self._calls.delete_batch_tasks(batch_task_ids))
