"""JSON Schemas of the admin API's shapes (``serialisation/admin.py``), for the OpenAPI document.

Derived from the same tables as the renderers (the storable states, the actions), so a state or
action added there shows up here too.
"""

from __future__ import annotations

from typing import Any

from batchtask.domain.actions import TaskAction
from batchtask.domain.state import BatchTaskState, CancellationBehaviour
from batchtask.domain.task_list import MAX_BULK
from batchtask.serialisation.admin import COUNTED

Schema = dict[str, Any]

_INT = {"type": "integer", "format": "int32"}
_COUNT = {"type": "integer", "minimum": 0}
_TEXT = {"type": "string"}
_INSTANT = {"type": "string", "format": "date-time", "description": "UTC, ISO 8601 with `Z`."}
_MAYBE_INSTANT = {"type": ["string", "null"], "format": "date-time"}
_STATE = {"type": "string", "enum": [state.name for state in BatchTaskState if state.name != "All"]}
_ACTION = {"type": "string", "enum": [action.value for action in TaskAction]}


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(properties: dict[str, Schema], description: str = "") -> Schema:
    schema: Schema = {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }
    if description:
        schema["description"] = description
    return schema


def admin_schemas() -> dict[str, Schema]:
    """``components/schemas`` entries of the admin API."""
    counts = _object(
        {state.name: _COUNT for state in COUNTED}, "Tasks per state (every storable state)."
    )
    return {
        "StateCounts": counts,
        "TaskSummary": _object(
            {
                "Id": _INT,
                "Name": {**_TEXT, "description": "The task definition. Translated."},
                "State": _STATE,
                "ProgressPercent": {"type": "integer", "minimum": 0, "maximum": 100},
                "ProgressDescription": _TEXT,
                "StartCount": _COUNT,
                "AssociateId": _INT,
                "Owner": {**_TEXT, "description": 'The owner\'s display name (`""`: system).'},
                "IsSystemTask": {"type": "boolean"},
                "Description": _TEXT,
                "Response": _TEXT,
                "Created": _INSTANT,
                "LastStarted": _MAYBE_INSTANT,
                "Updated": _MAYBE_INSTANT,
                "StopRequested": {"type": "boolean"},
                "Actions": {"type": "array", "items": _ACTION},
            },
            "One task of the task list, with the actions the caller may take on it now.",
        ),
        "TaskList": _object(
            {
                "Tasks": {"type": "array", "items": _ref("TaskSummary")},
                "Count": {**_COUNT, "description": "Tasks matching, all pages together."},
                "Next": {"type": ["string", "null"], "description": "The next page, or null."},
            }
        ),
        "TaskEvent": _object(
            {
                "At": _INSTANT,
                "Actor": {**_TEXT, "examples": ["user:alice", "worker:host:123:ab12cd"]},
                "Source": {
                    **_TEXT,
                    "description": '`api`, `admin-api`, `console`, `cli`; `""` for the runtime.',
                },
                "From": {"type": ["string", "null"], "enum": [*_STATE["enum"], None]},
                "To": _STATE,
                "StartCount": _COUNT,
                "Reason": _TEXT,
            },
            "One line of the task's event log; To `Unknown` means it was deleted.",
        ),
        "TaskStory": _object(
            {
                "Task": _ref("BatchTaskInfo"),
                "Events": {"type": "array", "items": _ref("TaskEvent")},
                "Lease": {
                    "oneOf": [
                        _object({"Owner": _TEXT, "Expires": _MAYBE_INSTANT}),
                        {"type": "null"},
                    ]
                },
                "Actions": {"type": "array", "items": _ACTION},
            },
            "A task, its event log, its lease and the actions the caller may take now.",
        ),
        "StopResult": _object({"Stopped": {"type": "boolean"}}),
        "BulkRequest": {
            "type": "object",
            "description": "Either `Ids`, or `Filter` (the `$filter` grammar) and/or `Q` (free "
            "text). Keys are matched ignoring case.",
            "properties": {
                "Action": {"type": "string", "enum": ["Stop", "Retry", "Delete"]},
                "Ids": {"type": "array", "items": _INT, "maxItems": MAX_BULK},
                "Filter": _TEXT,
                "Q": {**_TEXT, "maxLength": 254},
                "DryRun": {"type": "boolean"},
            },
            "required": ["Action"],
        },
        "BulkResult": _object(
            {
                "Matched": _COUNT,
                "Done": {**_COUNT, "description": "Done, or with DryRun: would be done."},
                "Skipped": {
                    "type": "array",
                    "items": _object({"Id": _INT, "Reason": _TEXT}),
                },
            }
        ),
        "DefinitionFigures": _object(
            {
                "Name": _TEXT,
                "Description": _TEXT,
                "CancellationBehaviour": {
                    "type": "string",
                    "enum": [member.name for member in CancellationBehaviour],
                },
                "Timeout": {"type": ["integer", "null"], "description": "Seconds; null: none."},
                "MaxStarts": _COUNT,
                "Isolation": {"type": "string", "enum": ["inline", "process", ""]},
                "Counts": _ref("StateCounts"),
                "Succeeded24h": _COUNT,
                "Failed24h": _COUNT,
                "P50Ms": {"type": ["number", "null"]},
                "P95Ms": {"type": ["number", "null"]},
                "Workers": {**_COUNT, "description": "Alive workers that run it."},
            }
        ),
        "DefinitionList": {"type": "array", "items": _ref("DefinitionFigures")},
        "Worker": _object(
            {
                "Id": _TEXT,
                "Host": _TEXT,
                "Pid": _INT,
                "Version": _TEXT,
                "Kind": {"type": "string", "enum": ["embedded", "standalone"]},
                "Started": _INSTANT,
                "LastHeartbeat": _INSTANT,
                "Slots": _COUNT,
                "Busy": _COUNT,
                "Definitions": {"type": "array", "items": _TEXT},
                "Running": {"type": "array", "items": _INT},
                "Alive": {"type": "boolean"},
            }
        ),
        "WorkerList": {"type": "array", "items": _ref("Worker")},
        "Stats": _object(
            {
                "At": _INSTANT,
                "Counts": _ref("StateCounts"),
                "OldestWaitingSeconds": {"type": "number", "minimum": 0},
                "Series": {
                    "type": "array",
                    "items": _object(
                        {
                            "At": _INSTANT,
                            "Started": _COUNT,
                            "Succeeded": _COUNT,
                            "Failed": _COUNT,
                            "Waiting": _COUNT,
                        }
                    ),
                },
            }
        ),
    }
