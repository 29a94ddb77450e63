"""The paths of ``POST /api/v1/Agents/Batch/<Method>``: one path per method (SPEC §5.2).

The server has one route for all fifteen methods (the name matches in any case); the document lists
each canonical name as its own path, because each has its own parameters and answer. Parameters
come from a body object with PascalCase keys (matched in any case) or from the query string, so
each is described twice: as a body property and as an optional query parameter. Agent conventions
differ from REST: "not found" is 200 with ``null``, not 404, and a required parameter that is
missing or ``null`` is 200 with ASP.NET's invalid-request object. ``GET`` on each path describes
the call (anonymously) instead of invoking it.
"""

from __future__ import annotations

from dataclasses import dataclass

from batchtask.domain.task import INT32_MAX, INT32_MIN
from batchtask.http.openapi.components import (
    API_HEADERS,
    BODY_TYPES,
    NO_CONTENT,
    RENDERING,
    Schema,
    api_paths,
    error_refs,
    ok,
    parameter_refs,
    schema_ref,
    security,
)

_INT32: Schema = {"type": "integer", "format": "int32", "minimum": INT32_MIN, "maximum": INT32_MAX}
_STATE: Schema = schema_ref("BatchTaskStateInput")
_ID_TEXT = r"\s*[+-]?\d{1,11}\s*"
#: ``1,2,3``: what a list parameter may be as text (blank entries are skipped).
_IDS_TEXT: Schema = {"type": "string", "pattern": rf"^(?:{_ID_TEXT})?(?:,(?:{_ID_TEXT})?)*$"}
_IDS: Schema = {
    "anyOf": [{"type": "array", "items": _INT32, "maxItems": 10_000}, _IDS_TEXT],
    "description": "Task owners: empty = all tasks, 0 = system tasks, -1 = all user tasks. In "
    "the query string or as text: `1,2,3`.",
}
_NAME: Schema = {"type": "string", "description": "Task name; blank = any."}
_INFO: Schema = schema_ref("BatchTaskInfoInput")
_NEW: Schema = schema_ref("BatchTaskInfoNew")

#: Parameter name → (schema in the body, schema in the query string).
_PARAMETERS: dict[str, tuple[Schema, Schema]] = {
    "Id": (_INT32, _INT32),
    "BatchTaskId": (_INT32, _INT32),
    "BatchTaskIds": ({**_IDS, "description": "Ids of the tasks."}, _IDS_TEXT),
    "AssociateIds": (_IDS, _IDS_TEXT),
    "State": (_STATE, _STATE),
    "Name": (_NAME, _NAME),
    "TaskName": (_NAME, _NAME),
    "BatchTaskInfo": (_INFO, {}),
}


@dataclass(frozen=True, slots=True)
class AgentMethod:
    """One method of the Batch agent: its parameters and what it answers."""

    name: str
    summary: str
    parameters: tuple[str, ...]
    #: Schema names of the 200 answer (JSON, XML); ``None`` for a 204.
    answer: tuple[str, str] | None
    required: tuple[str, ...] = ()


_CARRIER = ("BatchTaskInfoOrNull", "BatchTaskInfoOrNullXml")
_LIST = ("ArrayOfBatchTaskInfo", "ArrayOfBatchTaskInfoXml")

METHODS: tuple[AgentMethod, ...] = (
    AgentMethod("GetBatchTaskInfo", "One task by id, or null.", ("Id",), _CARRIER, ("Id",)),
    AgentMethod(
        "GetBatchTaskInfosByAssociates", "Tasks of these owners.", ("AssociateIds",), _LIST
    ),
    AgentMethod(
        "GetBatchTaskInfosByAssociatesAndState",
        "Tasks of these owners in a state.",
        ("AssociateIds", "State"),
        _LIST,
        ("State",),
    ),
    AgentMethod(
        "GetBatchTaskInfosByNameAndAssociates",
        "Tasks of these owners with a name.",
        ("Name", "AssociateIds"),
        _LIST,
    ),
    AgentMethod(
        "GetBatchTaskInfosByNameAndState",
        "User tasks with a name in a state.",
        ("Name", "State"),
        _LIST,
        ("State",),
    ),
    AgentMethod(
        "GetBatchTaskInfosByState", "User tasks in a state.", ("State",), _LIST, ("State",)
    ),
    AgentMethod(
        "GetAllBatchTaskInfosByName", "System and user tasks with a name.", ("TaskName",), _LIST
    ),
    AgentMethod(
        "GetAllBatchTaskInfosByNameAndState",
        "System and user tasks with a name in a state.",
        ("TaskName", "State"),
        _LIST,
        ("State",),
    ),
    AgentMethod("GetSystemBatchTaskInfosByName", "System tasks with a name.", ("TaskName",), _LIST),
    AgentMethod(
        "GetSystemBatchTaskInfosByNameAndState",
        "System tasks with a name in a state.",
        ("TaskName", "State"),
        _LIST,
        ("State",),
    ),
    AgentMethod(
        "StartBatchJob",
        "Start a job from `{BatchTaskInfo}`; answers the new id.",
        ("BatchTaskInfo",),
        ("Int32", "Int32"),
        ("BatchTaskInfo",),
    ),
    AgentMethod(
        "StopBatchJob",
        "Stop a job: whether it was stopped.",
        ("Id",),
        ("Boolean", "Boolean"),
        ("Id",),
    ),
    AgentMethod(
        "UpdateBatchTask",
        "Update the task `BatchTaskInfo.Id`; null when missing.",
        ("BatchTaskInfo",),
        _CARRIER,
        ("BatchTaskInfo",),
    ),
    AgentMethod("DeleteBatchTask", "Delete one task.", ("BatchTaskId",), None, ("BatchTaskId",)),
    AgentMethod("DeleteBatchTasks", "Delete several tasks.", ("BatchTaskIds",), None),
)


