"""``batchtask.client.Client`` against the real server over loopback HTTP, on both engines."""

from __future__ import annotations

import base64
import http.server
import json
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from batchtask.client import (
    BatchTaskError,
    BatchTaskInfo,
    BatchTaskState,
    CancellationBehaviour,
    Client,
    Forbidden,
    InvalidInput,
    NotFound,
    ServerError,
    Unauthorized,
)
from tests.integration.conftest import PASSWORD, LiveServer
from tests.integration.test_task_files import give_file


def client_for(
    server: LiveServer,
    name: str = "alice",
    *,
    password: str = PASSWORD,
    tenant: str | None = None,
    language: str | None = None,
) -> Client:
    """A client that authenticates with Basic credentials."""
    return Client(
        server.base_url, username=name, password=password, tenant=tenant, language=language
    )


def test_start_returns_the_stored_carrier_as_python_values(server: LiveServer) -> None:
    """start() posts, then reads the task back: snake_case fields, enums, aware dates, a dict."""
    with client_for(server) as client:
        info = client.start(
            "batchtask.sleep", {"seconds": "3"}, description="nightly", request="go",
            context="ctx-1", details_record=0,
        )  # fmt: skip
    assert isinstance(info, BatchTaskInfo)
    assert info.id > 0
    assert info.name == "batchtask.sleep"
    assert info.associate_id == server.users["alice"].associate_id
    assert info.state is BatchTaskState.New
    assert info.parameter_object == {"seconds": "3"}
    assert (info.description, info.request, info.context) == ("nightly", "go", "ctx-1")
    assert info.created == server.clock.now()
    assert info.created is not None
    assert info.created.tzinfo is not None
    assert info.last_started is None  # SuperOffice's 0001-01-01T00:00:00
    assert info.cancellation_behaviour is CancellationBehaviour.CanCancel
    assert info.table_right is not None
    assert info.table_right.mask == "FULL"
    assert info.field_properties["State"].mask == "Update"
    assert info.field_properties["State"].field_type == "SuperOffice.CRM.Services.BatchTaskState"


def test_get_update_stop_delete(server: LiveServer) -> None:
    """The REST calls end to end: PUT changes its four fields, Stop fails a New task, DELETE."""
    with client_for(server) as client:
        task_id = client.start("batchtask.sleep").id
        assert client.get(task_id).id == task_id
        updated = client.update(task_id, description="renamed", response="r", request="q")
        assert (updated.description, updated.response, updated.request) == ("renamed", "r", "q")
        assert client.update(task_id, state="Started").state is BatchTaskState.Started
        assert client.update(task_id, state=BatchTaskState.New).state is BatchTaskState.New
        assert client.stop(task_id) is True
        stopped = client.get(task_id)
        assert stopped.state is BatchTaskState.Failed
        assert stopped.response == "[SR_BATCH_CANCELLED]"
        assert client.stop(task_id) is False
        client.delete(task_id)
        with pytest.raises(NotFound):
            client.get(task_id)
        client.delete(task_id)  # idempotent, as SuperOffice's DELETE


def test_language_translates_texts(server: LiveServer) -> None:
    """language= sends SO-Language: string references come back in that language."""
    with client_for(server, language="en") as client:
        task_id = client.start("batchtask.sleep").id
        client.stop(task_id)
        assert client.get(task_id).response not in {"", "[SR_BATCH_CANCELLED]"}


def test_login_trades_the_password_for_a_ticket(server: LiveServer) -> None:
    """login() returns a 7T: ticket and the client authenticates with it from then on."""
    with client_for(server) as client:
        ticket = client.login()
        assert ticket.startswith("7T:")
        task_id = client.start("batchtask.sleep").id
    with Client(server.base_url, ticket=ticket) as by_ticket:
        assert by_ticket.get(task_id).id == task_id
    with client_for(server, password="wrong") as bad, pytest.raises(Unauthorized):
        bad.login()


def test_ticket_and_token_credentials(server: LiveServer) -> None:
    """ticket= sends SOTicket, token= sends Bearer; a wrong one is Unauthorized."""
    user = server.users["bob"]
    token, _ = server.call(lambda s: s.auth.issue_token(user))
    with Client(server.base_url, token=token) as by_token:
        task_id = by_token.start("batchtask.sleep").id
        assert by_token.get(task_id).associate_id == user.associate_id
    with Client(server.base_url, ticket=server.ticket("bob")) as by_ticket:
        assert by_ticket.get(task_id).id == task_id
    for bad in (Client(server.base_url, ticket="7T:bad"), Client(server.base_url, token="nope")):
        with bad, pytest.raises(Unauthorized) as caught:
            bad.get(task_id)
        assert caught.value.status == 401


def test_credentials_are_checked_before_any_request(server: LiveServer) -> None:
    """Two kinds of credentials, or half a pair, are refused when the client is made."""
    with pytest.raises(ValueError, match="one kind"):
        Client(server.base_url, ticket="7T:x", token="y")
    with pytest.raises(ValueError, match="both"):
        Client(server.base_url, username="alice")
    with pytest.raises(ValueError, match="http"):
        Client("127.0.0.1:8000")
    with Client(server.base_url, ticket="7T:x") as client, pytest.raises(ValueError, match="login"):
        client.login()


