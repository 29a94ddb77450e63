"""POST BatchTask/{id}/Stop and StopBatchJob (SPEC §8.4) for tasks in every state."""

from __future__ import annotations

import httpx

from batchtask.domain.state import BatchTaskState
from batchtask.domain.task import TaskOutcome
from tests.integration.conftest import LiveServer
from tests.integration.test_seed_endpoint import basic, make_task


def stop(
    server: LiveServer, task_id: object, user: str = "alice", accept: str = "application/json"
) -> httpx.Response:
    """POST …/Stop."""
    with server.client() as client:
        return client.post(
            f"/api/v1/BatchTask/{task_id}/Stop", headers={**basic(user), "Accept": accept}
        )


def state_of(server: LiveServer, task_id: int) -> dict[str, object]:
    """The task as alice sees it."""
    with server.client() as client:
        body: dict[str, object] = client.get(
            f"/api/v1/BatchTask/{task_id}", headers=basic("alice")
        ).json()
    return body


def set_state(server: LiveServer, task_id: int, state: BatchTaskState) -> None:
    """Move a task to a state as an executor would."""
    server.call(
        lambda s: s.store.tasks.record_outcome(
            task_id, TaskOutcome(state=state, start_count=1), now=server.clock.now(), actor="test"
        )
    )


def test_stopping_a_new_task_fails_it_at_once(server: LiveServer) -> None:
    """New → Failed with [SR_BATCH_CANCELLED]; the answer is true (XML: <boolean>true</boolean>)."""
    task_id = make_task(server, "alice")
    response = stop(server, task_id, accept="application/xml")
    assert response.status_code == 200
    assert response.text.endswith("<boolean>true</boolean>")
    body = state_of(server, task_id)
    assert (body["State"], body["Response"]) == ("Failed", "[SR_BATCH_CANCELLED]")


def test_stopping_a_started_task_requests_cancellation(server: LiveServer) -> None:
    """Started under a worker's lease → true; it stays Started until the worker acts on it."""
    task_id = make_task(server, "alice")
    set_state(server, task_id, BatchTaskState.Started)
    server.call(
        lambda s: s.store.db.execute(  # type: ignore[attr-defined]
            "UPDATE batchtask SET lease_owner = 'worker-1' WHERE batchtask_id = ?", task_id
        )
    )
    assert stop(server, task_id).json() is True
    task = server.call(lambda s: s.store.tasks.get(task_id))
    assert task is not None
    assert task.state is BatchTaskState.Started
    assert task.cancel_requested is not None


def test_a_started_task_nobody_runs_fails_at_once(server: LiveServer) -> None:
    """Started by an external executor (no local lease) → Failed at once, true."""
    task_id = make_task(server, "alice")
    set_state(server, task_id, BatchTaskState.Started)
    assert stop(server, task_id).json() is True
    assert state_of(server, task_id)["State"] == "Failed"


def test_finished_missing_foreign_and_odd_ids_answer_false(server: LiveServer) -> None:
    """Finished, missing, someone else's task, or a non-numeric id → false (never an error)."""
    done = make_task(server, "alice")
    set_state(server, done, BatchTaskState.Succeeded)
    foreign = make_task(server, "bob")
    assert stop(server, done).json() is False
    assert stop(server, 424242).json() is False
    assert stop(server, foreign).json() is False
    assert state_of(server, foreign)["State"] == "New"
    assert stop(server, "abc").json() is False


def test_cannot_cancel_definitions_refuse(server: LiveServer) -> None:
    """A definition marked CannotCancel answers false and the task keeps running."""
    task_id = make_task(server, "alice", name="uncancellable")
    server.call(
        lambda s: s.store.db.execute(  # type: ignore[attr-defined]
            "UPDATE batchtaskdefinition SET cancellation_behaviour = 2 WHERE name = 'uncancellable'"
        )
    )
    assert state_of(server, task_id)["CancellationBehaviour"] == "CannotCancel"
    assert stop(server, task_id).json() is False
    assert state_of(server, task_id)["State"] == "New"


def test_stop_batch_job_agent(server: LiveServer) -> None:
    """The agent answers the same booleans."""
    task_id = make_task(server, "alice")
    with server.client() as client:
        first = client.post(
            "/api/v1/Agents/Batch/StopBatchJob", json={"Id": task_id}, headers=basic("alice")
        )
        again = client.post(
            "/api/v1/Agents/Batch/StopBatchJob", json={"Id": task_id}, headers=basic("alice")
        )
    assert (first.json(), again.json()) == (True, False)