def _query_parameters(method: AgentMethod) -> list[Schema]:
    out = []
    for name in method.parameters:
        schema = _PARAMETERS[name][1]
        if schema:
            out.append(
                {
                    "name": name,
                    "in": "query",
                    "required": False,
                    "schema": schema,
                    "description": "Alternative to the body property (the body wins).",
                }
            )
    return out


def _body_property(method: AgentMethod, name: str) -> Schema:
    """A parameter in the body; StartBatchJob's carrier must name its task definition."""
    if method.name == "StartBatchJob" and name == "BatchTaskInfo":
        return _NEW
    return _PARAMETERS[name][0]


def _body(method: AgentMethod) -> Schema:
    schema: Schema = {
        "type": "object",
        "description": "Parameters; keys match in any case. "
        + (
            f"Required, here or in the query string: {', '.join(method.required)} (else 200 with "
            "the invalid-request object)."
            if method.required
            else "All optional."
        ),
        "properties": {name: _body_property(method, name) for name in method.parameters},
        "xml": {"name": method.name},
    }
    return {"required": False, "content": {media: {"schema": schema} for media in BODY_TYPES}}


def _answer(method: AgentMethod) -> dict[str, Schema]:
    """200 with the result (or the invalid-request object when a required parameter is missing)."""
    invalid = ok("A required parameter is missing or null.", "InvalidRequest")
    if method.answer is None:
        return {"204": NO_CONTENT, **({"200": invalid} if method.required else {})}
    answer = ok("The answer.", *method.answer)
    if method.required:
        for media, content in answer["content"].items():
            content["schema"] = {"oneOf": [content["schema"], invalid["content"][media]["schema"]]}
        answer["description"] = "The answer, or the invalid-request object when a required "
        answer["description"] += "parameter is missing or null."
    return {"200": answer}


def _describe(method: AgentMethod, suffix: str, tenant: tuple[str, ...]) -> Schema:
    return {
        "tags": ["Agents"],
        "operationId": f"v1BatchAgent_Describe{method.name}{suffix}",
        "summary": f"How to call {method.name} (GET does not invoke it).",
        "parameters": parameter_refs(*tenant, "Format", *RENDERING),
        "security": [],
        "responses": {"200": ok("The description of the call.", "AgentCall"), **error_refs(404)},
    }


def _operation(method: AgentMethod, suffix: str, tenant: tuple[str, ...], basic: bool) -> Schema:
    answer = _answer(method)
    reads = tuple(name for name in ("Select",) if method.answer in {_CARRIER, _LIST})
    return {
        "get": _describe(method, suffix, tenant),
        "post": {
            "tags": ["Agents"],
            "operationId": f"v1BatchAgent_{method.name}{suffix}",
            "summary": method.summary,
            "parameters": [
                *parameter_refs(*tenant, *reads, "Format", *API_HEADERS),
                *_query_parameters(method),
            ],
            "security": security(basic),
            "requestBody": _body(method),
            "responses": {**answer, **error_refs(400, 401, 403, 404, 409, 413, 415, 429, 503)},
        },
    }


def paths(basic: bool) -> dict[str, Schema]:
    """A path per agent method, with tenant twins."""
    out: dict[str, Schema] = {}
    for method in METHODS:

        def item(suffix: str, tenant: tuple[str, ...], method: AgentMethod = method) -> Schema:
            return _operation(method, suffix, tenant, basic)

        out.update(api_paths(f"Agents/Batch/{method.name}", item))
    return out
