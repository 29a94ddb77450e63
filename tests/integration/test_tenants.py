"""Tenants over HTTP (SPEC §11.1), on SQLite and PostgreSQL: each ContextIdentifier is an isolated
customer — its own task ids from 1, users, credentials, events, files and stream — and an unknown
one is a 404 with SuperOffice's error body."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from batchtask.client import AsyncClient, Client
from batchtask.client.errors import Unauthorized
from batchtask.domain.task import TaskOutcome
from batchtask.domain.tenant import TenantNotFound
from batchtask.domain.user import AuthMethod, Principal, Role
from batchtask.services.container import Services
from batchtask.services.tasks import TaskDraft
from batchtask.services.tenants import TenantDirectory
from tests.conftest import FakeClock
from tests.integration.conftest import PASSWORD, LiveServer, prepare_database, run_server
from tests.integration.conftest import test_settings as settings_for
from tests.integration.sse_client import Event, SseClient


@pytest.fixture
def live(database_url: str, clock: FakeClock, tmp_path: Path) -> Iterator[LiveServer]:
    settings = settings_for(database_url, files_dir=str(tmp_path / "files"))
    prepare_database(database_url, clock)
    yield from run_server(settings, clock)


def directory(live: LiveServer) -> TenantDirectory:
    found: TenantDirectory = live.app.state.tenants
    return found


def add_tenants(live: LiveServer, *names: str) -> None:
    """Create the tenants concurrently, then an admin ``boss`` in each."""

    async def create() -> None:
        tenants = directory(live)
        await asyncio.gather(*(tenants.add(name) for name in names))
        for name in names:
            services = await tenants.get(name)
            await services.users.add("boss", PASSWORD, Role.admin)

    live.run(create())


def ticket_of(live: LiveServer, tenant: str, name: str = "boss") -> str:
    async def issue() -> str:
        services = await directory(live).get(tenant)
        user = await services.users.get(name)
        ticket, _ = await services.auth.issue_ticket(user)
        return ticket

    return live.run(issue())


def auth(ticket: str) -> dict[str, str]:
    return {"Authorization": f"SOTicket {ticket}", "Accept": "application/json"}


def test_two_tenants_isolated(live: LiveServer) -> None:
    add_tenants(live, "Cust11111", "Cust22222")
    tickets = {name: ticket_of(live, name) for name in ("Cust11111", "Cust22222")}
    with live.client() as http:
        for name, ticket in tickets.items():
            for n in range(2):
                made = http.post(
                    f"/{name}/api/v1/BatchTask",
                    json={"Name": "sleep", "Description": f"{name}-{n}"},
                    headers=auth(ticket),
                )
                assert made.status_code in (200, 201), made.text
        for name, ticket in tickets.items():
            # ids start at 1 in each tenant; fast lane (GET by id) and framework (list) agree
            first = http.get(f"/{name}/api/v1/BatchTask/1", headers=auth(ticket))
            assert first.status_code == 200, first.text
            assert first.json()["Id"] == 1
            assert first.json()["Description"] == f"{name}-0"
            listed = http.get(f"/{name}/admin/api/tasks", headers=auth(ticket)).json()
            assert sorted(t["Id"] for t in listed["Tasks"]) == [1, 2]
            detail = http.get(f"/{name}/admin/api/tasks/2", headers=auth(ticket)).json()
            assert detail["Task"]["Description"] == f"{name}-1"
            assert all(e["Actor"] == "user:boss" for e in detail["Events"])
        # the default tenant saw nothing
        counted = live.call(lambda s: s.store.tasks.get(1))
        assert counted is None


def test_credentials_do_not_cross(live: LiveServer) -> None:
    add_tenants(live, "CustA", "CustB")
    ticket = ticket_of(live, "CustA")
    with live.client() as http:
        assert http.get("/CustA/api/v1/BatchTask?$top=1", headers=auth(ticket)).status_code == 200
        for path in ("/CustB/api/v1/BatchTask/1", "/api/v1/BatchTask/1", "/CustB/admin/api/tasks"):
            assert http.get(path, headers=auth(ticket)).status_code == 401, path
        basic = httpx.BasicAuth("boss", PASSWORD)
        assert http.get("/custa/API/v1/BatchTask/1", auth=basic).status_code == 404  # no task 1
        assert http.get("/CustB/api/v1/BatchTask/1", auth=basic).status_code == 404
        live.add_user("boss", Role.admin, password="another one")
        assert http.get("/api/v1/BatchTask/1", auth=basic).status_code == 401


def test_unknown_tenant_is_404_with_error_body(live: LiveServer) -> None:
    with live.client() as http:
        for path in ("/Nobody/api/v1/BatchTask/1", "/Nobody/api/v1/BatchTask", "/Nobody/admin/"):
            answer = http.get(path, headers={"Accept": "application/json"})
            assert answer.status_code == 404, path
            assert answer.json()["ErrorType"] == "SoNotFoundException"
        # the default tenant answers under its own name too, in any case
        live.add_user("admin", Role.admin)
        ticket = live.ticket("admin")
        for root in ("", "/Cust00000", "/cust00000"):
            answer = http.get(f"{root}/api/v1/BatchTask/1", headers=auth(ticket))
            assert answer.status_code == 404  # no task 1 yet
            listed = http.get(f"{root}/admin/api/tasks", headers=auth(ticket))
            assert listed.status_code == 200  # the tenant exists
        assert http.get("/Cust00000/api/v1", headers=auth(ticket)).status_code == 200


def test_reset_and_remove(live: LiveServer) -> None:
    add_tenants(live, "CustR")
    ticket = ticket_of(live, "CustR")
    with live.client() as http:
        for _ in range(3):
            http.post("/CustR/api/v1/BatchTask", json={"Name": "sleep"}, headers=auth(ticket))
        live.run(directory(live).reset("CustR"))
        assert http.get("/CustR/api/v1/BatchTask/3", headers=auth(ticket)).status_code == 404
        made = http.post("/CustR/api/v1/BatchTask", json={"Name": "sleep"}, headers=auth(ticket))
        assert made.json() == 1  # ids start again; the user and the ticket stayed
        live.run(directory(live).reset("CustR", users=True))
        assert http.get("/CustR/api/v1/BatchTask/1", headers=auth(ticket)).status_code == 401
        live.run(directory(live).remove("CustR"))
        assert http.get("/CustR/api/v1/BatchTask/1", headers=auth(ticket)).status_code == 404
    with pytest.raises(TenantNotFound):
        live.run(directory(live).get("CustR"))
    names = [t.context_identifier for t in live.run(directory(live).list())]
    assert names == ["Cust00000"]


def test_client_tenant_argument(live: LiveServer) -> None:
    add_tenants(live, "CustC", "CustD")
    with Client(live.base_url, username="boss", password=PASSWORD, tenant="CustC") as client:
        made = client.start("sleep", description="in C")
        assert made.id == 1
        assert client.get(1).description == "in C"
        ticket = client.login()
    with Client(live.base_url, ticket=ticket, tenant="CustD") as other, pytest.raises(Unauthorized):
        other.get(1)
    with Client(live.base_url, username="boss", password=PASSWORD, tenant="CustD") as client:
        assert [t.id for t in client.list()] == []


def test_each_tenant_has_its_own_clock(database_url: str, clock: FakeClock, tmp_path: Path) -> None:
    """The clock factory is asked once per tenant opened, with its ContextIdentifier."""
    from batchtask.bootstrap import create_app  # noqa: PLC0415

    asked: list[str] = []

    def factory(ctx: str) -> FakeClock:
        asked.append(ctx)
        return FakeClock()

    settings = settings_for(database_url, files_dir=str(tmp_path / "files"))
    prepare_database(database_url, clock)
    app = create_app(settings, clock_factory=factory)

    async def run() -> tuple[Services, Services]:
        async with app.framework.router.lifespan_context(app.framework):
            tenants: TenantDirectory = app.state.tenants
            await tenants.add("CustK")
            return tenants.default, await tenants.get("custk")

    default, other = asyncio.run(run())
    assert asked == ["Cust00000", "CustK"]
    assert default.clock is not other.clock
    assert other.settings.context_identifier == "CustK"


def test_stream_messages_do_not_cross(live: LiveServer) -> None:
    """A tenant's stream carries its own tasks only, although both tenants number them from 1."""
    add_tenants(live, "CustS", "CustT")
    tickets = {name: ticket_of(live, name) for name in ("CustS", "CustT")}

    async def scenario() -> list[Event]:
        stream = await SseClient.open(
            live.base_url,
            "/CustS/admin/api/stream",
            {"Authorization": f"SOTicket {tickets['CustS']}"},
        )
        assert stream.status == 200
        async with httpx.AsyncClient(base_url=live.base_url) as http:
            for name in ("CustT", "CustS"):  # the other tenant's task first
                made = await http.post(
                    f"/{name}/api/v1/BatchTask",
                    json={"Name": f"task.of.{name}"},
                    headers=auth(tickets[name]),
                )
                assert made.status_code == 200, made.text
        seen: list[Event] = []

        def mine(event: Event) -> bool:
            seen.append(event)
            return event.name == "task" and event.data["Name"] == "task.of.CustS"

        await stream.until(mine)
        await stream.close()
        return seen

    seen = asyncio.run(scenario())
    names = {event.data.get("Name") for event in seen if event.name == "task"}
    assert names == {"task.of.CustS"}


