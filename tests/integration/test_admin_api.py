"""The admin API (SPEC §10.1) over real HTTP on both engines: every call, every refusal, and the
rights of an admin, the owner and another user (§6). Refused calls change nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from batchtask.domain.state import BatchTaskState
from batchtask.domain.task import TaskOutcome
from tests.integration.conftest import PASSWORD, LiveServer
from tests.integration.test_seed_endpoint import basic, make_task

API = "/admin/api"


def call(
    server: LiveServer, method: str, path: str, user: str = "alice", **kwargs: Any
) -> httpx.Response:
    """One admin API request as ``user`` (Basic)."""
    headers = {**basic(user), **kwargs.pop("headers", {})}
    with server.client() as client:
        return client.request(method, API + path, headers=headers, **kwargs)


def finish(server: LiveServer, task_id: int, state: BatchTaskState = BatchTaskState.Failed) -> None:
    """Move a task to a finished state as an executor would."""
    server.call(
        lambda s: s.store.tasks.record_outcome(
            task_id, TaskOutcome(state=state, start_count=1, response="boom"),
            now=server.clock.now(), actor="test",
        )
    )  # fmt: skip


def state_of(server: LiveServer, task_id: int) -> BatchTaskState | None:
    """The stored state, or None when the task is gone."""
    task = server.call(lambda s: s.store.tasks.get(task_id))
    return None if task is None else task.state


class TestList:
    def test_newest_first_with_count_and_next(self, server: LiveServer) -> None:
        """Default order is newest first; Count is the total; Next pages on with skip."""
        ids = [make_task(server, "alice", description=f"task {n}") for n in range(5)]
        body = call(server, "GET", "/tasks", params={"top": 2}).json()
        assert [row["Id"] for row in body["Tasks"]] == ids[::-1][:2]
        assert body["Count"] == 5
        assert "skip=2" in body["Next"]
        last = call(server, "GET", "/tasks", params={"top": 2, "skip": 4}).json()
        assert [row["Id"] for row in last["Tasks"]] == [ids[0]]
        assert last["Next"] is None

    def test_summary_fields_and_actions_follow_rights(self, server: LiveServer) -> None:
        """A row says who owns it and which actions the caller has: none on others' tasks."""
        mine = make_task(server, "alice")
        theirs = make_task(server, "bob")
        rows = {row["Id"]: row for row in call(server, "GET", "/tasks").json()["Tasks"]}
        assert rows[mine]["State"] == "New"
        assert rows[mine]["Owner"] == "alice"
        assert rows[mine]["Actions"] == ["Stop", "Delete", "Edit"]
        assert rows[theirs]["Actions"] == []
        admin_rows = {r["Id"]: r for r in call(server, "GET", "/tasks", "admin").json()["Tasks"]}
        assert admin_rows[theirs]["Actions"] == ["Stop", "Delete", "Edit"]

    def test_filter_free_text_and_order(self, server: LiveServer) -> None:
        """The §7 $filter grammar, free text over Name/Description/Result, and orderby."""
        a = make_task(server, "alice", description="alpha report")
        b = make_task(server, "alice", description="beta report")
        c = make_task(server, "bob", name="other.job", description="gamma")
        finish(server, b)
        failed = call(server, "GET", "/tasks", params={"filter": "state eq 5"}).json()
        assert [row["Id"] for row in failed["Tasks"]] == [b]
        assert failed["Count"] == 1
        text = call(server, "GET", "/tasks", params={"q": "REPORT"}).json()
        assert {row["Id"] for row in text["Tasks"]} == {a, b}
        by_name = call(server, "GET", "/tasks", params={"q": "other.JOB"}).json()
        assert [row["Id"] for row in by_name["Tasks"]] == [c]
        ordered = call(server, "GET", "/tasks", params={"orderby": "description desc"}).json()
        assert [row["Id"] for row in ordered["Tasks"]] == [c, b, a]

    @pytest.mark.parametrize(
        ("params", "needle"),
        [
            ({"filter": "state eq"}, "position 6"),
            ({"filter": "nosuchcolumn eq 1"}, "position 0"),
            ({"orderby": "state sideways"}, "position 6"),
            ({"top": "501"}, "top"),
            ({"top": "-1"}, "top"),
            ({"skip": "x"}, "skip"),
            ({"q": "x" * 255}, "q"),
        ],
    )
    def test_bad_parameters_are_400_naming_them(
        self, server: LiveServer, params: dict[str, str], needle: str
    ) -> None:
        """A malformed filter names the position; top over 500, bad numbers → 400."""
        response = call(server, "GET", "/tasks", params=params)
        assert response.status_code == 400
        assert response.json()["Error"] is True
        assert needle in response.json()["ErrorMessage"]

    def test_no_credentials_is_401(self, server: LiveServer) -> None:
        """The admin API needs the same credentials as the SuperOffice API."""
        with server.client() as client:
            response = client.get(API + "/tasks")
        assert response.status_code == 401
        assert "WWW-Authenticate" in response.headers


