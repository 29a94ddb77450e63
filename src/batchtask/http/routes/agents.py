"""``POST /api/v1/Agents/Batch/<Method>``: the 15 methods of SuperOffice's Batch agent.

Agent conventions differ from REST (SPEC §5.2, reference §1.2/§5.7, AGI): "not found" is 200 with
``null``; parameters come from a body with PascalCase keys (matched case-insensitively) or from
the query string; list parameters also accept ``1,2,3`` in the query. ``$select`` nulls
unselected carrier fields. A required parameter that is missing or ``null`` is not an HTTP error
but 200 with ASP.NET's internal error object (``{"Message": "The request is invalid.",
"MessageDetail": "The parameters dictionary contains a null entry for parameter 'id'."}``, the
.NET parameter name); a malformed one (``Id=glops``) is a 400. An empty body is no body, whatever
its ``Content-Type`` says: clients that set a default content type on every call send exactly
that, with the parameters in the query string. ``GET`` on an agent URL describes the call
(:data:`AGENT_CALLS`) instead of invoking it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from batchtask.domain.errors import InvalidInput, NotFound
from batchtask.domain.state import BatchTaskState, parse_state
from batchtask.domain.user import Principal
from batchtask.http.body import parsed_body
from batchtask.http.errors import RouteNotFound
from batchtask.http.query_string import Repeated, parse_query_all
from batchtask.http.request_options import media_type
from batchtask.http.respond import base_url, headers_of, query_of, wire_response
from batchtask.http.routes.batch_task import (
    CARRIER,
    caller,
    carrier_list,
    draft_of,
    options_for,
    update_of,
)
from batchtask.serialisation.carrier import batch_task_info
from batchtask.serialisation.carrier_input import no_nul, read_carrier, read_int
from batchtask.services.container import Services
from batchtask.services.tasks import Found

MAX_IDS = 10_000
_RESERVED = {"$select", "$format"}


class MissingParameter(Exception):
    """A required agent parameter is missing or ``null`` (answered 200, not as an HTTP error)."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        #: The .NET parameter name (``batchTaskId``), as ASP.NET reports it.
        self.parameter = name[:1].lower() + name[1:]


def invalid_request(parameter: str) -> dict[str, str]:
    """ASP.NET Web API's body for a null entry in the parameters dictionary (AGI)."""
    return {
        "Message": "The request is invalid.",
        "MessageDetail": "The parameters dictionary contains a null entry for parameter "
        f"'{parameter}'.",
    }


@dataclass(frozen=True, slots=True)
class Call:
    """One agent invocation: who, with which parameters, on which request."""

    request: Request
    ctx: Services
    principal: Principal
    params: dict[str, Any]

    def value(self, name: str, *, required: bool = True) -> Any:
        """A parameter by name, any case (the first of a repeated query parameter).

        ``MissingParameter`` when required and missing or ``null``.
        """
        raw = self._raw(name)
        if isinstance(raw, Repeated):
            return raw[0]
        if raw is not None:
            return raw
        if required:
            raise MissingParameter(name)
        return None

    def _raw(self, name: str) -> Any:
        return self.params.get(name.casefold())

    def integer(self, name: str) -> int:
        """An int32 parameter."""
        return read_int(name, self.value(name))

    def integers(self, name: str) -> list[int]:
        """A list of int32 (JSON array, XML items, or ``1,2,3`` text); missing = empty."""
        raw = self._raw(name)
        if isinstance(raw, Repeated):  # ?AssociateIds=1&AssociateIds=2,3
            raw = ",".join(raw)
        if raw is None or raw == "":
            return []
        if isinstance(raw, str):
            raw = [part for part in raw.split(",") if part.strip()]
        if isinstance(raw, dict) and len(raw) == 1 and set(raw) <= {"int", "long", "short"}:
            raw = next(iter(raw.values()))  # XML <AssociateIds><int>1</int></AssociateIds>
            raw = raw if isinstance(raw, list) else [raw]
        if not isinstance(raw, list):
            raise InvalidInput(f"{name} must be an array of integers", field=name)
        if len(raw) > MAX_IDS:
            raise InvalidInput(f"{name} has more than {MAX_IDS} entries", field=name)
        return [read_int(name, item) for item in raw]

    def state(self, name: str = "State") -> BatchTaskState:
        """A BatchTaskState by name (any case) or value."""
        raw = self.value(name)
        if isinstance(raw, bool) or not isinstance(raw, str | int):
            raise InvalidInput(f"{name} must be a BatchTaskState", field=name)
        try:
            return parse_state(raw)
        except ValueError:
            raise InvalidInput(
                f"{name} {str(raw)[:40]!r} is not a BatchTaskState", field=name
            ) from None

    def text(self, name: str) -> str:
        """An optional string parameter ("" when missing)."""
        raw = self.value(name, required=False)
        if raw is None:
            return ""
        if not isinstance(raw, str):
            raise InvalidInput(f"{name} must be a string", field=name)
        return no_nul(name, raw)


