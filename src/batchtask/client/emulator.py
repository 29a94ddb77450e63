"""``client.emulator``: the emulator controls (``/_batchtask/…``, SPEC §11.2), typed.

Only a server started with ``serve --emulator`` has them. Every control but ``health`` and
``create_tenant`` is about one tenant: the ``tenant=`` given, else the client's own. With
``BATCHTASK_EMULATOR_TOKEN`` set on the server, make the client with ``emulator_token=``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import httpx

from batchtask.client import json_value as jv
from batchtask.client.call import AsyncSend, Call, Send, read_nothing, segment
from batchtask.client.connection import Connection
from batchtask.client.info import BatchTaskInfo

Outcome = Literal["Succeeded", "Failed", "SucceededManualCleanup"]
_BASE = "/_batchtask"


@dataclass(frozen=True, slots=True)
class Health:
    """``GET /_batchtask/health``."""

    status: str
    version: str
    tenants: int


@dataclass(frozen=True, slots=True)
class TenantAdmin:
    """The admin user a new tenant comes with, and credentials ready to use."""

    name: str
    password: str
    ticket: str
    token: str


@dataclass(frozen=True, slots=True)
class Tenant:
    """A tenant just created."""

    context_identifier: str
    admin: TenantAdmin


@dataclass(frozen=True, slots=True)
class Clock:
    """A tenant's clock."""

    now: datetime | None
    frozen: bool


@dataclass(frozen=True, slots=True)
class Step:
    """One step of a scripted definition: after ``after_ms``, report ``percent`` and ``text``."""

    percent: int
    text: str = ""
    after_ms: int = 0


