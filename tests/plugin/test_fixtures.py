"""The pytest plugin's fixtures, as an integration developer uses them (run under ``-n 2`` too).

Every test here gets its own tenant from the one emulator of its xdist worker, so they pass in
any order and in parallel.
"""

from __future__ import annotations

import pytest

from batchtask.client import BatchTaskState, Client, NotFound, Unauthorized
from batchtask.client.emulator import Step, Tenant
from batchtask.pytest_plugin import BatchtaskServer


def test_the_server_is_an_emulator(batchtask_server: BatchtaskServer) -> None:
    with batchtask_server.client() as control:
        health = control.emulator.health()
    assert health.status == "ok"
    assert health.tenants >= 1


def test_the_client_is_logged_in_as_the_tenant_s_admin(
    batchtask_client: Client, batchtask_tenant: Tenant
) -> None:
    assert batchtask_client.tenant == batchtask_tenant.context_identifier
    task = batchtask_client.start("Acme.NotRunHere")
    assert task.id == 1  # a fresh tenant: ids from 1
    assert batchtask_client.get(1).name == "Acme.NotRunHere"
    journal = batchtask_client.emulator.requests()
    assert [(entry.method, entry.path) for entry in journal] == [
        ("POST", "/api/v1/BatchTask"),
        ("GET", "/api/v1/BatchTask/1"),  # start() reads the task it made
        ("GET", "/api/v1/BatchTask/1"),
    ]  # the fixture's own login is not in it


@pytest.mark.parametrize("run", range(4))
def test_each_test_has_its_own_tenant(batchtask_client: Client, run: int) -> None:
    """Four tests, perhaps on two workers at once: each sees only its own task."""
    created = batchtask_client.start("Acme.NotRunHere", {"run": str(run)})
    assert created.id == 1
    assert [info.parameter_object for info in batchtask_client.list()] == [{"run": str(run)}]


def test_a_scripted_definition_and_a_fault(batchtask_client: Client) -> None:
    batchtask_client.emulator.script_definition(
        "SuperOffice.Import", [Step(50, "half way")], result="imported"
    )
    task = batchtask_client.start("SuperOffice.Import")
    done = batchtask_client.wait(task.id, timeout=30)
    assert (done.state, done.result) == (BatchTaskState.Succeeded, "imported")
    batchtask_client.emulator.add_fault("GET", "/api/v1/BatchTask/*", status=404, times=1)
    with pytest.raises(NotFound):
        batchtask_client.get(task.id)
    assert batchtask_client.get(task.id).state is BatchTaskState.Succeeded


def test_a_tenant_is_deleted_after_its_test(batchtask_server: BatchtaskServer) -> None:
    with batchtask_server.client() as control:
        tenant = control.emulator.create_tenant()
        control.emulator.delete_tenant(tenant.context_identifier)
    with (
        batchtask_server.client(
            tenant=tenant.context_identifier, ticket=tenant.admin.ticket
        ) as gone,
        pytest.raises((NotFound, Unauthorized)),
    ):
        gone.get(1)