def test_error_mapping_carries_superoffice_error_body(server: LiveServer) -> None:
    """400, 401, 403 and 404 raise their classes with status, ErrorType, message and the body."""
    with client_for(server, "bob") as bob:
        bobs = bob.start("batchtask.sleep").id
    with client_for(server) as alice:
        with pytest.raises(NotFound) as missing:
            alice.get(987654)
        assert missing.value.status == 404
        assert missing.value.error_type == "SoNotFoundException"
        assert missing.value.body["Error"] is True
        assert missing.value.message == missing.value.body["ErrorMessage"] != ""
        with pytest.raises(Forbidden) as forbidden:
            alice.update(bobs, description="not yours")
        assert forbidden.value.status == 403
        assert forbidden.value.error_type
        with pytest.raises(InvalidInput) as invalid:
            alice.update(bobs, state="All")
        assert invalid.value.status == 400
        with pytest.raises(InvalidInput) as bad_filter:
            list(alice.list(filter="State eq"))
        assert "position" in bad_filter.value.message or "column" in bad_filter.value.message
    with client_for(server, password="wrong") as wrong, pytest.raises(Unauthorized) as denied:
        wrong.get(bobs)
    assert denied.value.status == 401
    assert denied.value.body["ErrorType"] == denied.value.error_type


def test_list_pages_through_every_task_in_order(server: LiveServer) -> None:
    """list() follows the OData pages: all tasks, each a full carrier; filter and order apply."""
    with client_for(server, "admin") as client:
        ids = [client.start("batchtask.sleep", description=f"t{n}").id for n in range(7)]
        other = client.start("batchtask.other").id
        seen = list(client.list(page_size=3))
        assert [info.id for info in seen] == [*ids, other]
        assert all(info.table_right is not None for info in seen)
        only_sleep = client.list(filter="DefinitionName eq 'batchtask.sleep'", page_size=2)
        assert [info.id for info in only_sleep] == ids
        newest_first = client.list(order_by="Description desc", page_size=100)
        assert [info.description for info in newest_first][:3] == ["t6", "t5", "t4"]
    with pytest.raises(ValueError, match="page_size"):
        client_for(server).list(page_size=0)


def test_list_is_lazy(server: LiveServer) -> None:
    """A page is read only when the iterator reaches it: tasks deleted before then are not seen."""
    with client_for(server, "admin") as client:
        ids = [client.start("batchtask.sleep").id for _ in range(5)]
        tasks = client.list(page_size=2)
        assert next(tasks).id == ids[0]
        for task_id in ids[2:]:
            client.delete(task_id)
        assert [info.id for info in tasks] == [ids[1]]


def test_list_shows_only_what_the_caller_may_read_and_skips_nothing_readable(
    server: LiveServer,
) -> None:
    """Users read every task (others' with Select rights), as the OData list allows."""
    with client_for(server, "bob") as bob:
        bobs = bob.start("batchtask.sleep").id
    with client_for(server) as alice:
        found = {info.id: info for info in alice.list()}
    right = found[bobs].table_right
    assert right is not None
    assert right.mask == "Select"


def test_agents_all_fifteen_methods(server: LiveServer) -> None:
    """client.agents: the Batch agent's 15 methods in snake_case, with SuperOffice's conventions."""
    alice_id = server.users["alice"].associate_id
    with client_for(server, "admin") as admin_client:
        system_id = admin_client.start("batchtask.sys", is_system_task=True).id
    with client_for(server) as client:
        agents = client.agents
        new_id = agents.start_batch_job(
            BatchTaskInfo(
                name="batchtask.sleep", description="by agent", parameter_object={"a": "1"}
            )
        )
        info = agents.get_batch_task_info(new_id)
        assert info is not None
        assert info.parameter_object == {"a": "1"}
        assert info.description == "by agent"
        assert agents.get_batch_task_info(999_999) is None  # agents answer null, not 404
        changed = agents.update_batch_task(replace(info, description="changed"))
        assert changed is not None
        assert changed.description == "changed"
        assert agents.update_batch_task(replace(info, id=999_999)) is None

        def ids(found: list[BatchTaskInfo]) -> set[int]:
            return {task.id for task in found}

        assert new_id in ids(agents.get_batch_task_infos_by_associates([alice_id]))
        assert ids(agents.get_batch_task_infos_by_associates([0])) == {system_id}
        assert new_id in ids(agents.get_batch_task_infos_by_associates_and_state([-1], "New"))
        assert not agents.get_batch_task_infos_by_associates_and_state(
            [alice_id], BatchTaskState.Failed
        )
        assert ids(
            agents.get_batch_task_infos_by_name_and_associates("batchtask.sleep", [alice_id])
        ) == {new_id}
        assert ids(
            agents.get_batch_task_infos_by_name_and_state("batchtask.sleep", BatchTaskState.New)
        ) == {new_id}
        assert ids(agents.get_batch_task_infos_by_state("New")) == {new_id}  # no system tasks
        assert ids(agents.get_all_batch_task_infos_by_name("")) == {new_id, system_id}
        assert ids(agents.get_all_batch_task_infos_by_name_and_state("batchtask.sys", "New")) == {
            system_id
        }
        assert ids(agents.get_system_batch_task_infos_by_name("batchtask.sys")) == {system_id}
        assert not agents.get_system_batch_task_infos_by_name_and_state("", "Failed")
        assert agents.stop_batch_job(new_id) is True
        assert agents.stop_batch_job(new_id) is False
        others = [agents.start_batch_job(BatchTaskInfo(name="batchtask.sleep")) for _ in range(2)]
        agents.delete_batch_task(new_id)
        agents.delete_batch_tasks(others)
        assert ids(agents.get_batch_task_infos_by_associates([alice_id])) == set()
        with pytest.raises(InvalidInput):
            agents.get_batch_task_infos_by_state("Bogus")


