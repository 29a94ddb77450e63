"""The paths of the admin API (SPEC §10.1) and their ``/{ContextIdentifier}/admin/api`` twins.

Answers are JSON only; failures are the negotiated error object like everywhere else. The same
credentials as the SuperOffice API apply, and a browser session's calls are logged with source
``console``.
"""

from __future__ import annotations

from collections.abc import Callable

from batchtask.domain.task_list import DEFAULT_PAGE, MAX_PAGE
from batchtask.http.openapi.components import (
    JSON_TYPES,
    NO_CONTENT,
    OK_HEADERS,
    RENDERING,
    Schema,
    error_refs,
    parameter_refs,
    schema_ref,
    security,
)
from batchtask.services.admin import MAX_WINDOW

_TAGS = ["Admin"]
_HEADERS = (*RENDERING, "SOTimeZone", "SOAppToken", "XsrfToken")
_ERRORS = (400, 401, 403, 404, 429, 503)
_BODY_ERRORS = (400, 401, 403, 404, 413, 415, 429, 503)


def _query(name: str, description: str, schema: Schema) -> Schema:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema}  # fmt: skip


_LIST = (
    _query(
        "filter",
        "Restrictions in the `$filter` grammar of `GET /api/v1/BatchTask` (e.g. `state eq 5`); "
        "a parse error is a 400 naming the position.",
        {"type": "string", "examples": ["state eq 5"]},
    ),
    _query(
        "q",
        "Free text, matched ignoring case against Name, Description and Result.",
        {"type": "string", "maxLength": 254},
    ),
    _query(
        "orderby",
        "Columns to sort by (`$orderBy` grammar); default: newest first.",
        {"type": "string", "examples": ["lastStarted desc"]},
    ),
    _query(
        "top",
        f"Tasks per page, default {DEFAULT_PAGE}, at most {MAX_PAGE} (more is a 400).",
        {"type": "integer", "minimum": 0, "maximum": MAX_PAGE},
    ),
    _query("skip", "Tasks to skip.", {"type": "integer", "minimum": 0, "maximum": 2**31 - 1}),
)


def _json(description: str, schema: str, status: str = "200") -> dict[str, Schema]:
    return {
        status: {
            "description": description,
            "headers": OK_HEADERS,
            "content": {"application/json": {"schema": schema_ref(schema)}},
        }
    }


def _operation(
    operation_id: str,
    summary: str,
    responses: dict[str, Schema],
    *,
    basic: bool,
    parameters: tuple[Schema, ...] = (),
    tenant: tuple[str, ...] = (),
    task: bool = False,
    body: str | None = None,
) -> Schema:
    operation: Schema = {
        "tags": _TAGS,
        "operationId": operation_id,
        "summary": summary,
        "parameters": [
            *parameter_refs(*tenant, *(("TaskId",) if task else ())),
            *parameters,
            *parameter_refs(*_HEADERS),
        ],
        "security": security(basic),
        "responses": responses,
    }
    if body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {media: {"schema": schema_ref(body)} for media in JSON_TYPES},
        }
    return operation


def admin_paths(path: str, item: Callable[[str, tuple[str, ...]], Schema]) -> dict[str, Schema]:
    """``/admin/api/<path>`` and its ``/{ContextIdentifier}/admin/api/<path>`` twin."""
    return {
        f"/admin/api/{path}": item("", ()),
        f"/{{ContextIdentifier}}/admin/api/{path}": item("InContext", ("ContextIdentifier",)),
    }