class TestTask:
    def test_detail_has_carrier_events_lease_and_actions(self, server: LiveServer) -> None:
        """GET tasks/{id}: the §2 carrier with the caller's rights, events, lease, actions."""
        task_id = make_task(server, "alice", parameters={"k": "v"})
        body = call(server, "GET", f"/tasks/{task_id}").json()
        assert body["Task"]["Id"] == task_id
        assert body["Task"]["ParameterObject"] == {"k": "v"}
        assert body["Task"]["TableRight"]["Mask"] == "FULL"
        assert body["Events"][0]["To"] == "New"
        assert body["Events"][0]["From"] is None
        assert body["Lease"] is None
        assert body["Actions"] == ["Stop", "Delete", "Edit"]
        other = call(server, "GET", f"/tasks/{task_id}", "bob").json()
        assert other["Actions"] == []
        assert other["Task"]["TableRight"]["Mask"] == "Select"

    def test_missing_task_is_404(self, server: LiveServer) -> None:
        """Missing task: 404 with the error body."""
        response = call(server, "GET", "/tasks/4242")
        assert response.status_code == 404
        assert response.json()["ErrorType"] == "SoNotFoundException"

    def test_stop_is_logged_with_actor_and_source(self, server: LiveServer) -> None:
        """The owner stops a waiting task: Failed, and the event says user:alice via admin-api."""
        task_id = make_task(server, "alice")
        assert call(server, "POST", f"/tasks/{task_id}/stop").json() == {"Stopped": True}
        events = call(server, "GET", f"/tasks/{task_id}").json()["Events"]
        assert events[-1]["To"] == "Failed"
        assert (events[-1]["Actor"], events[-1]["Source"]) == ("user:alice", "admin-api")
        assert call(server, "POST", f"/tasks/{task_id}/stop").json() == {"Stopped": False}

    def test_another_users_task_is_read_only(self, server: LiveServer) -> None:
        """bob may read alice's task but every action is 403 and changes nothing."""
        task_id = make_task(server, "alice")
        finished = make_task(server, "alice")
        finish(server, finished)
        for method, path in (
            ("POST", f"/tasks/{task_id}/stop"),
            ("POST", f"/tasks/{finished}/retry"),
            ("DELETE", f"/tasks/{task_id}"),
            ("PUT", f"/tasks/{task_id}"),
        ):
            response = call(server, method, path, "bob", json={"Description": "mine now"})
            assert response.status_code == 403, (method, path)
            assert response.json()["ErrorType"] == "SoAccessDeniedException"
        assert state_of(server, task_id) is BatchTaskState.New
        assert state_of(server, finished) is BatchTaskState.Failed
        assert call(server, "GET", f"/tasks/{task_id}").json()["Task"]["Description"] == ""

    def test_retry_renews_the_task_and_keeps_history(self, server: LiveServer) -> None:
        """A failed task goes back to New with progress 0; its history stays; 409 when running."""
        task_id = make_task(server, "alice")
        finish(server, task_id)
        body = call(server, "POST", f"/tasks/{task_id}/retry").json()
        assert body["Task"]["State"] == "New"
        assert body["Task"]["ProgressPercent"] == 0
        assert [e["To"] for e in body["Events"]] == ["New", "Failed", "New"]
        assert body["Events"][-1]["Reason"] == "retried"
        conflict = call(server, "POST", f"/tasks/{task_id}/retry")
        assert conflict.status_code == 409
        task = server.call(lambda s: s.store.tasks.get(task_id))
        assert task is not None
        assert task.start_count == 1

    def test_create_edit_and_delete(self, server: LiveServer) -> None:
        """POST tasks starts one (201), PUT edits the four fields, DELETE is 204 and idempotent."""
        created = call(
            server, "POST", "/tasks",
            json={"Name": "batchtask.sleep", "ParameterObject": {"seconds": "1"}},
        )  # fmt: skip
        assert created.status_code == 201
        task_id = created.json()["Task"]["Id"]
        assert created.json()["Events"][0]["Source"] == "admin-api"
        edited = call(server, "PUT", f"/tasks/{task_id}", json={"Description": "renamed"})
        assert edited.json()["Task"]["Description"] == "renamed"
        assert call(server, "DELETE", f"/tasks/{task_id}").status_code == 204
        assert call(server, "DELETE", f"/tasks/{task_id}").status_code == 204
        assert state_of(server, task_id) is None

    @pytest.mark.parametrize(
        ("body", "content_type", "status"),
        [
            ("[1]", "application/json", 400),
            ("{", "application/json", 400),
            ("<x/>", "application/xml", 415),
            ('{"Name": 5}', "application/json", 400),
        ],
    )
    def test_bad_bodies_change_nothing(
        self, server: LiveServer, body: str, content_type: str, status: int
    ) -> None:
        """Malformed or non-JSON bodies: 400/415 and no task."""
        response = call(
            server, "POST", "/tasks", content=body, headers={"Content-Type": content_type}
        )
        assert response.status_code == status
        assert call(server, "GET", "/tasks").json()["Count"] == 0