@dataclass(frozen=True, slots=True)
class Fault:
    """An injected fault: requests matching ``method`` and ``path`` (a glob) answer so."""

    id: int
    method: str
    path: str
    status: int
    body: Any
    latency_ms: int
    times: int | None
    probability: float | None


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One request the tenant received (credentials redacted)."""

    at: datetime | None
    method: str
    path: str
    query: str
    status: int
    duration_ms: float
    headers: dict[str, str] = field(default_factory=dict)


def _read_health(response: httpx.Response) -> Health:
    body = response.json()
    return Health(jv.text(body, "Status"), jv.text(body, "Version"), jv.integer(body, "Tenants"))


def _read_tenant(response: httpx.Response) -> Tenant:
    body = response.json()
    admin = jv.mapping(body, "Admin")
    return Tenant(
        context_identifier=jv.text(body, "ContextIdentifier"),
        admin=TenantAdmin(
            name=jv.text(admin, "Name"),
            password=jv.text(admin, "Password"),
            ticket=jv.text(admin, "Ticket"),
            token=jv.text(admin, "Token"),
        ),
    )


def _read_clock(response: httpx.Response) -> Clock:
    body = response.json()
    return Clock(now=jv.date(body, "Now"), frozen=jv.flag(body, "Frozen"))


def _read_seeded(response: httpx.Response) -> list[int]:
    return jv.integers(response.json(), "Tasks")


def _read_fault_id(response: httpx.Response) -> int:
    return jv.integer(response.json(), "Id")


def _fault(item: Mapping[str, Any]) -> Fault:
    match = jv.mapping(item, "Match")
    times = item.get("Times")
    probability = item.get("Probability")
    return Fault(
        id=jv.integer(item, "Id"),
        method=jv.text(match, "Method"),
        path=jv.text(match, "Path"),
        status=jv.integer(item, "Status"),
        body=item.get("Body"),
        latency_ms=jv.integer(item, "LatencyMs"),
        times=times if isinstance(times, int) else None,
        probability=float(probability) if isinstance(probability, int | float) else None,
    )


def _read_faults(response: httpx.Response) -> list[Fault]:
    return [_fault(item) for item in jv.items({"all": response.json()}, "all")]


def _read_journal(response: httpx.Response) -> list[JournalEntry]:
    return [
        JournalEntry(
            at=jv.date(item, "At"),
            method=jv.text(item, "Method"),
            path=jv.text(item, "Path"),
            query=jv.text(item, "Query"),
            status=jv.integer(item, "Status"),
            duration_ms=jv.number(item, "DurationMs"),
            headers={str(k): str(v) for k, v in jv.mapping(item, "Headers").items()},
        )
        for item in jv.items({"all": response.json()}, "all")
    ]


def seed_task(task: BatchTaskInfo | Mapping[str, Any]) -> dict[str, Any]:
    """A seed entry: a ``BatchTaskInfo`` (its fields kept as given) or a PascalCase mapping."""
    if isinstance(task, BatchTaskInfo):
        return task.to_wire()
    return dict(task)


class EmulatorCalls:
    """Builders of the emulator controls."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def _tenant(self, tenant: str | None, tail: str = "") -> str:
        return f"{_BASE}/tenants/{segment(self._conn.tenant_of(tenant))}{tail}"

    def health(self) -> Call[Health]:
        return Call("GET", f"{_BASE}/health", _read_health, emulator=True)

    def create_tenant(self, context_identifier: str | None) -> Call[Tenant]:
        body = {} if context_identifier is None else {"ContextIdentifier": context_identifier}
        return Call("POST", f"{_BASE}/tenants", _read_tenant, json=body, emulator=True)

    def delete_tenant(self, tenant: str | None) -> Call[None]:
        return Call("DELETE", self._tenant(tenant), read_nothing, emulator=True)

    def reset(self, tenant: str | None, users: bool) -> Call[None]:
        path = self._tenant(tenant, "/reset")
        return Call("POST", path, read_nothing, json={"Users": users}, emulator=True)

    def seed(
        self,
        tenant: str | None,
        users: Sequence[Mapping[str, str]],
        tasks: Sequence[BatchTaskInfo | Mapping[str, Any]],
    ) -> Call[list[int]]:
        body = {"Users": [dict(user) for user in users], "Tasks": [seed_task(t) for t in tasks]}
        path = self._tenant(tenant, "/seed")
        return Call("POST", path, _read_seeded, json=body, emulator=True)

    def clock(self, tenant: str | None, method: str = "GET", body: Any = None) -> Call[Clock]:
        path = self._tenant(tenant, "/clock")
        return Call(method, path, _read_clock, json=body, emulator=True)

    def set_clock(self, tenant: str | None, now: datetime | None, frozen: bool) -> Call[Clock]:
        body: dict[str, Any] = {"Frozen": frozen}
        if now is not None:
            body["Now"] = jv.render_date(now)
        return self.clock(tenant, "PUT", body)

    def advance_clock(self, tenant: str | None, seconds: float) -> Call[Clock]:
        path = self._tenant(tenant, "/clock/advance")
        return Call("POST", path, _read_clock, json={"Seconds": seconds}, emulator=True)

    def real_clock(self, tenant: str | None) -> Call[None]:
        return Call("DELETE", self._tenant(tenant, "/clock"), read_nothing, emulator=True)

    def script(
        self,
        tenant: str | None,
        name: str,
        *,
        steps: Sequence[Step],
        outcome: Outcome,
        result: str,
        response: str,
        file_name: str,
    ) -> Call[Any]:
        body = {
            "Steps": [{"Percent": s.percent, "Text": s.text, "AfterMs": s.after_ms} for s in steps],
            "Outcome": outcome,
            "Result": result,
            "Response": response,
            "FileName": file_name,
        }
        path = self._tenant(tenant, f"/definitions/{segment(name)}")
        return Call("PUT", path, _ignore_body, json=body, emulator=True)

    def unscript(self, tenant: str | None, name: str) -> Call[None]:
        path = self._tenant(tenant, f"/definitions/{segment(name)}")
        return Call("DELETE", path, read_nothing, emulator=True)

    def add_fault(self, tenant: str | None, body: dict[str, Any]) -> Call[int]:
        path = self._tenant(tenant, "/faults")
        return Call("POST", path, _read_fault_id, json=body, emulator=True)

    def faults(self, tenant: str | None) -> Call[list[Fault]]:
        return Call("GET", self._tenant(tenant, "/faults"), _read_faults, emulator=True)

    def clear_faults(self, tenant: str | None) -> Call[None]:
        return Call("DELETE", self._tenant(tenant, "/faults"), read_nothing, emulator=True)

    def remove_fault(self, tenant: str | None, fault_id: int) -> Call[None]:
        path = self._tenant(tenant, f"/faults/{segment(fault_id)}")
        return Call("DELETE", path, read_nothing, emulator=True)

    def requests(
        self, tenant: str | None, method: str | None, path: str | None
    ) -> Call[list[JournalEntry]]:
        params = {key: value for key, value in (("method", method), ("path", path)) if value}
        url = self._tenant(tenant, "/requests")
        return Call("GET", url, _read_journal, params=params, emulator=True)

    def clear_requests(self, tenant: str | None) -> Call[None]:
        return Call("DELETE", self._tenant(tenant, "/requests"), read_nothing, emulator=True)


def _ignore_body(response: httpx.Response) -> None:
    del response


