"""``client.emulator`` against a live ``--emulator`` server: every control, sync and async."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from batchtask.client import AsyncClient, BatchTaskState, Client, InvalidInput, NotFound
from batchtask.client.emulator import Step
from tests.conftest import FakeClock
from tests.integration.conftest import LiveServer
from tests.integration.test_emulator_controls import start

AT = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def emulated(database_url: str, clock: FakeClock, tmp_path: Path) -> Iterator[LiveServer]:
    yield from start(database_url, clock, tmp_path)


def test_every_control_through_the_blocking_client(emulated: LiveServer) -> None:
    with Client(emulated.base_url) as control:
        assert control.emulator.health().status == "ok"
        tenant = control.emulator.create_tenant()
        ctx = tenant.context_identifier
    with Client(emulated.base_url, tenant=ctx, ticket=tenant.admin.ticket) as client:
        emulator = client.emulator
        [seeded] = emulator.seed(
            users=[{"Name": "gina", "Password": "gina's password", "Role": "user"}],
            tasks=[{"Name": "Acme.Old", "State": "Failed", "Created": "2024-01-01T00:00:00"}],
        )
        assert client.get(seeded).state is BatchTaskState.Failed
        clock = emulator.set_clock(AT)
        assert (clock.now, clock.frozen) == (AT, True)
        assert emulator.advance_clock(60).now == AT.replace(minute=1)
        assert emulator.clock().frozen
        emulator.script_definition("Acme.Run", [Step(50, "half")], result="ok")
        done = client.wait(client.start("Acme.Run").id, timeout=20)
        assert (done.state, done.result, done.created) == (
            BatchTaskState.Succeeded,
            "ok",
            AT.replace(minute=1),
        )
        emulator.remove_script("Acme.Run")
        fault_id = emulator.add_fault("GET", "/api/v1/BatchTask/*", status=404, times=2)
        [fault] = emulator.faults()
        assert (fault.id, fault.status, fault.times, fault.method) == (fault_id, 404, 2, "GET")
        with pytest.raises(NotFound):
            client.get(seeded)
        emulator.remove_fault(fault_id)
        with pytest.raises(NotFound):
            emulator.remove_fault(fault_id)
        emulator.add_fault("*", "/nowhere", status=500)
        emulator.clear_faults()
        assert emulator.faults() == []
        journal = emulator.requests(method="GET", path="/api/v1/BatchTask/*")
        assert [entry.status for entry in journal][-1] == 404  # the last GET met the fault
        assert journal[0].headers["authorization"] == "SOTicket [redacted]"
        emulator.clear_requests()
        assert emulator.requests() == []
        emulator.real_clock()
        assert not emulator.clock().frozen
        with pytest.raises(InvalidInput):
            emulator.advance_clock(-1)
        emulator.reset()
        with pytest.raises(NotFound):
            client.get(seeded)
    with Client(emulated.base_url) as control:
        control.emulator.delete_tenant(ctx)
        with pytest.raises(NotFound):
            control.emulator.clock(ctx)


@pytest.mark.anyio
async def test_the_controls_through_the_async_client(emulated: LiveServer) -> None:
    async with AsyncClient(emulated.base_url) as control:
        tenant = await control.emulator.create_tenant()
        ctx = tenant.context_identifier
        assert (await control.emulator.health()).tenants == 2
    async with AsyncClient(emulated.base_url, tenant=ctx, token=tenant.admin.token) as client:
        emulator = client.emulator
        await emulator.set_clock(AT)
        await emulator.script_definition("Acme.Fail", outcome="Failed", response="no")
        task = await client.start("Acme.Fail")
        done = await client.wait(task.id, timeout=20)
        assert (done.state, done.response, done.last_started) == (BatchTaskState.Failed, "no", AT)
        fault_id = await emulator.add_fault("POST", "/api/v1/BatchTask", status=503, times=1)
        assert [f.id for f in await emulator.faults()] == [fault_id]
        assert [e.method for e in await emulator.requests(method="POST")] == ["POST"]
        await emulator.reset(users=True)
    async with AsyncClient(emulated.base_url) as control:
        await control.emulator.delete_tenant(ctx)
