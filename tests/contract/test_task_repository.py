"""The task repository behaves the same on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from batchtask.domain.ports import Store, TaskFilter
from batchtask.domain.state import BatchTaskState, CancellationBehaviour
from batchtask.domain.task import BINARY_OBJECT_TABLE, NewTask, TaskUpdate
from tests.conftest import FakeClock
from tests.contract.backdoor import blob_count

pytestmark = pytest.mark.anyio


async def test_create_then_get_round_trips_every_field(store: Store, clock: FakeClock) -> None:
    """A created task reads back with the client's fields and the server's defaults."""
    new = NewTask(
        name="batchtask.sleep",
        associate_id=7,
        description="Describe ø",
        request="req",
        context="ctx",
        database_serial_number="697007",
        file_name="f.csv",
        parameters={"seconds": "2", "ключ": "значение"},
    )
    task_id = await store.tasks.create(new, now=clock.now(), actor="associate:7")
    task = await store.tasks.get(task_id)
    assert task is not None
    assert task.id == task_id
    assert task.name == "batchtask.sleep"
    assert task.associate_id == 7
    assert task.state is BatchTaskState.New
    assert task.parameters == {"seconds": "2", "ключ": "значение"}
    assert task.details_table == BINARY_OBJECT_TABLE
    assert task.details_record > 0
    assert task.created == clock.now()
    assert task.last_started is None
    assert (task.description, task.request, task.context) == ("Describe ø", "req", "ctx")
    assert task.database_serial_number == "697007"
    assert task.file_name == "f.csv"
    assert task.start_count == 0
    assert task.cancellation_behaviour is CancellationBehaviour.CanCancel


async def test_task_without_parameters_keeps_given_details(store: Store, clock: FakeClock) -> None:
    """Without a ParameterObject, DetailsTable/DetailsRecord are stored as given."""
    task_id = await store.tasks.create(
        NewTask(name="x", associate_id=1, details_table=113, details_record=822),
        now=clock.now(),
        actor="t",
    )
    task = await store.tasks.get(task_id)
    assert task is not None
    assert (task.details_table, task.details_record, task.parameters) == (113, 822, {})


async def test_get_missing_is_none(store: Store) -> None:
    """An unknown id reads as None."""
    assert await store.tasks.get(424242) is None


async def test_definitions_are_created_lazily_once(store: Store, clock: FakeClock) -> None:
    """Two tasks of one name (any case) share one definition."""
    first = await store.tasks.create(
        NewTask(name="Export", associate_id=1), now=clock.now(), actor="t"
    )
    second = await store.tasks.create(
        NewTask(name="export", associate_id=1), now=clock.now(), actor="t"
    )
    a, b = await store.tasks.get(first), await store.tasks.get(second)
    assert a is not None
    assert b is not None
    assert a.definition_id == b.definition_id
    assert b.name == "Export"


async def test_update_changes_only_given_fields_and_logs_state(
    store: Store, clock: FakeClock
) -> None:
    """PUT semantics: None leaves a field alone; a state change is logged."""
    task_id = await store.tasks.create(
        NewTask(name="x", associate_id=1, description="d", request="r"), now=clock.now(), actor="t"
    )
    clock.advance(5)
    task = await store.tasks.update(
        task_id,
        TaskUpdate(state=BatchTaskState.Failed, response="boom"),
        now=clock.now(),
        actor="associate:1",
    )
    assert task is not None
    assert (task.state, task.description, task.response, task.request) == (
        BatchTaskState.Failed,
        "d",
        "boom",
        "r",
    )
    events = await store.tasks.events(task_id)
    assert [(e.from_state, e.to_state) for e in events] == [
        (None, BatchTaskState.New),
        (BatchTaskState.New, BatchTaskState.Failed),
    ]


async def test_update_missing_is_none(store: Store, clock: FakeClock) -> None:
    """Updating an unknown id changes nothing."""
    assert (
        await store.tasks.update(99, TaskUpdate(description="x"), now=clock.now(), actor="t")
        is None
    )


async def test_delete_removes_task_and_blob(store: Store, clock: FakeClock) -> None:
    """DELETE removes the row, its link and blob; deleting again removes nothing."""
    task_id = await store.tasks.create(
        NewTask(name="x", associate_id=1, parameters={"a": "b"}), now=clock.now(), actor="t"
    )
    assert await store.tasks.delete([task_id], now=clock.now(), actor="t") == 1
    assert await store.tasks.get(task_id) is None
    assert await store.tasks.delete([task_id], now=clock.now(), actor="t") == 0
    assert await blob_count(store) == 0


async def test_find_filters_by_owner_state_and_name(store: Store, clock: FakeClock) -> None:
    """find() combines owner, user/system, state and case-insensitive name filters."""
    now = clock.now()
    ids = [
        await store.tasks.create(NewTask(name="a", associate_id=0), now=now, actor="t"),
        await store.tasks.create(NewTask(name="a", associate_id=1), now=now, actor="t"),
        await store.tasks.create(NewTask(name="b", associate_id=2), now=now, actor="t"),
    ]
    await store.tasks.update(ids[2], TaskUpdate(state=BatchTaskState.Succeeded), now=now, actor="t")

    async def found(**kwargs: object) -> list[int]:
        return [task.id for task in await store.tasks.find(TaskFilter(**kwargs))]  # type: ignore[arg-type]

    assert await found() == ids
    assert await found(system_tasks_only=True) == [ids[0]]
    assert await found(user_tasks_only=True) == ids[1:]
    assert await found(associate_ids=[1, 2]) == ids[1:]
    assert await found(associate_ids=[]) == []
    assert await found(state=BatchTaskState.Succeeded) == [ids[2]]
    assert await found(state=BatchTaskState.All) == ids
    # keyset pages (issue 11 #6: lists are streamed a page at a time)
    assert await found(limit=2) == ids[:2]
    assert await found(after_id=ids[0], limit=1) == [ids[1]]
    assert await found(after_id=ids[1], user_tasks_only=True) == [ids[2]]
    assert await found(after_id=ids[2]) == []
    assert await found(name="A") == ids[:2]


async def test_next_id_moves_the_sequence_up_never_down(store: Store, clock: FakeClock) -> None:
    """The seed's ids: a peek changes nothing; ``at_least`` skips ids; lower asks are ignored."""
    assert await store.tasks.next_id() == 1
    assert await store.tasks.next_id() == 1
    first = await store.tasks.create(NewTask("x", 1), now=clock.now(), actor="t")
    assert first == 1
    assert await store.tasks.next_id(at_least=7) == 7
    assert await store.tasks.create(NewTask("x", 1), now=clock.now(), actor="t") == 7
    assert await store.tasks.next_id(at_least=3) == 8
    await store.tasks.delete([7], now=clock.now(), actor="t")
    assert await store.tasks.next_id() == 8
    assert await store.tasks.create(NewTask("x", 1), now=clock.now(), actor="t") == 8