async def _parameters(request: Request, ctx: Services) -> dict[str, Any]:
    params: dict[str, Any] = {
        key: value
        for key, value in parse_query_all(request.scope.get("query_string", b"")).items()
        if key not in _RESERVED
    }
    declared = request.headers.get("content-length")
    chunked = "transfer-encoding" in request.headers
    if (declared is None and not chunked) or (declared is not None and declared.strip() == "0"):
        return params  # no body, whatever Content-Type says: the query has the parameters
    kind, body = await parsed_body(request, ctx.settings.body_limit)
    if kind == "xml":
        body = body[1]
    if body == "" and kind == "xml":
        body = {}
    if not isinstance(body, dict):
        raise InvalidInput("the body must be an object of parameters", field="body")
    for key, value in body.items():
        params[str(key).casefold()] = value
    return params


Handler = Callable[[Call], Awaitable[Response]]


def _carrier_response(call: Call, found: Any) -> Response:
    media = media_type(headers_of(call.request), query_of(call.request))
    if found is None:
        return wire_response(None, media, root=CARRIER)
    task, rights = found
    return wire_response(
        batch_task_info(task, rights, options_for(call.request, call.ctx)), media, root=CARRIER
    )


async def _list_response(call: Call, pages: AsyncIterator[Found]) -> Response:
    media = media_type(headers_of(call.request), query_of(call.request))
    return await carrier_list(pages, options_for(call.request, call.ctx), media)


async def get_batch_task_info(call: Call) -> Response:
    """``{Id}`` → the carrier, or ``null``."""
    try:
        found = await call.ctx.tasks.get(call.principal, call.integer("Id"))
    except NotFound:
        found = None
    return _carrier_response(call, found)


async def by_associates(call: Call) -> Response:
    """``{AssociateIds}`` → tasks of those owners (empty all, 0 system, -1 all users)."""
    return await _list_response(
        call, call.ctx.tasks.by_associates(call.principal, call.integers("AssociateIds"))
    )


async def by_associates_and_state(call: Call) -> Response:
    """``{AssociateIds, State}``."""
    found = call.ctx.tasks.by_associates(
        call.principal, call.integers("AssociateIds"), state=call.state()
    )
    return await _list_response(call, found)


async def by_name_and_associates(call: Call) -> Response:
    """``{Name, AssociateIds}`` (blank name = all)."""
    found = call.ctx.tasks.by_associates(
        call.principal, call.integers("AssociateIds"), name=call.text("Name")
    )
    return await _list_response(call, found)


async def by_name_and_state(call: Call) -> Response:
    """``{Name, State}`` — user tasks only."""
    found = call.ctx.tasks.by_state(call.principal, call.state(), call.text("Name"))
    return await _list_response(call, found)


async def by_state(call: Call) -> Response:
    """``{State}`` — user tasks only."""
    return await _list_response(call, call.ctx.tasks.by_state(call.principal, call.state()))


async def all_by_name(call: Call) -> Response:
    """``{TaskName}`` — system and user tasks."""
    found = call.ctx.tasks.by_associates(call.principal, [], name=call.text("TaskName"))
    return await _list_response(call, found)


async def all_by_name_and_state(call: Call) -> Response:
    """``{TaskName, State}`` — system and user tasks."""
    found = call.ctx.tasks.by_associates(
        call.principal, [], name=call.text("TaskName"), state=call.state()
    )
    return await _list_response(call, found)


async def system_by_name(call: Call) -> Response:
    """``{TaskName}`` — system tasks only."""
    found = call.ctx.tasks.by_associates(call.principal, [0], name=call.text("TaskName"))
    return await _list_response(call, found)


async def system_by_name_and_state(call: Call) -> Response:
    """``{TaskName, State}`` — system tasks only."""
    found = call.ctx.tasks.by_associates(
        call.principal, [0], name=call.text("TaskName"), state=call.state()
    )
    return await _list_response(call, found)


