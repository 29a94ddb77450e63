"""``/admin/api/tasks…`` (and ``/{ContextIdentifier}/admin/api/tasks…``): the console's task calls.

Every action the console offers is one of these calls (SPEC §10). Answers are JSON; failures are
SuperOffice's error object like everywhere else. The event log records the caller as
``user:NAME`` and the source as ``console`` when the call came with a browser session (the
console's own pages) and ``admin-api`` otherwise.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from batchtask.domain.actions import TaskAction, allowed_actions
from batchtask.domain.errors import InvalidInput
from batchtask.domain.query import FilterError
from batchtask.domain.task_list import (
    DEFAULT_PAGE,
    MAX_BULK,
    MAX_PAGE,
    TaskListQuery,
    TaskSelection,
)
from batchtask.domain.user import AuthMethod, Principal
from batchtask.http.body import parsed_body
from batchtask.http.errors import UnsupportedMediaType
from batchtask.http.query_string import Query, query_value
from batchtask.http.respond import headers_of, json_response, query_of
from batchtask.http.routes.batch_task import caller, draft_of, options_for, path_id, update_of
from batchtask.serialisation import admin as shapes
from batchtask.serialisation.carrier import batch_task_info
from batchtask.serialisation.carrier_input import no_nul, read_carrier, read_int
from batchtask.serialisation.odata_filter import parse_filter, parse_order_by
from batchtask.services.admin import TaskStory
from batchtask.services.container import Services
from batchtask.services.tasks import SOURCE_ADMIN_API, SOURCE_CONSOLE

#: Longest free-text search.
MAX_TEXT = 254
_ACTIONS = {
    action.value.casefold(): action for action in TaskAction if action is not TaskAction.Edit
}


def source_of(principal: Principal) -> str:
    """``console`` for browser sessions (the console's pages), ``admin-api`` for the rest."""
    return SOURCE_CONSOLE if principal.method is AuthMethod.session else SOURCE_ADMIN_API


def count_param(query: Query, name: str, default: int, limit: int) -> int:
    raw = query_value(query, name)
    if raw is None or not raw.strip():
        return default
    text = raw.strip()
    if not text.isascii() or not text.isdigit() or len(text) > 10 or int(text) > limit:
        raise InvalidInput(f"{name} must be an integer from 0 to {limit}", field=name)
    return int(text)


def selection_of(
    request: Request, ctx: Services, filter_text: str | None, text: str
) -> TaskSelection:
    """A ``filter`` (the §7 ``$filter`` grammar) and free text, with the request's zone."""
    if len(text) > MAX_TEXT:
        raise InvalidInput(f"q is longer than {MAX_TEXT} characters", field="q")
    no_nul("q", text)
    try:
        node = parse_filter(filter_text) if filter_text and filter_text.strip() else None
    except FilterError as exc:
        raise FilterError(exc.reason, exc.position, field="filter") from None
    zone = options_for(request, ctx, carrier_select=False).zone
    return TaskSelection(filter=node, text=text.strip(), zone=zone)


async def list_tasks(request: Request) -> Response:
    """``GET tasks?filter=&q=&orderby=&top=&skip=`` → ``{"Tasks", "Count", "Next"}``."""
    ctx, principal = await caller(request)
    query = query_of(request)
    top = count_param(query, "top", DEFAULT_PAGE, MAX_PAGE)
    skip = count_param(query, "skip", 0, 2**31 - 1)
    order_text = query_value(query, "orderby")
    try:
        order = parse_order_by(order_text) if order_text else ()
    except FilterError as exc:
        raise FilterError(exc.reason, exc.position, field="orderby") from None
    selection = selection_of(
        request, ctx, query_value(query, "filter"), query_value(query, "q") or ""
    )
    page = await ctx.admin.page(
        principal, TaskListQuery(selection=selection, order=order, top=top, skip=skip)
    )
    text = options_for(request, ctx, carrier_select=False).translator
    rows = [
        shapes.task_summary(task, page.owners.get(task.associate_id, ""),
                            allowed_actions(principal, task), text)
        for task in page.tasks
    ]  # fmt: skip
    following = skip + top < page.count and top > 0
    next_url = str(request.url.include_query_params(skip=skip + top)) if following else None
    return json_response({"Tasks": rows, "Count": page.count, "Next": next_url})


def story_body(request: Request, ctx: Services, story: TaskStory) -> dict[str, Any]:
    """``{"Task", "Events", "Lease", "Actions"}`` for this request's language and zone."""
    options = options_for(request, ctx)
    return {
        "Task": batch_task_info(story.task, story.rights, options),
        "Events": [shapes.event(item, options.translator) for item in story.events],
        "Lease": shapes.lease(story.task),
        "Actions": [action.value for action in story.actions],
    }


async def get_task(request: Request) -> Response:
    """``GET tasks/{id}`` → the task, its event log, its lease and the caller's actions."""
    ctx, principal = await caller(request)
    story = await ctx.admin.story(principal, path_id(request))
    return json_response(story_body(request, ctx, story))


async def json_object(request: Request, ctx: Services) -> dict[str, Any]:
    """The request's JSON object body (415 for other types, 400 when not an object)."""
    kind, value = await parsed_body(request, ctx.settings.body_limit)
    if kind != "json":
        raise UnsupportedMediaType(content_type=headers_of(request).content_type or "(none)")
    if not isinstance(value, dict):
        raise InvalidInput("the body must be a JSON object", field="body")
    return value


async def create_task(request: Request) -> Response:
    """``POST tasks`` with a BatchTaskInfo (Name, ParameterObject, …) → 201 and the new task."""
    ctx, principal = await caller(request)
    body = read_carrier(await json_object(request, ctx))
    task_id = await ctx.tasks.create(principal, draft_of(body), source=source_of(principal))
    story = await ctx.admin.story(principal, task_id)
    return json_response(story_body(request, ctx, story), status=201)


async def edit_task(request: Request) -> Response:
    """``PUT tasks/{id}``: State, Description, Response, Request (SPEC §5.1 PUT rules)."""
    ctx, principal = await caller(request)
    task_id = path_id(request)
    body = read_carrier(await json_object(request, ctx))
    await ctx.tasks.update(principal, task_id, update_of(body), source=source_of(principal))
    story = await ctx.admin.story(principal, task_id)
    return json_response(story_body(request, ctx, story))


async def stop_task(request: Request) -> Response:
    """``POST tasks/{id}/stop`` → ``{"Stopped": bool}`` (SPEC §8.4)."""
    ctx, principal = await caller(request)
    stopped = await ctx.admin.stop(principal, path_id(request), source=source_of(principal))
    return json_response({"Stopped": stopped})


async def retry_task(request: Request) -> Response:
    """``POST tasks/{id}/retry``: a finished task back to ``New``; 409 while it has not finished."""
    ctx, principal = await caller(request)
    story = await ctx.admin.retry(principal, path_id(request), source=source_of(principal))
    return json_response(story_body(request, ctx, story))


async def delete_task(request: Request) -> Response:
    """``DELETE tasks/{id}`` → 204 (also when missing; 403 for someone else's task)."""
    ctx, principal = await caller(request)
    await ctx.admin.delete(principal, path_id(request), source=source_of(principal))
    return Response(status_code=204, headers={"cache-control": "no-store"})


def _key(body: dict[str, Any], name: str) -> Any:
    """``body[name]`` matched ignoring case (``None`` when absent); a key twice is a 400."""
    found = [value for key, value in body.items() if key.casefold() == name.casefold()]
    if len(found) > 1:
        raise InvalidInput(f"{name} is given twice", field=name)
    return found[0] if found else None


async def bulk(request: Request) -> Response:
    """``POST tasks/bulk`` with ``{"Action", "Ids"}`` or ``{"Action", "Filter", "Q", "DryRun"}``."""
    ctx, principal = await caller(request)
    body = await json_object(request, ctx)
    raw_action = _key(body, "Action")
    if not isinstance(raw_action, str) or raw_action.casefold() not in _ACTIONS:
        raise InvalidInput("Action must be Stop, Retry or Delete", field="Action")
    action = _ACTIONS[raw_action.casefold()]
    raw_ids, raw_filter, raw_text = _key(body, "Ids"), _key(body, "Filter"), _key(body, "Q")
    dry_run = _key(body, "DryRun")
    if dry_run is not None and not isinstance(dry_run, bool):
        raise InvalidInput("DryRun must be true or false", field="DryRun")
    if (raw_ids is None) == (raw_filter is None and raw_text is None):
        raise InvalidInput("give either Ids, or Filter and/or Q", field="Ids")
    ids = None
    selection = None
    if raw_ids is not None:
        if not isinstance(raw_ids, list):
            raise InvalidInput("Ids must be a list of task ids", field="Ids")
        if len(raw_ids) > MAX_BULK:
            raise InvalidInput(f"at most {MAX_BULK} ids per call", field="Ids")
        ids = [read_int("Ids", item) for item in raw_ids]
    else:
        for name, value in (("Filter", raw_filter), ("Q", raw_text)):
            if value is not None and not isinstance(value, str):
                raise InvalidInput(f"{name} must be a string", field=name)
        selection = selection_of(request, ctx, raw_filter, raw_text or "")
    outcome = await ctx.admin.bulk(
        principal, action, ids=ids, selection=selection, dry_run=bool(dry_run),
        source=source_of(principal),
    )  # fmt: skip
    text = options_for(request, ctx, carrier_select=False).translator
    return json_response(
        {
            "Matched": outcome.matched,
            "Done": outcome.done,
            "Skipped": [{"Id": i, "Reason": text.text(why)} for i, why in outcome.skipped],
        }
    )
