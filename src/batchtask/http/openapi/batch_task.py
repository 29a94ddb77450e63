"""The paths of the REST resource ``/api/v1/BatchTask`` (SPEC §5.1, §7) and their tenant twins."""

from __future__ import annotations

from batchtask.http.openapi.components import (
    API_HEADERS,
    JSON_TYPES,
    NO_CONTENT,
    OK_HEADERS,
    XML_TYPES,
    Schema,
    api_paths,
    body,
    error_refs,
    ok,
    parameter_refs,
    schema_ref,
    security,
)

_TAGS = ["BatchTask"]


def _carrier_or_array() -> Schema:
    """``GET BatchTask/{id}`` answers one carrier; ``GET BatchTask/{state}`` an array."""
    content: Schema = {}
    for types, suffix in ((JSON_TYPES, ""), (XML_TYPES, "Xml")):
        one = schema_ref(f"BatchTaskInfo{suffix}")
        many = schema_ref(f"ArrayOfBatchTaskInfo{suffix}")
        content.update({media: {"schema": {"oneOf": [one, many]}} for media in types})
    return content


def _operation(
    operation_id: str,
    summary: str,
    parameters: tuple[str, ...],
    responses: dict[str, Schema],
    *,
    basic: bool,
    request_body: Schema | None = None,
) -> Schema:
    operation: Schema = {
        "tags": _TAGS,
        "operationId": operation_id,
        "summary": summary,
        "parameters": parameter_refs(*parameters, "Format", *API_HEADERS),
        "security": security(basic),
        "responses": responses,
    }
    if request_body is not None:
        operation["requestBody"] = request_body
    return operation


def paths(basic: bool) -> dict[str, Schema]:
    """Every path of the resource."""
    carrier = ok("The BatchTaskInfo.", "BatchTaskInfo", "BatchTaskInfoXml")
    new_task = body(
        "BatchTaskInfoNew",
        description="The task to start. `Name` (the task definition) is required; a name no "
        "worker knows is accepted and waits as `New`.",
    )
    changes = body(
        "BatchTaskInfoInput",
        description="Only State, Description, Response and Request change; the rest is ignored.",
    )

    def collection(suffix: str, tenant: tuple[str, ...]) -> Schema:
        return {
            "get": _operation(
                f"v1Batch_GetBatchTaskList{suffix}",
                "The BatchTasks archive as an OData list: Slim or Full rows, paged.",
                (
                    *tenant,
                    "ListSelect",
                    "Filter",
                    "OrderBy",
                    "Top",
                    "Skip",
                    "Mode",
                    "Output",
                    "JsonSafe",
                    "Context",
                    "Options",
                    "Entities",
                ),
                {"200": ok("One page.", "ODataList"), **error_refs(400, 401, 403, 404, 429, 503)},
                basic=basic,
            ),
            "post": _operation(
                f"v1Batch_PostBatchTaskInfo{suffix}",
                "Start a batch job; the body of the answer is the new id.",
                tenant,
                {
                    "200": ok("The id of the new task.", "Int32"),
                    **error_refs(400, 401, 403, 404, 409, 413, 415, 429, 503),
                },
                basic=basic,
                request_body=new_task,
            ),
        }

    def item(suffix: str, tenant: tuple[str, ...]) -> Schema:
        return {
            "get": _operation(
                f"v1Batch_GetBatchTaskInfo{suffix}",
                "Get a single BatchTaskInfo based on Id (or the user tasks in a state).",
                (*tenant, "TaskIdOrState", "Select"),
                {
                    "200": {
                        "description": "The BatchTaskInfo; for a state name, an array of them.",
                        "headers": OK_HEADERS,
                        "content": _carrier_or_array(),
                    },
                    **error_refs(400, 401, 403, 404, 429, 503),
                },
                basic=basic,
            ),
            "put": _operation(
                f"v1Batch_PutBatchTaskInfo{suffix}",
                "Update State, Description, Response and Request of a task.",
                (*tenant, "TaskId", "Select"),
                {"200": carrier, **error_refs(400, 401, 403, 404, 409, 413, 415, 429, 503)},
                basic=basic,
                request_body=changes,
            ),
            "delete": _operation(
                f"v1Batch_DeleteBatchTaskInfo{suffix}",
                "Delete a task (a running one is stopped first); missing is also 204.",
                (*tenant, "TaskId"),
                {"204": NO_CONTENT, **error_refs(400, 401, 403, 404, 409, 429, 503)},
                basic=basic,
            ),
        }

    def stop(suffix: str, tenant: tuple[str, ...]) -> Schema:
        return {
            "post": _operation(
                f"v1Batch_StopBatchTask{suffix}",
                "Stop a task: `true` when it was stopped (or will stop), else `false`.",
                (*tenant, "StopTaskId"),
                {
                    "200": ok("Whether it was stopped.", "Boolean"),
                    **error_refs(400, 401, 403, 404, 429, 503),
                },
                basic=basic,
            )
        }

    return {
        **api_paths("BatchTask", collection),
        **api_paths("BatchTask/{id}", item),
        **api_paths("BatchTask/{id}/Stop", stop),
    }
