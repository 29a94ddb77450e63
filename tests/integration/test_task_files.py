"""GET /admin/api/tasks/{id}/file: the file a task produced, for anyone who may read the task."""

from __future__ import annotations

from batchtask.domain.task import TaskOutcome
from tests.integration.conftest import LiveServer
from tests.integration.test_seed_endpoint import basic, make_task


def give_file(server: LiveServer, task_id: int, name: str, content: bytes) -> None:
    """Write a task's file where workers put it and record its FileName."""
    folder = server.settings.files_path / str(task_id)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(content)
    server.call(
        lambda s: s.store.tasks.record_outcome(
            task_id, TaskOutcome(file_name=name), now=server.clock.now(), actor="test"
        )
    )


def test_owner_and_other_users_download_the_file(server: LiveServer) -> None:
    """The file comes back as an attachment to the owner and to readers alike."""
    task_id = make_task(server, "alice")
    give_file(server, task_id, "export.csv", b"Id,State\n1,New\n")
    with server.client() as client:
        for user in ("alice", "bob"):
            response = client.get(f"/admin/api/tasks/{task_id}/file", headers=basic(user))
            assert response.status_code == 200
            assert response.content == b"Id,State\n1,New\n"
            assert "export.csv" in response.headers["content-disposition"]


def test_missing_file_task_or_credentials(server: LiveServer) -> None:
    """No file, no task, no credentials: 404, 404, 401 with the error object."""
    task_id = make_task(server, "alice")
    with server.client() as client:
        no_file = client.get(f"/admin/api/tasks/{task_id}/file", headers=basic("alice"))
        no_task = client.get("/admin/api/tasks/4242/file", headers=basic("alice"))
        anonymous = client.get(f"/admin/api/tasks/{task_id}/file")
    assert (no_file.status_code, no_task.status_code, anonymous.status_code) == (404, 404, 401)
    assert no_file.json()["Error"] is True


def test_file_names_cannot_escape_the_folder(server: LiveServer) -> None:
    """A stored FileName with a path is never followed outside the task's folder."""
    task_id = make_task(server, "alice")
    server.call(
        lambda s: s.store.tasks.record_outcome(
            task_id, TaskOutcome(file_name="../../etc/passwd"), now=server.clock.now(), actor="t"
        )
    )
    with server.client() as client:
        response = client.get(f"/admin/api/tasks/{task_id}/file", headers=basic("alice"))
    assert response.status_code == 404
    assert "root:" not in response.text


def test_deleting_a_task_deletes_its_files(server: LiveServer) -> None:
    """Issue 11 #10: DELETE (REST), DeleteBatchTasks (agent) and the admin API's delete and bulk
    delete remove ``files/<id>/`` with the task; other tasks' files stay."""
    ids = [make_task(server, "alice") for _ in range(5)]
    for task_id in ids:
        give_file(server, task_id, "export.csv", b"Id\n")
    folders = [server.settings.files_path / str(task_id) for task_id in ids]
    with server.client() as client:
        alice = basic("alice")
        assert client.delete(f"/api/v1/BatchTask/{ids[0]}", headers=alice).status_code == 204
        assert client.post("/api/v1/Agents/Batch/DeleteBatchTasks",
                           json={"BatchTaskIds": [ids[1]]}, headers=alice).status_code == 204  # fmt: skip
        assert client.delete(f"/admin/api/tasks/{ids[2]}", headers=alice).status_code == 204
        bulk = client.post(
            "/admin/api/tasks/bulk",
            json={"Action": "Delete", "Ids": [ids[3]]},
            headers=basic("admin"),
        )
        assert bulk.status_code == 200, bulk.text
    assert [folder.exists() for folder in folders] == [False, False, False, False, True]