def test_tenant_selects_the_context_identifier_prefix(server: LiveServer) -> None:
    """tenant= addresses /{ctx}/api/v1/…: the server's own tenant works, another is NotFound."""
    ctx = server.settings.context_identifier
    with client_for(server, tenant=ctx) as client:
        assert client.tenant == ctx
        task_id = client.start("batchtask.sleep").id
        assert client.get(task_id).id == task_id
        assert [info.id for info in client.list()] == [task_id]
        assert client.agents.get_batch_task_info(task_id) is not None
    with client_for(server, tenant="Cust99999") as elsewhere, pytest.raises(NotFound):
        elsewhere.get(task_id)


def test_basic_header_is_what_superoffice_expects(server: LiveServer) -> None:
    """The Basic credentials the client sends are the standard base64 user:password pair."""
    encoded = base64.b64encode(f"alice:{PASSWORD}".encode()).decode()
    with server.client() as raw:
        answer = raw.get("/api/v1/BatchTask/1", headers={"Authorization": f"Basic {encoded}"})
    assert answer.status_code == 404  # authenticated: the task is simply missing
    with client_for(server) as client, pytest.raises(NotFound):
        client.get(1)


def test_dates_come_back_as_aware_utc_instants(server: LiveServer) -> None:
    """Created is an aware datetime equal to the server clock's instant."""
    server.clock.current = datetime(2026, 3, 29, 1, 30, 15, 250000, tzinfo=UTC)
    with client_for(server) as client:
        info = client.start("batchtask.sleep")
    assert info.created == datetime(2026, 3, 29, 1, 30, 15, 250000, tzinfo=UTC)


class _Upstream(http.server.BaseHTTPRequestHandler):
    """A failing upstream: the status and body in the path (``/503/json``, ``/502/html``)."""

    def do_GET(self) -> None:
        _, status, kind, *_ = self.path.split("/")
        if kind == "json":
            body = json.dumps(
                {"Error": True, "ErrorType": "SoStorageUnavailableException",
                 "ErrorMessage": "the database is not reachable", "ErrorSource": "batchtask"}
            ).encode()  # fmt: skip
            content_type = "application/json; charset=utf-8"
        else:
            body, content_type = b"<html><body>Bad Gateway</body></html>", "text/html"
        self.send_response(int(status))
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        del format, args


@pytest.fixture
def upstream() -> Iterator[str]:
    """A loopback server that always fails: the edge where a proxy or a broken server sits."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Upstream)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_server_errors_carry_the_body_and_proxy_pages_their_text(upstream: str) -> None:
    """5xx is ServerError with SuperOffice's body; a non-JSON error page still gives its text."""
    with (
        Client(upstream + "/503/json", ticket="7T:x") as client,
        pytest.raises(ServerError) as caught,
    ):
        client.get(1)
    assert caught.value.status == 503
    assert caught.value.error_type == "SoStorageUnavailableException"
    assert caught.value.message == "the database is not reachable"
    assert isinstance(caught.value, BatchTaskError)
    with (
        Client(upstream + "/502/html", ticket="7T:x") as client,
        pytest.raises(ServerError) as proxy,
    ):
        client.get(1)
    assert proxy.value.status == 502
    assert proxy.value.error_type == ""
    assert "Bad Gateway" in proxy.value.message
    with (
        Client(upstream + "/429/json", ticket="7T:x") as client,
        pytest.raises(BatchTaskError) as other,
    ):
        client.get(1)
    assert type(other.value) is BatchTaskError
    assert other.value.status == 429


def test_admin_file_downloads_what_the_task_produced(server: LiveServer) -> None:
    """client.admin.file: the task's file as bytes; NotFound without one (today's admin route)."""
    with client_for(server) as client:
        task_id = client.start("batchtask.export").id
        with pytest.raises(NotFound):
            client.admin.file(task_id)
        give_file(server, task_id, "export.csv", b"Id,State\n1,New\n")
        assert client.admin.file(task_id) == b"Id,State\n1,New\n"
        assert client.get(task_id).file_name == "export.csv"