def fault_body(
    method: str,
    path: str,
    *,
    status: int,
    body: Any,
    latency_ms: int,
    times: int | None,
    probability: float | None,
) -> dict[str, Any]:
    """The fault a control call sends; ``Times`` or ``Probability``, not both."""
    if times is not None and probability is not None:
        raise ValueError("give times or probability, not both")
    out: dict[str, Any] = {
        "Match": {"Method": method, "Path": path},
        "Status": status,
        "LatencyMs": latency_ms,
    }
    if body is not None:
        out["Body"] = body
    if times is not None:
        out["Times"] = times
    if probability is not None:
        out["Probability"] = probability
    return out


class Emulator:
    """The emulator controls, blocking (``Client.emulator``)."""

    def __init__(self, send: Send, conn: Connection) -> None:
        self._send = send
        self._calls = EmulatorCalls(conn)

    def health(self) -> Health:
        """Whether the emulator answers, its version and how many tenants it holds."""
        return self._send(self._calls.health())

    def create_tenant(self, context_identifier: str | None = None) -> Tenant:
        """A fresh tenant (named by the server when ``context_identifier`` is ``None``)."""
        return self._send(self._calls.create_tenant(context_identifier))

    def delete_tenant(self, tenant: str | None = None) -> None:
        """Remove a tenant and everything of it."""
        self._send(self._calls.delete_tenant(tenant))

    def reset(self, tenant: str | None = None, *, users: bool = False) -> None:
        """Forget a tenant's tasks, events, files, faults, journal and scripts (and users)."""
        self._send(self._calls.reset(tenant, users))

    def seed(
        self,
        *,
        users: Sequence[Mapping[str, str]] = (),
        tasks: Sequence[BatchTaskInfo | Mapping[str, Any]] = (),
        tenant: str | None = None,
    ) -> list[int]:
        """Create users (``{"Name", "Password", "Role"}``) and tasks as given; the task ids."""
        return self._send(self._calls.seed(tenant, users, tasks))

    def clock(self, tenant: str | None = None) -> Clock:
        """The tenant's clock."""
        return self._send(self._calls.clock(tenant))

    def set_clock(
        self, now: datetime | None = None, *, frozen: bool = True, tenant: str | None = None
    ) -> Clock:
        """Set the clock to ``now`` (an aware datetime) and freeze it (or let it run)."""
        return self._send(self._calls.set_clock(tenant, now, frozen))

    def advance_clock(self, seconds: float, *, tenant: str | None = None) -> Clock:
        """Move the tenant's clock forward."""
        return self._send(self._calls.advance_clock(tenant, seconds))

    def real_clock(self, tenant: str | None = None) -> None:
        """Back to real time."""
        self._send(self._calls.real_clock(tenant))

    def script_definition(
        self,
        name: str,
        steps: Sequence[Step] = (),
        *,
        outcome: Outcome = "Succeeded",
        result: str = "",
        response: str = "",
        file_name: str = "",
        tenant: str | None = None,
    ) -> None:
        """Tasks named ``name`` run these steps and end with ``outcome`` (no code needed)."""
        call = self._calls.script(
            tenant,
            name,
            steps=steps,
            outcome=outcome,
            result=result,
            response=response,
            file_name=file_name,
        )
        self._send(call)

    def remove_script(self, name: str, *, tenant: str | None = None) -> None:
        """Forget the scripted behaviour of ``name``."""
        self._send(self._calls.unscript(tenant, name))

    def add_fault(
        self,
        method: str,
        path: str,
        *,
        status: int = 503,
        body: Any = None,
        latency_ms: int = 0,
        times: int | None = None,
        probability: float | None = None,
        tenant: str | None = None,
    ) -> int:
        """Make matching requests fail (``path`` a glob without the tenant prefix); its id."""
        fault = fault_body(
            method,
            path,
            status=status,
            body=body,
            latency_ms=latency_ms,
            times=times,
            probability=probability,
        )
        return self._send(self._calls.add_fault(tenant, fault))

    def faults(self, tenant: str | None = None) -> list[Fault]:
        """The tenant's faults."""
        return self._send(self._calls.faults(tenant))

    def clear_faults(self, tenant: str | None = None) -> None:
        """Remove every fault of the tenant."""
        self._send(self._calls.clear_faults(tenant))

    def remove_fault(self, fault_id: int, *, tenant: str | None = None) -> None:
        """Remove one fault (``NotFound`` when it is gone, e.g. fired its ``times``)."""
        self._send(self._calls.remove_fault(tenant, fault_id))

    def requests(
        self, *, method: str | None = None, path: str | None = None, tenant: str | None = None
    ) -> list[JournalEntry]:
        """The request journal, optionally only one method and path."""
        return self._send(self._calls.requests(tenant, method, path))

    def clear_requests(self, tenant: str | None = None) -> None:
        """Empty the request journal."""
        self._send(self._calls.clear_requests(tenant))


