"""The SuperOffice REST calls (``/api/v1/BatchTask``) and ``POST /login``, as :class:`Call` values."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from batchtask.client.call import (
    Call,
    Routes,
    read_bool,
    read_carrier,
    read_int,
    read_nothing,
    segment,
)
from batchtask.client.info import BatchTaskInfo
from batchtask.domain.state import BatchTaskState

#: Largest OData page (SPEC §7 ``$top`` maximum).
MAX_PAGE = 1000


@dataclass(frozen=True, slots=True)
class IdPage:
    """Task ids of one OData page, and whether another page follows."""

    ids: tuple[int, ...]
    more: bool


def _read_ticket(response: httpx.Response) -> str:
    body = response.json()
    ticket = body.get("Ticket") if isinstance(body, dict) else None
    if not isinstance(ticket, str):
        raise TypeError("the login answer has no Ticket")
    return ticket


def _read_id_page(response: httpx.Response) -> IdPage:
    body = response.json()
    rows = body.get("value") if isinstance(body, dict) else None
    if not isinstance(rows, list):
        raise TypeError("the OData answer has no value array")
    ids = tuple(int(row["PrimaryKey"]) for row in rows)
    return IdPage(ids=ids, more=body.get("odata.nextLink") is not None)


def state_name(state: BatchTaskState | str) -> str:
    """A state as its wire name (names are also accepted, any case)."""
    return state.name if isinstance(state, BatchTaskState) else state


@dataclass(frozen=True, slots=True)
class Rest:
    """Builders of the REST calls for one tenant."""

    routes: Routes

    def login(self, username: str, password: str) -> Call[str]:
        """``POST /login`` → the new ticket."""
        body = {"username": username, "password": password}
        return Call("POST", self.routes.login, _read_ticket, json=body)

    def get(self, task_id: int) -> Call[BatchTaskInfo]:
        """``GET BatchTask/{id}``."""
        return Call("GET", f"{self.routes.api}/BatchTask/{segment(task_id)}", read_carrier)

    def create(self, body: Mapping[str, Any]) -> Call[int]:
        """``POST BatchTask`` → the new id."""
        return Call("POST", f"{self.routes.api}/BatchTask", read_int, json=dict(body))

    def update(self, task_id: int, body: Mapping[str, Any]) -> Call[BatchTaskInfo]:
        """``PUT BatchTask/{id}`` → the updated carrier."""
        path = f"{self.routes.api}/BatchTask/{segment(task_id)}"
        return Call("PUT", path, read_carrier, json={"Id": task_id, **body})

    def stop(self, task_id: int) -> Call[bool]:
        """``POST BatchTask/{id}/Stop``."""
        return Call("POST", f"{self.routes.api}/BatchTask/{segment(task_id)}/Stop", read_bool)

    def delete(self, task_id: int) -> Call[None]:
        """``DELETE BatchTask/{id}``."""
        return Call("DELETE", f"{self.routes.api}/BatchTask/{segment(task_id)}", read_nothing)

    def id_page(
        self, *, filter: str | None, order_by: str | None, top: int, skip: int
    ) -> Call[IdPage]:
        """One page of ``GET BatchTask`` (the OData list), only the ids."""
        params: dict[str, str | int] = {"$select": "State", "$top": top, "$skip": skip}
        if filter:
            params["$filter"] = filter
        if order_by:
            params["$orderBy"] = order_by
        return Call("GET", f"{self.routes.api}/BatchTask", _read_id_page, params=params)


def start_body(
    name: str,
    parameters: Mapping[str, str] | None,
    *,
    description: str,
    request: str,
    context: str,
    is_system_task: bool,
    is_internal_task: bool,
    details_table: int,
    details_record: int,
) -> dict[str, Any]:
    """The carrier a ``start`` sends; the server fills in everything else."""
    return {
        "Name": name,
        "DetailsTable": details_table,
        "DetailsRecord": details_record,
        "IsSystemTask": is_system_task,
        "IsInternalTask": is_internal_task,
        "ParameterObject": {str(key): str(value) for key, value in (parameters or {}).items()},
        "Context": context,
        "Description": description,
        "Request": request,
    }


def update_body(
    *,
    state: BatchTaskState | str | None,
    description: str | None,
    response: str | None,
    request: str | None,
) -> dict[str, Any]:
    """The four fields a PUT may change, only those given."""
    body: dict[str, Any] = {}
    if state is not None:
        body["State"] = state_name(state)
    for key, value in (("Description", description), ("Response", response), ("Request", request)):
        if value is not None:
            body[key] = value
    return body
