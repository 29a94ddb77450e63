"""``batchtask.client.AsyncClient`` against the real server: the same calls, awaited."""

from __future__ import annotations

import pytest

from batchtask.client import (
    AsyncClient,
    BatchTaskInfo,
    BatchTaskState,
    Forbidden,
    InvalidInput,
    NotFound,
    Unauthorized,
)
from tests.integration.conftest import PASSWORD, LiveServer

pytestmark = pytest.mark.anyio


def client_for(server: LiveServer, name: str = "alice", password: str = PASSWORD) -> AsyncClient:
    """An async client with Basic credentials."""
    return AsyncClient(server.base_url, username=name, password=password)


async def test_rest_calls(server: LiveServer) -> None:
    """login, start, get, update, stop, delete — awaited, with the same results as Client."""
    async with client_for(server) as client:
        ticket = await client.login()
        assert ticket.startswith("7T:")
        info = await client.start("batchtask.sleep", {"k": "v"}, description="async")
        assert info.state is BatchTaskState.New
        assert info.parameter_object == {"k": "v"}
        assert (await client.get(info.id)).description == "async"
        assert (await client.update(info.id, description="changed")).description == "changed"
        assert await client.stop(info.id) is True
        assert (await client.get(info.id)).state is BatchTaskState.Failed
        await client.delete(info.id)
        with pytest.raises(NotFound):
            await client.get(info.id)


async def test_list_pages_lazily_with_concurrent_reads(server: LiveServer) -> None:
    """async for over list(): every task in order, pages read as they are reached."""
    async with client_for(server, "admin") as client:
        ids = [(await client.start("batchtask.sleep")).id for _ in range(11)]
        assert [info.id async for info in client.list(page_size=4)] == ids
        filtered = client.list(
            filter="StartCount eq 0 and DefinitionName begins 'batchtask'", page_size=3
        )
        assert [info.id async for info in filtered] == ids
        tasks = client.list(page_size=2)
        assert (await anext(tasks)).id == ids[0]
        for task_id in ids[2:]:
            await client.delete(task_id)
        assert [info.id async for info in tasks] == [ids[1]]


async def test_error_mapping(server: LiveServer) -> None:
    """401, 403, 404 and 400 raise the same classes as in Client."""
    async with client_for(server, "bob") as bob:
        bobs = (await bob.start("batchtask.sleep")).id
    async with client_for(server) as alice:
        with pytest.raises(NotFound):
            await alice.get(777_777)
        with pytest.raises(Forbidden) as forbidden:
            await alice.delete(bobs)
        assert forbidden.value.status == 403
        with pytest.raises(InvalidInput) as invalid:
            await alice.update(bobs, state="Sideways")
        assert invalid.value.body["ErrorType"] == invalid.value.error_type
    async with client_for(server, password="wrong") as wrong:
        with pytest.raises(Unauthorized):
            await wrong.get(bobs)


async def test_agents(server: LiveServer) -> None:
    """The agent namespace, awaited: start, get (None when missing), by state, update, delete."""
    async with client_for(server) as client:
        agents = client.agents
        task_id = await agents.start_batch_job(BatchTaskInfo(name="batchtask.sleep"))
        assert (await agents.get_batch_task_info(task_id)) is not None
        assert await agents.get_batch_task_info(999_999) is None
        assert [t.id for t in await agents.get_batch_task_infos_by_state("New")] == [task_id]
        assert [t.id for t in await agents.get_all_batch_task_infos_by_name("")] == [task_id]
        assert await agents.get_system_batch_task_infos_by_name("") == []
        found = await agents.get_batch_task_infos_by_associates_and_state([-1], "New")
        assert [t.id for t in found] == [task_id]
        assert await agents.stop_batch_job(task_id) is True
        await agents.delete_batch_tasks([task_id])
        assert await agents.get_batch_task_infos_by_associates([]) == []
