"""``/api/v1/BatchTask`` (and its ``/{ContextIdentifier}/api/v1/…`` twin): the REST resource."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from batchtask.domain.errors import InvalidInput
from batchtask.domain.rights import TaskRights
from batchtask.domain.state import parse_state
from batchtask.domain.task import BatchTask, TaskUpdate
from batchtask.domain.user import Principal
from batchtask.http.authentication import authenticate
from batchtask.http.body import parsed_body
from batchtask.http.errors import RouteNotFound
from batchtask.http.negotiation import MediaType
from batchtask.http.request_options import media_type, render_options, translator
from batchtask.http.respond import (
    client_address,
    context_of,
    headers_of,
    query_of,
    wire_list_response,
    wire_response,
)
from batchtask.http.task_id import is_numeric, parse_task_id
from batchtask.http.task_read import read_task
from batchtask.serialisation.carrier import RenderOptions, batch_task_info
from batchtask.serialisation.carrier_input import CarrierInput, read_carrier
from batchtask.services.container import Services
from batchtask.services.tasks import Found, TaskDraft

CARRIER = "BatchTaskInfo"
ARRAY = "ArrayOfBatchTaskInfo"


async def caller(request: Request) -> tuple[Services, Principal]:
    """The tenant's services and the authenticated caller."""
    ctx = context_of(request)
    principal = await authenticate(headers_of(request), client_address(request), ctx.auth)
    return ctx, principal


def path_id(request: Request, name: str = "id") -> int:
    """The task id of the path; a segment that is not a number is 404."""
    task_id = parse_task_id(request.path_params[name])
    if task_id is None:
        raise RouteNotFound(path=request.url.path)
    return task_id


def options_for(request: Request, ctx: Services, *, carrier_select: bool = True) -> RenderOptions:
    """Rendering options of this request (``$select`` read as carrier fields unless told not to)."""
    headers = headers_of(request)
    return render_options(
        headers,
        query_of(request),
        translator(headers),
        ctx.base_zone,
        carrier_select=carrier_select,
    )


def carriers(
    items: list[tuple[BatchTask, TaskRights]], options: RenderOptions
) -> list[dict[str, Any]]:
    """Wire forms of several tasks."""
    return [batch_task_info(task, rights, options) for task, rights in items]


async def carrier_list(
    pages: AsyncIterator[Found], options: RenderOptions, media: MediaType
) -> Response:
    """An ``ArrayOfBatchTaskInfo`` of every task of ``pages``, streamed when long."""
    return await wire_list_response(
        pages, lambda page: carriers(page, options), media, root=ARRAY, item=CARRIER
    )


async def carrier_body(request: Request, ctx: Services) -> CarrierInput:
    """The ``BatchTaskInfo`` of a request body (its XML root must say so)."""
    kind, value = await parsed_body(request, ctx.settings.body_limit)
    if kind == "xml":
        root, value = value
        if root != "BatchTaskInfo":
            raise InvalidInput(
                f"the XML root element must be BatchTaskInfo, not {root}", field="body"
            )
    return read_carrier(value)


def draft_of(body: CarrierInput) -> TaskDraft:
    """What a create call may choose."""
    return TaskDraft(
        name=body.name or "",
        is_system=bool(body.is_system),
        is_internal=bool(body.is_internal),
        description=body.description or "",
        request=body.request or "",
        context=body.context or "",
        details_table=body.details_table or 0,
        details_record=body.details_record or 0,
        parameters=body.parameters,
    )


def update_of(body: CarrierInput) -> TaskUpdate:
    """What an update call may change."""
    return TaskUpdate(
        state=body.state, description=body.description, response=body.response, request=body.request
    )


async def get_batch_task(request: Request) -> Response:
    """``GET BatchTask/{id}`` → ``BatchTaskInfo``; ``GET BatchTask/{state}`` → user tasks in a state.

    Numeric segments are answered by ``task_read.read_task`` (shared with the fast lane).
    """
    segment = request.path_params["id"]
    if is_numeric(segment):
        status, raw, body = await read_task(
            context_of(request), headers_of(request),
            segment=segment, query=query_of(request), address=client_address(request),
            path=request.scope["path"],
        )  # fmt: skip
        response = Response(body, status_code=status)
        response.raw_headers = [(b"content-length", str(len(body)).encode()), *raw]
        return response
    ctx, principal = await caller(request)
    media = media_type(headers_of(request), query_of(request))
    try:  # state names only: letters, any case (never digits or padding)
        state = parse_state(segment) if segment.isascii() and segment.isalpha() else None
    except ValueError:
        state = None
    if state is None:
        raise RouteNotFound(path=request.url.path)
    return await carrier_list(
        ctx.tasks.by_state(principal, state), options_for(request, ctx), media
    )


async def post_batch_task(request: Request) -> Response:
    """``POST BatchTask`` → 200 with the new id as a bare integer."""
    ctx, principal = await caller(request)
    media = media_type(headers_of(request), query_of(request))
    task_id = await ctx.tasks.create(principal, draft_of(await carrier_body(request, ctx)))
    return wire_response(task_id, media, root="int")


async def put_batch_task(request: Request) -> Response:
    """``PUT BatchTask/{id}`` → the updated ``BatchTaskInfo`` (only four fields change)."""
    ctx, principal = await caller(request)
    task_id = path_id(request)
    media = media_type(headers_of(request), query_of(request))
    options = options_for(request, ctx)
    body = await carrier_body(request, ctx)
    task, rights = await ctx.tasks.update(principal, task_id, update_of(body))
    return wire_response(batch_task_info(task, rights, options), media, root=CARRIER)


async def delete_batch_task(request: Request) -> Response:
    """``DELETE BatchTask/{id}`` → 204 (also when the task does not exist)."""
    ctx, principal = await caller(request)
    await ctx.tasks.delete(principal, [path_id(request)])
    return Response(status_code=204)


async def stop_batch_task(request: Request) -> Response:
    """``POST BatchTask/{id}/Stop`` → ``true`` when the task was stopped (SPEC §8.4)."""
    ctx, principal = await caller(request)
    task_id = parse_task_id(request.path_params["id"])
    stopped = False if task_id is None else await ctx.tasks.stop(principal, task_id)
    media = media_type(headers_of(request), query_of(request))
    return wire_response(stopped, media, root="boolean")