async def start_batch_job(call: Call) -> Response:
    """``{BatchTaskInfo}`` → the new id."""
    body = read_carrier(call.value("BatchTaskInfo"))
    task_id = await call.ctx.tasks.create(call.principal, draft_of(body))
    media = media_type(headers_of(call.request), query_of(call.request))
    return wire_response(task_id, media, root="int")


async def stop_batch_job(call: Call) -> Response:
    """``{Id}`` → whether the job was stopped."""
    stopped = await call.ctx.tasks.stop(call.principal, call.integer("Id"))
    media = media_type(headers_of(call.request), query_of(call.request))
    return wire_response(stopped, media, root="boolean")


async def update_batch_task(call: Call) -> Response:
    """``{BatchTaskInfo}`` → the updated carrier (by its Id), or ``null``."""
    body = read_carrier(call.value("BatchTaskInfo"))
    if body.id is None:
        raise InvalidInput("BatchTaskInfo.Id is required", field="Id")
    try:
        found = await call.ctx.tasks.update(call.principal, body.id, update_of(body))
    except NotFound:
        found = None
    return _carrier_response(call, found)


async def delete_batch_task(call: Call) -> Response:
    """``{BatchTaskId}`` → 204."""
    await call.ctx.tasks.delete(call.principal, [call.integer("BatchTaskId")])
    return Response(status_code=204)


async def delete_batch_tasks(call: Call) -> Response:
    """``{BatchTaskIds}`` → 204."""
    await call.ctx.tasks.delete(call.principal, call.integers("BatchTaskIds"))
    return Response(status_code=204)


@dataclass(frozen=True, slots=True)
class AgentCall:
    """What ``GET`` on an agent URL and the ``/api/v1`` listing say about one method."""

    name: str
    #: What the call does (the agent reference page's summary, WA-AGENT).
    summary: str
    #: Body keys (PascalCase) and their wire types, in the .NET signature's order.
    parameters: tuple[tuple[str, str], ...]
    returns: str
    #: A request body that works.
    example: dict[str, Any]

    @property
    def listing(self) -> str:
        """The ``/api/v1`` line: simple parameters as a query string, then the summary."""
        simple = [name[:1].lower() + name[1:] for name, kind in self.parameters if kind in _SIMPLE]
        query = "?" + "&".join(f"{name}={{{name}}}" for name in simple) + "   " if simple else ""
        return query + self.summary


_SIMPLE = frozenset({"int32", "string", "BatchTaskState"})
_IDS, _STATE, _NAME, _TASK_NAME = ("AssociateIds", "int32[]"), ("State", "BatchTaskState"), (
    "Name", "string"), ("TaskName", "string")  # fmt: skip
_CARRIER = {"BatchTaskInfo": {"Name": "batchtask.sleep", "ParameterObject": {"seconds": "5"}}}
_LIST = "BatchTaskInfo[]"
AGENT_CALLS: tuple[AgentCall, ...] = (
    AgentCall("GetBatchTaskInfo", "Get a BatchTaskInfo by id; null when there is none.",
              (("Id", "int32"),), "BatchTaskInfo", {"Id": 1}),
    AgentCall("GetBatchTaskInfosByAssociates", "Get an array of BatchTaskInfo for the provided "
              "associate ids: an empty array for all tasks, 0 for system tasks, -1 for all user "
              "tasks.", (_IDS,), _LIST, {"AssociateIds": [-1]}),
    AgentCall("GetBatchTaskInfosByAssociatesAndState", "Get an array of BatchTaskInfo for the "
              "provided associate id's and batch task state.", (_IDS, _STATE), _LIST,
              {"AssociateIds": [-1], "State": "All"}),
    AgentCall("GetBatchTaskInfosByNameAndAssociates", "Get an array of BatchTaskInfo with the "
              "given task definition name (blank for all) for the provided associate ids.",
              (_NAME, _IDS), _LIST, {"Name": "batchtask.sleep", "AssociateIds": []}),
    AgentCall("GetBatchTaskInfosByNameAndState", "Gets an array of user BatchTaskInfo with the "
              "given name (blank for all) and state. System tasks are excluded.",
              (_NAME, _STATE), _LIST, {"Name": "", "State": "New"}),
    AgentCall("GetBatchTaskInfosByState", "Gets an array of user BatchTaskInfo with state "
              "defined by a BatchTaskState. System tasks are excluded.", (_STATE,), _LIST,
              {"State": "Started"}),
    AgentCall("GetAllBatchTaskInfosByName", "Gets an array of system and user BatchTaskInfo "
              "with the given task name; NULL or blank for all tasks.", (_TASK_NAME,), _LIST,
              {"TaskName": ""}),
    AgentCall("GetAllBatchTaskInfosByNameAndState", "Gets an array of system and user "
              "BatchTaskInfo with the given task name and state.", (_TASK_NAME, _STATE), _LIST,
              {"TaskName": "", "State": "Failed"}),
    AgentCall("GetSystemBatchTaskInfosByName", "Gets an array of system BatchTaskInfo with the "
              "given task name; NULL or blank for all.", (_TASK_NAME,), _LIST, {"TaskName": ""}),
    AgentCall("GetSystemBatchTaskInfosByNameAndState", "Gets an array of system BatchTaskInfo "
              "with the given task name and state.", (_TASK_NAME, _STATE), _LIST,
              {"TaskName": "", "State": "All"}),
    AgentCall("StartBatchJob", "Start a batch job based on BatchTaskInfo. Returns the id of the "
              "created batch job.", (("BatchTaskInfo", "BatchTaskInfo"),), "int32", _CARRIER),
    AgentCall("StopBatchJob", "Stop a batch job by id. Returns true if the job was stopped "
              "successfully.", (("Id", "int32"),), "boolean", {"Id": 1}),
    AgentCall("UpdateBatchTask", "Update a BatchTask. Only State, Description, Response and "
              "Request are updated; null when the task does not exist.",
              (("BatchTaskInfo", "BatchTaskInfo"),), "BatchTaskInfo",
              {"BatchTaskInfo": {"Id": 1, "Description": "changed"}}),
    AgentCall("DeleteBatchTask", "Delete a batch task from the database.",
              (("BatchTaskId", "int32"),), "no content (204)", {"BatchTaskId": 1}),
    AgentCall("DeleteBatchTasks", "Delete several batch tasks from the database.",
              (("BatchTaskIds", "int32[]"),), "no content (204)", {"BatchTaskIds": [1, 2]}),
)  # fmt: skip