class AsyncEmulator:
    """The emulator controls, awaitable (``AsyncClient.emulator``); the same as :class:`Emulator`."""

    def __init__(self, send: AsyncSend, conn: Connection) -> None:
        self._send = send
        self._calls = EmulatorCalls(conn)

    async def health(self) -> Health:
        """Whether the emulator answers, its version and how many tenants it holds."""
        return await self._send(self._calls.health())

    async def create_tenant(self, context_identifier: str | None = None) -> Tenant:
        """A fresh tenant (named by the server when ``context_identifier`` is ``None``)."""
        return await self._send(self._calls.create_tenant(context_identifier))

    async def delete_tenant(self, tenant: str | None = None) -> None:
        """Remove a tenant and everything of it."""
        await self._send(self._calls.delete_tenant(tenant))

    async def reset(self, tenant: str | None = None, *, users: bool = False) -> None:
        """Forget a tenant's tasks, events, files, faults, journal and scripts (and users)."""
        await self._send(self._calls.reset(tenant, users))

    async def seed(
        self,
        *,
        users: Sequence[Mapping[str, str]] = (),
        tasks: Sequence[BatchTaskInfo | Mapping[str, Any]] = (),
        tenant: str | None = None,
    ) -> list[int]:
        """Create users (``{"Name", "Password", "Role"}``) and tasks as given; the task ids."""
        return await self._send(self._calls.seed(tenant, users, tasks))

    async def clock(self, tenant: str | None = None) -> Clock:
        """The tenant's clock."""
        return await self._send(self._calls.clock(tenant))

    async def set_clock(
        self, now: datetime | None = None, *, frozen: bool = True, tenant: str | None = None
    ) -> Clock:
        """Set the clock to ``now`` (an aware datetime) and freeze it (or let it run)."""
        return await self._send(self._calls.set_clock(tenant, now, frozen))

    async def advance_clock(self, seconds: float, *, tenant: str | None = None) -> Clock:
        """Move the tenant's clock forward."""
        return await self._send(self._calls.advance_clock(tenant, seconds))

    async def real_clock(self, tenant: str | None = None) -> None:
        """Back to real time."""
        await self._send(self._calls.real_clock(tenant))

    async def script_definition(
        self,
        name: str,
        steps: Sequence[Step] = (),
        *,
        outcome: Outcome = "Succeeded",
        result: str = "",
        response: str = "",
        file_name: str = "",
        tenant: str | None = None,
    ) -> None:
        """Tasks named ``name`` run these steps and end with ``outcome`` (no code needed)."""
        call = self._calls.script(
            tenant,
            name,
            steps=steps,
            outcome=outcome,
            result=result,
            response=response,
            file_name=file_name,
        )
        await self._send(call)

    async def remove_script(self, name: str, *, tenant: str | None = None) -> None:
        """Forget the scripted behaviour of ``name``."""
        await self._send(self._calls.unscript(tenant, name))

    async def add_fault(
        self,
        method: str,
        path: str,
        *,
        status: int = 503,
        body: Any = None,
        latency_ms: int = 0,
        times: int | None = None,
        probability: float | None = None,
        tenant: str | None = None,
    ) -> int:
        """Make matching requests fail (``path`` a glob without the tenant prefix); its id."""
        fault = fault_body(
            method,
            path,
            status=status,
            body=body,
            latency_ms=latency_ms,
            times=times,
            probability=probability,
        )
        return await self._send(self._calls.add_fault(tenant, fault))

    async def faults(self, tenant: str | None = None) -> list[Fault]:
        """The tenant's faults."""
        return await self._send(self._calls.faults(tenant))

    async def clear_faults(self, tenant: str | None = None) -> None:
        """Remove every fault of the tenant."""
        await self._send(self._calls.clear_faults(tenant))

    async def remove_fault(self, fault_id: int, *, tenant: str | None = None) -> None:
        """Remove one fault (``NotFound`` when it is gone, e.g. fired its ``times``)."""
        await self._send(self._calls.remove_fault(tenant, fault_id))

    async def requests(
        self, *, method: str | None = None, path: str | None = None, tenant: str | None = None
    ) -> list[JournalEntry]:
        """The request journal, optionally only one method and path."""
        return await self._send(self._calls.requests(tenant, method, path))

    async def clear_requests(self, tenant: str | None = None) -> None:
        """Empty the request journal."""
        await self._send(self._calls.clear_requests(tenant))