class TestBulk:
    def test_ids_with_rights_per_task(self, server: LiveServer) -> None:
        """alice bulk-stops her task and bob's: hers stops, bob's is skipped as not hers."""
        mine = make_task(server, "alice")
        theirs = make_task(server, "bob")
        body = call(
            server, "POST", "/tasks/bulk", json={"Action": "Stop", "Ids": [mine, theirs, 999]}
        ).json()
        assert (body["Matched"], body["Done"]) == (2, 1)
        assert [s["Id"] for s in body["Skipped"]] == [theirs, 999]
        assert state_of(server, mine) is BatchTaskState.Failed
        assert state_of(server, theirs) is BatchTaskState.New

    def test_filter_with_dry_run_then_for_real(self, server: LiveServer) -> None:
        """DryRun counts without changing anything; the real call deletes what matched."""
        ids = [make_task(server, "alice") for _ in range(3)]
        finish(server, ids[0])
        request = {"Action": "Delete", "Filter": "state eq 1", "DryRun": True}
        dry = call(server, "POST", "/tasks/bulk", json=request).json()
        assert (dry["Matched"], dry["Done"], dry["Skipped"]) == (2, 2, [])
        assert all(state_of(server, i) is not None for i in ids)
        done = call(server, "POST", "/tasks/bulk", json={**request, "DryRun": False}).json()
        assert done["Done"] == 2
        assert [state_of(server, i) for i in ids] == [BatchTaskState.Failed, None, None]

    def test_bulk_retry_skips_unfinished(self, server: LiveServer) -> None:
        """Retry acts on finished tasks only; the others are skipped with a reason."""
        done, waiting = make_task(server, "alice"), make_task(server, "alice")
        finish(server, done)
        body = call(server, "POST", "/tasks/bulk", json={"Action": "retry", "Ids": [done, waiting]})
        assert body.json()["Done"] == 1
        assert body.json()["Skipped"][0]["Id"] == waiting
        assert state_of(server, done) is BatchTaskState.New

    @pytest.mark.parametrize(
        "payload",
        [
            {"Action": "Explode", "Ids": [1]},
            {"Action": "Edit", "Ids": [1]},
            {"Action": "Stop"},
            {"Action": "Stop", "Ids": [1], "Filter": "state eq 1"},
            {"Action": "Stop", "Ids": list(range(1, 10_002))},
            {"Action": "Stop", "Ids": ["one"]},
            {"Action": "Stop", "Filter": "state eq"},
            {"Action": "Stop", "Ids": [1], "DryRun": "yes"},
        ],
    )
    def test_refused_bulk_calls_change_nothing(
        self, server: LiveServer, payload: dict[str, object]
    ) -> None:
        """Unknown action, both or neither selector, over 10,000 ids, bad filter: 400."""
        task_id = make_task(server, "alice")
        response = call(server, "POST", "/tasks/bulk", json=payload)
        assert response.status_code == 400
        assert state_of(server, task_id) is BatchTaskState.New