def test_console_under_the_tenant_prefix(live: LiveServer) -> None:
    """``/{ctx}/admin/`` is the tenant's console: its links stay under the prefix, its session
    cookie belongs to the tenant's path and opens nothing of another tenant."""
    add_tenants(live, "CustU", "CustV")
    with live.client() as http:
        page = http.get("/CustU/admin/login")
        assert page.status_code == 200
        assert 'data-base="/CustU"' in page.text
        assert 'action="/CustU/login"' in page.text
        assert http.get("/CustU/admin/").status_code == 303  # not logged in
        assert http.get("/CustU/admin/").headers["location"].startswith("/CustU/admin/login")
        login = http.post("/CustU/login", json={"username": "boss", "password": PASSWORD})
        assert login.status_code == 200, login.text
        cookies = list(http.cookies.jar)
        assert {c.path for c in cookies} == {"/CustU/"}
        overview = http.get("/CustU/admin/")
        assert overview.status_code == 200
        assert 'href="/CustU/admin/tasks"' in overview.text
        session = {c.name: c.value or "" for c in cookies}
    with live.client() as other:  # the same session on another tenant or the default one
        cookie = "; ".join(f"{name}={value}" for name, value in session.items())
        for path in ("/CustV/admin/", "/admin/"):
            assert other.get(path, headers={"Cookie": cookie}).status_code == 303, path
        xsrf = {"Cookie": cookie, "X-XSRF-TOKEN": session["XSRF-TOKEN"]}
        assert other.get("/CustU/admin/api/tasks", headers=xsrf).status_code == 200
        assert other.get("/CustV/admin/api/tasks", headers=xsrf).status_code == 401