def paths(basic: bool) -> dict[str, Schema]:
    """Every admin API path."""
    story = _json("The task, its event log, lease and the caller's actions.", "TaskStory")

    def tasks(suffix: str, tenant: tuple[str, ...]) -> Schema:
        return {
            "get": _operation(
                f"Admin_ListTasks{suffix}",
                "A page of tasks matching a filter and/or free text, with the total count.",
                {**_json("One page.", "TaskList"), **error_refs(*_ERRORS)},
                basic=basic, parameters=_LIST, tenant=tenant,
            ),
            "post": _operation(
                f"Admin_CreateTask{suffix}",
                "Start a task (as `POST /api/v1/BatchTask`); the answer is the new task.",
                {**_json("Started.", "TaskStory", "201"), **error_refs(*_BODY_ERRORS)},
                basic=basic, tenant=tenant, body="BatchTaskInfoNew",
            ),
        }  # fmt: skip

    def task(suffix: str, tenant: tuple[str, ...]) -> Schema:
        return {
            "get": _operation(
                f"Admin_GetTask{suffix}",
                "A task with its event log, lease and the actions the caller may take now.",
                {**story, **error_refs(*_ERRORS)},
                basic=basic, tenant=tenant, task=True,
            ),
            "put": _operation(
                f"Admin_EditTask{suffix}",
                "Change State, Description, Response and Request (the `PUT BatchTask` rules).",
                {**story, **error_refs(*_BODY_ERRORS)},
                basic=basic, tenant=tenant, task=True, body="BatchTaskInfoInput",
            ),
            "delete": _operation(
                f"Admin_DeleteTask{suffix}",
                "Delete a task; a missing one is also 204, someone else's a 403.",
                {"204": NO_CONTENT, **error_refs(*_ERRORS)},
                basic=basic, tenant=tenant, task=True,
            ),
        }  # fmt: skip

    def action(  # type: ignore[no-untyped-def]
        name: str,
        summary: str,
        result: dict[str, Schema],
        extra: tuple[int, ...] = (),
        method: str = "post",
    ):
        def item(suffix: str, tenant: tuple[str, ...]) -> Schema:
            return {
                method: _operation(
                    f"Admin_{name}Task{suffix}", summary,
                    {**result, **error_refs(*sorted({*_ERRORS, *extra}))},
                    basic=basic, tenant=tenant, task=True,
                )
            }  # fmt: skip

        return item

    def bulk(suffix: str, tenant: tuple[str, ...]) -> Schema:
        return {
            "post": _operation(
                f"Admin_BulkTasks{suffix}",
                "Stop, Retry or Delete tasks by id or by filter (rights per task, at most "
                "10,000, DryRun only counts).",
                {**_json("What matched, was done and was skipped.", "BulkResult"),
                 **error_refs(*_BODY_ERRORS)},
                basic=basic, tenant=tenant, body="BulkRequest",
            )
        }  # fmt: skip

    def listing(name: str, summary: str, schema: str, parameters: tuple[Schema, ...] = ()):  # type: ignore[no-untyped-def]
        def item(suffix: str, tenant: tuple[str, ...]) -> Schema:
            return {
                "get": _operation(
                    f"Admin_{name}{suffix}", summary,
                    {**_json(summary, schema), **error_refs(*_ERRORS)},
                    basic=basic, tenant=tenant, parameters=parameters,
                )
            }  # fmt: skip

        return item

    def stream_item(  # type: ignore[no-untyped-def]
        name: str, summary: str, result: dict[str, Schema], extra: tuple[Schema, ...], *, task: bool
    ):
        def item(suffix: str, tenant: tuple[str, ...]) -> Schema:
            return {
                "get": _operation(
                    f"Admin_{name}{suffix}", summary, {**result, **error_refs(*_ERRORS)},
                    basic=basic, tenant=tenant, task=task, parameters=extra,
                )
            }  # fmt: skip

        return item

    window = (
        _query("window", "Seconds of history, default 3600.",
               {"type": "integer", "minimum": 1, "maximum": MAX_WINDOW}),
        _query("step", "Seconds per point, default 60; at most 1,440 points.",
               {"type": "integer", "minimum": 1, "maximum": MAX_WINDOW}),
    )  # fmt: skip
    events = {
        "200": {
            "description": "Server-Sent Events until the client leaves: `event: task` (data: Id, "
            "Name, State, ProgressPercent, ProgressDescription, StartCount, AssociateId; `id:` is "
            "the change number, a deleted task has State `Unknown`), `event: worker` (a Worker), "
            "`event: stats` (Stats with one point, every 5 s), `event: reset` when Last-Event-ID "
            "is older than the changes kept; a comment every 15 s. Only tasks the caller may "
            "read. A client that falls behind is disconnected and resumes with Last-Event-ID.",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        }
    }
    task_events = {
        "200": {
            "description": "The task's current state at once, `event: task` at each change, "
            "then `event: end` (data: the final state) when it finishes, and the stream closes.",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        }
    }
    resume = (
        {
            "name": "Last-Event-ID",
            "in": "header",
            "required": False,
            "description": "The last change number received: every task changed since is sent "
            "first (or `event: reset` when it is too old). Also accepted as `?lastEventId=`.",
            "schema": {"type": "string", "pattern": "^[0-9]{1,18}$"},
        },
    )
    file_item = {
        "200": {
            "description": "The file, as an attachment.",
            "content": {"*/*": {"schema": {"type": "string"}}},
        }
    }
    return {
        **admin_paths("tasks", tasks),
        **admin_paths("tasks/bulk", bulk),
        **admin_paths("tasks/{id}", task),
        **admin_paths(
            "tasks/{id}/stop",
            action("Stop", "Stop a task (SPEC §8.4 rules); 403 for someone else's task.",
                   _json("Whether it stopped (or will).", "StopResult")),
        ),
        **admin_paths(
            "tasks/{id}/retry",
            action("Retry", "A finished task back to New with a fresh retry budget; 409 while "
                   "it has not finished.", story, (409,)),
        ),
        **admin_paths(
            "tasks/{id}/file",
            action("File", "The file the task produced (its FileName).", file_item,
                   method="get"),
        ),
        **admin_paths(
            "definitions",
            listing("Definitions", "Task definitions with counts, 24-hour outcomes and run "
                    "times.", "DefinitionList"),
        ),
        **admin_paths(
            "workers", listing("Workers", "Every registered worker process.", "WorkerList")
        ),
        **admin_paths("stream", stream_item("Stream", "Live changes of tasks, workers and stats.",
                                            events, resume, task=False)),
        **admin_paths("tasks/{id}/stream", stream_item(
            "TaskStream", "Live changes of one task, ending when it finishes.", task_events,
            resume, task=True)),
        **admin_paths(
            "stats",
            listing("Stats", "Counts per state, the oldest wait and a time series.", "Stats",
                    window),
        ),
    }  # fmt: skip