METHODS: dict[str, Handler] = {
    "GetBatchTaskInfo": get_batch_task_info,
    "GetBatchTaskInfosByAssociates": by_associates,
    "GetBatchTaskInfosByAssociatesAndState": by_associates_and_state,
    "GetBatchTaskInfosByNameAndAssociates": by_name_and_associates,
    "GetBatchTaskInfosByNameAndState": by_name_and_state,
    "GetBatchTaskInfosByState": by_state,
    "GetAllBatchTaskInfosByName": all_by_name,
    "GetAllBatchTaskInfosByNameAndState": all_by_name_and_state,
    "GetSystemBatchTaskInfosByName": system_by_name,
    "GetSystemBatchTaskInfosByNameAndState": system_by_name_and_state,
    "StartBatchJob": start_batch_job,
    "StopBatchJob": stop_batch_job,
    "UpdateBatchTask": update_batch_task,
    "DeleteBatchTask": delete_batch_task,
    "DeleteBatchTasks": delete_batch_tasks,
}
_BY_KEY = {name.casefold(): handler for name, handler in METHODS.items()}
_CALLS = {call.name.casefold(): call for call in AGENT_CALLS}


async def invoke(request: Request) -> Response:
    """Dispatch ``POST Agents/Batch/<Method>`` (method name in any case)."""
    handler = _BY_KEY.get(request.path_params["method"].casefold())
    if handler is None:
        raise RouteNotFound(path=request.url.path)
    ctx, principal = await caller(request)
    params = await _parameters(request, ctx)
    try:
        return await handler(Call(request, ctx, principal, params))
    except MissingParameter as missing:
        media = media_type(headers_of(request), query_of(request))
        return wire_response(invalid_request(missing.parameter), media, root="Error")


def describe(call: AgentCall, url: str) -> dict[str, Any]:
    """What ``GET`` on the agent URL answers: how to call it."""
    return {
        "Agent": "Batch",
        "Method": call.name,
        "HttpMethod": "POST",
        "Url": url,
        "Description": call.summary,
        "Parameters": [{"Name": name, "Type": kind} for name, kind in call.parameters],
        "Returns": call.returns,
        "Example": call.example,
    }


async def description(request: Request) -> Response:
    """``GET Agents/Batch/<Method>``: the description of the call; it is not invoked (AGI)."""
    call = _CALLS.get(request.path_params["method"].casefold())
    if call is None:
        raise RouteNotFound(path=request.url.path)
    media = media_type(headers_of(request), query_of(request))
    url = f"{base_url(request)}/api/v1/Agents/Batch/{call.name}"
    return wire_response(describe(call, url), media, root="AgentCall")