def test_files_do_not_cross(live: LiveServer) -> None:
    """Each tenant's task files live in its own folder: task 1 of one tenant never serves the
    file of task 1 of another, and removing a tenant removes its files."""
    add_tenants(live, "CustF", "CustG")
    tickets = {name: ticket_of(live, name) for name in ("CustF", "CustG")}

    async def prepare() -> Path:
        folders = []
        for name in ("CustF", "CustG"):
            services = await directory(live).get(name)
            user = await services.users.get("boss")
            principal = Principal(user, AuthMethod.basic)
            task_id = await services.tasks.create(principal, TaskDraft(name="export"))
            await services.store.tasks.record_outcome(
                task_id, TaskOutcome(file_name="report.csv"), now=live.clock.now(), actor="test"
            )
            folders.append(services.settings.files_path)
        assert folders[0] != folders[1]
        (folders[0] / "1").mkdir(parents=True)
        (folders[0] / "1" / "report.csv").write_text("of CustF")
        return folders[0]

    folder = live.run(prepare())
    with live.client() as http:
        mine = http.get("/CustF/admin/api/tasks/1/file", headers=auth(tickets["CustF"]))
        assert mine.status_code == 200
        assert mine.text == "of CustF"
        other = http.get("/CustG/admin/api/tasks/1/file", headers=auth(tickets["CustG"]))
        assert other.status_code == 404
    live.run(directory(live).remove("CustF"))
    assert not folder.exists()


def test_async_client_tenant_argument(live: LiveServer) -> None:
    """``AsyncClient(tenant=…)`` addresses the tenant's API, admin API and login alike."""
    add_tenants(live, "CustY", "CustZ")

    async def scenario() -> None:
        async with AsyncClient(
            live.base_url, username="boss", password=PASSWORD, tenant="CustY"
        ) as client:
            made = await client.start("sleep", description="in Y")
            assert made.id == 1
            assert (await client.get(1)).description == "in Y"
            ticket = await client.login()
        async with AsyncClient(live.base_url, ticket=ticket, tenant="CustY") as same:
            assert (await same.get(1)).description == "in Y"
        async with AsyncClient(live.base_url, ticket=ticket, tenant="CustZ") as other:
            with pytest.raises(Unauthorized):
                await other.get(1)

    asyncio.run(scenario())