class TestQueue:
    def test_definitions_have_counts(self, server: LiveServer) -> None:
        """Each definition with its Counts per state and its policy."""
        make_task(server, "alice")
        finish(server, make_task(server, "alice"), BatchTaskState.Succeeded)
        rows = {row["Name"]: row for row in call(server, "GET", "/definitions").json()}
        sleep = rows["batchtask.sleep"]
        assert sleep["Counts"]["New"] == 1
        assert sleep["Counts"]["Succeeded"] == 1
        assert sleep["Succeeded24h"] == 1
        assert sleep["MaxStarts"] >= 1

    def test_workers_register_and_go_silent(self, server: LiveServer) -> None:
        """A registered worker is alive; once its lease passes without a heartbeat it is not."""
        from batchtask.domain.worker_info import WorkerInfo  # noqa: PLC0415

        now = server.clock.now()
        info = WorkerInfo("host:1:abc", "host", 1, "0.1.0", "standalone", now, now, 30.0, 4, 0,
                          ("batchtask.sleep",), ())  # fmt: skip
        server.call(lambda s: s.store.workers.register(info))
        rows = call(server, "GET", "/workers").json()
        assert [(r["Id"], r["Alive"], r["Slots"]) for r in rows] == [("host:1:abc", True, 4)]
        server.clock.advance(31)
        assert call(server, "GET", "/workers").json()[0]["Alive"] is False

    def test_stats_counts_and_series(self, server: LiveServer) -> None:
        """Counts per state, the oldest wait and one point per step."""
        make_task(server, "alice")
        finish(server, make_task(server, "alice"))
        server.clock.advance(90)
        body = call(server, "GET", "/stats", params={"window": 600, "step": 60}).json()
        assert body["Counts"]["New"] == 1
        assert body["Counts"]["Failed"] == 1
        assert body["OldestWaitingSeconds"] == pytest.approx(90, abs=1)
        assert len(body["Series"]) == 10
        assert sum(point["Failed"] for point in body["Series"]) == 1
        assert body["Series"][-1]["Waiting"] == 1

    @pytest.mark.parametrize(
        "params", [{"window": "0"}, {"step": "0"}, {"window": "7200", "step": "1"}]
    )
    def test_bad_stats_windows_are_400(self, server: LiveServer, params: dict[str, str]) -> None:
        """A window that is empty, or too many points, is a 400."""
        assert call(server, "GET", "/stats", params=params).status_code == 400


def test_a_browser_session_is_logged_as_the_console(server: LiveServer) -> None:
    """With the login cookie and XSRF header, actions are logged with source console."""
    task_id = make_task(server, "alice")
    with server.client() as client:
        login = client.post("/login", json={"username": "alice", "password": PASSWORD})
        xsrf = login.cookies["XSRF-TOKEN"]
        response = client.post(API + f"/tasks/{task_id}/stop", headers={"X-XSRF-TOKEN": xsrf})
        assert response.json() == {"Stopped": True}
        events = client.get(API + f"/tasks/{task_id}", headers={"X-XSRF-TOKEN": xsrf}).json()
    assert events["Events"][-1]["Source"] == "console"


def test_the_tenant_prefix_works_and_others_are_404(server: LiveServer) -> None:
    """/{ContextIdentifier}/admin/api/… answers for this server's tenant only."""
    make_task(server, "alice")
    with server.client() as client:
        assert client.get("/cust00000/admin/api/tasks", headers=basic("alice")).status_code == 200
        assert client.get("/Cust99999/admin/api/tasks", headers=basic("alice")).status_code == 404
