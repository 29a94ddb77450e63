"""JSON Schemas (2020-12, as OpenAPI 3.1 uses them) of every wire shape the server produces.

They live beside the renderers because they describe the same shapes: the schemas are derived from
the tables the renderers use (``FIELDS`` order, ``FIELD_TYPES`` CLR names, ``FIELD_LENGTHS``, the
enums and flags), so a field added to the carrier shows up here without a second edit. The OpenAPI
document (``http/openapi.py``) places them under ``components/schemas``; every ``$ref`` here
points there.

Rules worth knowing:

* ``BatchTaskInfo`` properties are nullable because ``$select`` nulls the unselected ones; in a full
  response strings are ``""`` when empty, never ``null``. ``Id`` is always filled.
* Dates are .NET-style text (no colon in the offset, up to seven fraction digits), which is not RFC
  3339, so they carry a ``pattern`` instead of ``format: date-time``.
* Translated strings (``Name``, ``Description``, …) have no ``maxLength``: the limit applies to
  what is stored, and a resource text may be longer than its ``[SR_…]`` reference.
* XML differs only where dictionaries are involved (``KeyValuePair`` elements), so only
  ``BatchTaskInfo`` has an ``…Xml`` twin; a ``null`` is written ``xsi:nil="true"``.
"""

from __future__ import annotations

from typing import Any

from batchtask.domain.archive import RestrictionType
from batchtask.domain.flags import FIELD_RIGHT, TABLE_RIGHT
from batchtask.domain.rights import FIELD_TYPES
from batchtask.domain.state import BatchTaskState, CancellationBehaviour
from batchtask.domain.task import FIELD_LENGTHS, INT32_MAX, INT32_MIN
from batchtask.serialisation.carrier import FIELDS
from batchtask.serialisation.carrier_input import MAX_PARAMETER_LENGTH, MAX_PARAMETERS
from batchtask.serialisation.dates import UNSET
from batchtask.serialisation.error_body import ERROR_ROOT, ERROR_SOURCE
from batchtask.services.auth import TICKET_PREFIX

__all__ = ["DATE_TIME_PATTERN", "component_schemas"]

Schema = dict[str, Any]

DATE_TIME_PATTERN = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,7})?(Z|[+-]\d{4})?$"
"""Wire date-time text (SPEC §4.6): ``0001-01-01T00:00:00``, a fraction, ``Z`` or ``±HHMM``."""

#: The CLR type names of ``FIELD_TYPES`` that are not ``System.String``.
_INT32, _INT16, _BOOL, _DATE = "System.Int32", "System.Int16", "System.Boolean", "System.DateTime"
_STATE = "SuperOffice.CRM.Services.BatchTaskState"
_CANCEL = "SuperOffice.CRM.Services.BatchTaskCancellationBehaviour"
_DICTIONARY = "SuperOffice.Util.StringDictionary"
#: Ranges tighter than the CLR type (SPEC §2).
_RANGES = {"DetailsTable": (0, 32767), "ProgressPercent": (0, 100), "StartCount": (0, INT32_MAX)}
#: String fields that are rendered as stored (not translated), so their input limit holds.
_UNTRANSLATED = frozenset({"DatabaseSerialNumber", "Context", "Request", "FileName"})

_DESCRIPTIONS = {
    "Id": "Id of the task. Always filled, also under `$select`.",
    "Name": "Name of the task (its task definition). Translated.",
    "AssociateId": "Task owner. If it is a System task, AssociateId = 0.",
    "DetailsTable": "Id of table with more information about the task (205 BinaryObject when a "
    "ParameterObject is stored).",
    "DetailsRecord": "Record Id of a row in the DetailsTable containing more info about the task.",
    "IsSystemTask": "If IsSystemTask is true, the task is not initiated by an associate.",
    "IsInternalTask": "If IsInternalTask is true, this task will not add a trace to the database.",
    "ParameterObject": "String parameters of the task, stored as a BinaryObject; `{}` when none.",
    "LastStarted": f"When the task was last started, in the SO-TimeZone zone (else the server's "
    f"base zone); `{UNSET}` when never started.",
    "Created": "Task creation time, always UTC (never converted).",
    "StartCount": "Attempts started so far; 0 = never executed.",
    "DatabaseSerialNumber": "Serial number of the database the task is to run on.",
    "Context": "Context for the executing task.",
    "Result": "What the task's code returned. Translated.",
    "State": "BatchTaskState of the task.",
    "Description": "Description of the task. Translated.",
    "Response": "The processor's response or error summary. Translated.",
    "Request": "What to do, as given.",
    "ProgressDescription": "Descriptive text for the current stage. Translated.",
    "ProgressPercent": "Task progress, in percent of estimated total.",
    "FileName": "The file produced by the task, if any.",
    "CancellationBehaviour": "Whether the task may be stopped (from its definition).",
    "TableRight": "The caller's rights on the task.",
    "FieldProperties": "The caller's rights on each of the 22 data fields, with CLR type and "
    "length.",
}


def _schema_ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable_ref(name: str, description: str) -> Schema:
    return {"anyOf": [_schema_ref(name), {"type": "null"}], "description": description}


def _field_schema(name: str, clr_type: str) -> Schema:
    """One ``BatchTaskInfo`` property, nullable because ``$select`` nulls unselected fields."""
    description = _DESCRIPTIONS[name]
    if clr_type == _STATE:
        return _nullable_ref("BatchTaskState", description)
    if clr_type == _CANCEL:
        return _nullable_ref("BatchTaskCancellationBehaviour", description)
    if clr_type == _DICTIONARY:
        return _nullable_ref("StringDictionary", description)
    if clr_type == _DATE:
        return _nullable_ref("DateTime", description)
    if clr_type == _BOOL:
        return {"type": ["boolean", "null"], "description": description}
    if clr_type in {_INT32, _INT16}:
        low, high = _RANGES.get(name, (INT32_MIN, INT32_MAX))
        schema: Schema = {
            "type": ["integer", "null"],
            "format": "int32",
            "description": description,
        }
        return {**schema, "minimum": low, "maximum": high}
    limit = FIELD_LENGTHS[name]
    schema = {"type": ["string", "null"], "description": description}
    if limit and name in _UNTRANSLATED:
        schema["maxLength"] = limit
    elif limit:
        schema["description"] += f" At most {limit} characters on input."
    return schema


def _batch_task_info(parameter_object: str, field_properties: str) -> Schema:
    properties: dict[str, Schema] = {
        name: _field_schema(name, clr_type) for name, (clr_type, _) in FIELD_TYPES
    }
    properties["Id"] = {"type": "integer", "format": "int32", "description": _DESCRIPTIONS["Id"]}
    properties["ParameterObject"] = _nullable_ref(
        parameter_object, _DESCRIPTIONS["ParameterObject"]
    )
    properties["TableRight"] = _nullable_ref("TableRight", _DESCRIPTIONS["TableRight"])
    properties["FieldProperties"] = _nullable_ref(
        field_properties, _DESCRIPTIONS["FieldProperties"]
    )
    return {
        "type": "object",
        "description": "BatchTaskInfo contains information about one batch task. Under `$select` "
        "the unselected properties are present with `null`.",
        "properties": {name: properties[name] for name in FIELDS},
        "required": list(FIELDS),
        "additionalProperties": False,
        "xml": {"name": "BatchTaskInfo"},
    }


def _right(kind: str, flags_name: str, members: tuple[tuple[str, int], ...]) -> Schema:
    names = ", ".join(f"`{name}`" for name, _ in members)
    return {
        "type": "object",
        "description": f"A {kind}: the {flags_name} flags and why they are not full.",
        "properties": {
            "Mask": {
                "type": "string",
                "description": f"The .NET text of the {flags_name} flags: one member name, or "
                f"several joined by `, ` in ascending value order. Members: {names}.",
                "examples": [members[1][0], members[-1][0]],
            },
            "Reason": {
                "type": "string",
                "description": '`""` when the right is full, else why not (translated).',
            },
        },
        "required": ["Mask", "Reason"],
        "additionalProperties": False,
    }


def _key_value_pairs(value: Schema, description: str) -> Schema:
    """A dictionary in XML: one ``<KeyValuePair><Key/><Value/></KeyValuePair>`` per entry."""
    return {
        "type": "array",
        "description": description,
        "xml": {"wrapped": True},
        "items": {
            "type": "object",
            "xml": {"name": "KeyValuePair"},
            "properties": {"Key": {"type": "string"}, "Value": value},
            "required": ["Key", "Value"],
        },
    }


def _collections() -> dict[str, Schema]:
    """Arrays of carriers, a carrier or ``null`` (agents), and the bare ``int``/``boolean``."""
    return {
        "ArrayOfBatchTaskInfo": {"type": "array", "items": _schema_ref("BatchTaskInfo")},
        "ArrayOfBatchTaskInfoXml": {
            "type": "array",
            "items": _schema_ref("BatchTaskInfoXml"),
            "xml": {"name": "ArrayOfBatchTaskInfo", "wrapped": True},
        },
        "BatchTaskInfoOrNull": {
            "anyOf": [_schema_ref("BatchTaskInfo"), {"type": "null"}],
            "description": "The carrier, or `null` when the task does not exist (agent style).",
        },
        "BatchTaskInfoOrNullXml": {
            "anyOf": [_schema_ref("BatchTaskInfoXml"), {"type": "null"}],
            "description": '`<BatchTaskInfo xsi:nil="true" />` when the task does not exist.',
            "xml": {"name": "BatchTaskInfo"},
        },
        "Int32": {"type": "integer", "format": "int32", "xml": {"name": "int"}},
        "Boolean": {"type": "boolean", "xml": {"name": "boolean"}},
    }


def _input_schemas() -> dict[str, Schema]:
    """What clients send: a ``BatchTaskInfo`` whose used fields are checked, the rest ignored.

    XML and form bodies carry text, so numbers and booleans are also read from their text; that is
    what the string alternatives say.
    """
    integer = {"type": "integer", "format": "int32", "minimum": INT32_MIN, "maximum": INT32_MAX}
    numeric_text = {"type": "string", "pattern": r"^\s*[+-]?\d{1,11}\s*$"}
    flag_text = {"type": "string", "pattern": r"^\s*([Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee])\s*$"}
    flag = {"anyOf": [{"type": "boolean"}, flag_text]}

    def text(name: str) -> Schema:
        limit = FIELD_LENGTHS[name]
        return {"type": "string", "maxLength": limit} if limit else {"type": "string"}

    used: dict[str, Schema] = {
        "Id": {"anyOf": [integer, numeric_text]},
        "Name": text("Name"),
        "IsSystemTask": {**flag, "description": "true only for administrators (else 403)."},
        "IsInternalTask": flag,
        "DetailsTable": {"anyOf": [{**integer, "minimum": 0, "maximum": 32767}, numeric_text]},
        "DetailsRecord": {"anyOf": [integer, numeric_text]},
        "ParameterObject": {
            "type": "object",
            "maxProperties": MAX_PARAMETERS,
            "description": "Keys and values take at most PARAMETER_OBJECT_LIMIT bytes of UTF-8"
            " together (default 65536); more is a 400.",
            "additionalProperties": {"type": ["string", "null"], "maxLength": MAX_PARAMETER_LENGTH},
        },
        "Context": text("Context"),
        "State": {
            **_schema_ref("BatchTaskStateInput"),
            "description": "`Unknown` and `All` cannot be stored (400).",
        },
        "Description": text("Description"),
        "Response": text("Response"),
        "Request": text("Request"),
    }
    states = "|".join(
        "".join(f"[{c.upper()}{c.lower()}]" for c in state.name) for state in BatchTaskState
    )
    numbers = "|".join(str(state.value) for state in BatchTaskState)
    return {
        "BatchTaskStateInput": {
            "anyOf": [
                {"type": "string", "pattern": rf"^\s*(?:{states}|0*(?:{numbers}))\s*$"},
                {"type": "integer", "enum": [state.value for state in BatchTaskState]},
            ],
            "description": "A BatchTaskState name in any case, or its number.",
        },
        "BatchTaskInfoNew": {
            "allOf": [_schema_ref("BatchTaskInfoInput")],
            "properties": {"Name": {"type": "string", "minLength": 1, "pattern": r"\S"}},
            "required": ["Name"],
            "description": "A task to start: `Name` (its task definition) is required.",
            "xml": {"name": "BatchTaskInfo"},
        },
        "BatchTaskInfoInput": {
            "type": "object",
            "description": "A BatchTaskInfo sent by a client. Keys match in any case; a `null` "
            "is the same as a missing key; server-owned fields are ignored. POST and "
            "StartBatchJob use Name, IsSystemTask, IsInternalTask, DetailsTable, DetailsRecord, "
            "ParameterObject, Context, Description and Request; PUT and UpdateBatchTask change "
            "only State, Description, Response and Request. A form body spells parameters "
            "`ParameterObject[key]=value`.",
            "properties": {
                name: {"anyOf": [schema, {"type": "null"}]} for name, schema in used.items()
            },
            "xml": {"name": "BatchTaskInfo"},
        },
    }


def _odata_schemas() -> dict[str, Schema]:
    """The archive list of ``GET BatchTask`` (SPEC §7): Slim or Full rows."""
    scalar = {"type": ["string", "integer", "number", "boolean", "null"]}
    text = {"type": "string"}
    link = {"type": ["string", "null"], "description": "The next page, or `null` on the last."}
    return {
        "ODataList": {
            "type": "object",
            "description": "One page of the BatchTasks archive. With `$jsonSafe=true` the two "
            "`odata.` members are spelled `odata_metadata` and `odata_nextLink`.",
            "properties": {
                "odata.metadata": text,
                "odata.nextLink": link,
                "odata_metadata": text,
                "odata_nextLink": link,
                "value": {
                    "type": "array",
                    "items": {"anyOf": [_schema_ref("ODataSlimRow"), _schema_ref("ODataFullRow")]},
                    "xml": {"wrapped": True},
                },
            },
            "required": ["value"],
            "oneOf": [
                {"required": ["odata.metadata", "odata.nextLink"]},
                {"required": ["odata_metadata", "odata_nextLink"]},
            ],
            "additionalProperties": False,
            "xml": {"name": "ODataResponse"},
        },
        "ODataSlimRow": {
            "type": "object",
            "description": "A Slim row: the key, the entity and one member per selected column. "
            "Aggregate rows have EntityName `header` or `footer` and PrimaryKey `0`.",
            "properties": {
                "PrimaryKey": text,
                "EntityName": {"enum": ["batchtask", "header", "footer"]},
            },
            "required": ["PrimaryKey", "EntityName"],
            "additionalProperties": scalar,
            "xml": {"name": "anyType"},
        },
        "ODataFullRow": {
            "type": "object",
            "description": "A Full row: hints, a numeric TableRight mask and one column object "
            "per selected column (aggregate rows: EntityName and StyleHint `header`/`footer`).",
            "properties": {
                "PrimaryKey": {"type": "integer", "format": "int32"},
                "EntityName": {"enum": ["batchtask", "header", "footer"]},
                "StyleHint": text,
                "LinkHint": text,
                "TableRight": {
                    "type": "object",
                    "properties": {"Mask": {"type": "integer", "minimum": 0}, "Reason": text},
                    "required": ["Mask", "Reason"],
                    "additionalProperties": False,
                },
                "Column": {"type": "object", "additionalProperties": _schema_ref("ODataColumn")},
            },
            "required": [
                "PrimaryKey",
                "EntityName",
                "StyleHint",
                "LinkHint",
                "TableRight",
                "Column",
            ],
            "additionalProperties": False,
            "xml": {"name": "anyType"},
        },
        "ODataColumn": {
            "type": "object",
            "properties": {
                "RawValue": scalar,
                "DisplayValue": text,
                "LinkHint": text,
                "TooltipHint": text,
            },
            "required": ["RawValue", "DisplayValue", "LinkHint", "TooltipHint"],
            "additionalProperties": False,
        },
    }


def _discovery_schemas() -> dict[str, Schema]:
    """The archive metadata, ``/api``, ``/api/v1``, agent descriptions and invalid requests."""
    text: Schema = {"type": "string"}
    members: dict[str, Schema] = {
        "DisplayName": text,
        "DisplayTooltip": text,
        "DisplayType": text,
        "CanOrderBy": {"type": "boolean"},
        "Name": text,
        "CanRestrictBy": {"type": "boolean"},
        "RestrictionType": {"type": "string", "enum": [t.value for t in RestrictionType]},
        "RestrictionListName": {"type": ["string", "null"]},
        "IsVisible": {"type": "boolean"},
        "ExtraInfo": text,
        "Width": text,
        "IconHint": text,
        "HeadingIconHint": text,
    }
    column = {
        "type": "object",
        "description": "One column (META): display texts translated by the language headers.",
        "properties": members,
        "required": list(members),
        "additionalProperties": False,
    }
    version = ("v1", "NetServerVersion", "NetServerAssembly", "NetServerDate", "NetServerLabel",
               "NetServer", "Services", "ServicesCurrent", "Version")  # fmt: skip
    methods = {"type": "object", "additionalProperties": text, "description": "Method → text."}
    return {
        "ArchiveColumnInfo": column,
        "ArchiveMetadata": {
            "type": "object",
            "description": "The provider's columns by name, in the provider's order.",
            "additionalProperties": _schema_ref("ArchiveColumnInfo"),
            "xml": {"name": "ArchiveColumns"},
        },
        "ApiVersion": {
            "type": "object",
            "description": "The `/api` version block (VER).",
            "properties": dict.fromkeys(version, text),
            "required": list(version),
            "additionalProperties": False,
            "xml": {"name": "Api"},
        },
        "SupportedUrls": {
            "type": "object",
            "description": "Absolute URL (templates in braces) → method → documentation.",
            "additionalProperties": methods,
        },
        "SupportedUrlsXml": {
            **_key_value_pairs(methods, "The supported URLs in XML: the URL is the Key."),
            "xml": {"name": "Urls", "wrapped": True},
        },
        "AgentCall": {
            "type": "object",
            "description": "What GET on an agent URL answers: how to call it with POST.",
            "properties": {
                "Agent": text,
                "Method": text,
                "HttpMethod": {"const": "POST"},
                "Url": text,
                "Description": text,
                "Parameters": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {"Name": text, "Type": text},
                        "required": ["Name", "Type"],
                    },
                },
                "Returns": text,
                "Example": {"type": "object"},
            },
            "required": [
                "Agent",
                "Method",
                "HttpMethod",
                "Url",
                "Description",
                "Parameters",
                "Returns",
                "Example",
            ],
            "xml": {"name": "AgentCall"},
        },
        "InvalidRequest": {
            "type": "object",
            "description": "ASP.NET Web API's answer (200) to an agent call whose required "
            "parameter is missing or null (AGI).",
            "properties": {
                "Message": {"const": "The request is invalid."},
                "MessageDetail": {
                    "type": "string",
                    "pattern": "^The parameters dictionary "
                    "contains a null entry for parameter '[A-Za-z]+'\\.$",
                },
            },
            "required": ["Message", "MessageDetail"],
            "additionalProperties": False,
            "xml": {"name": "Error"},
        },
    }


def component_schemas() -> dict[str, Schema]:
    """Every schema of ``components/schemas``, by name."""
    data_fields = [name for name, _ in FIELD_TYPES]
    clr_types = sorted({clr_type for _, (clr_type, _) in FIELD_TYPES})
    string = {"type": "string"}
    return {
        "BatchTaskInfo": _batch_task_info("StringDictionary", "FieldPropertyDictionary"),
        "BatchTaskInfoXml": _batch_task_info("StringDictionaryXml", "FieldPropertyDictionaryXml"),
        "BatchTaskState": {
            "type": "string",
            "enum": [state.name for state in BatchTaskState],
            "description": "Member names of BatchTaskState (SuperOffice spells `Aquired`). "
            "`Unknown` and `All` are never stored, so a task never shows them.",
        },
        "BatchTaskCancellationBehaviour": {
            "type": "string",
            "enum": [member.name for member in CancellationBehaviour],
        },
        "DateTime": {
            "type": "string",
            "pattern": DATE_TIME_PATTERN,
            "description": "ISO 8601 without offset (fraction only when non-zero, up to 7 "
            "digits); with `SO-TimeZone: …, includeTZOffset` an offset without colon or `Z`. "
            f"Unset is `{UNSET}`.",
            "examples": [UNSET, "2026-11-28T14:05:09", "2026-11-28T09:05:09.25-0500"],
        },
        "StringDictionary": {
            "type": "object",
            "additionalProperties": string,
            "description": "SuperOffice.Util.StringDictionary: string keys and values.",
        },
        "StringDictionaryXml": _key_value_pairs(string, "StringDictionary in XML."),
        "TableRight": _right("TableRight", TABLE_RIGHT.name, TABLE_RIGHT.members),
        "FieldRight": _right("FieldRight", FIELD_RIGHT.name, FIELD_RIGHT.members),
        "FieldProperty": {
            "type": "object",
            "properties": {
                "FieldRight": _schema_ref("FieldRight"),
                "FieldType": {"type": "string", "enum": clr_types},
                "FieldLength": {"type": "integer", "format": "int32", "minimum": 0},
            },
            "required": ["FieldRight", "FieldType", "FieldLength"],
            "additionalProperties": False,
        },
        "FieldPropertyDictionary": {
            "type": "object",
            "description": "One entry per data field of BatchTaskInfo.",
            "properties": {name: _schema_ref("FieldProperty") for name in data_fields},
            "required": data_fields,
            "additionalProperties": False,
        },
        "FieldPropertyDictionaryXml": _key_value_pairs(
            _schema_ref("FieldProperty"), "FieldPropertyDictionary in XML."
        ),
        "Error": {
            "type": "object",
            "description": "SuperOffice's error object; the message is translated.",
            "properties": {
                "Error": {"type": "boolean", "const": True},
                "ErrorType": {"type": "string", "examples": ["SoNotFoundException"]},
                "ErrorMessage": {"type": "string"},
                "ErrorSource": {"type": "string", "examples": [ERROR_SOURCE]},
            },
            "required": ["Error", "ErrorType", "ErrorMessage", "ErrorSource"],
            "additionalProperties": False,
            "xml": {"name": ERROR_ROOT},
        },
        "LoginRequest": {
            "type": "object",
            "description": "Credentials; the key names are matched ignoring case. In XML any "
            "root element holds `username` and `password` elements.",
            "properties": {"username": {"type": "string"}, "password": {"type": "string"}},
            "required": ["username", "password"],
            "xml": {"name": "Login"},
        },
        "LoginResult": {
            "type": "object",
            "properties": {
                "Ticket": {
                    "type": "string",
                    "pattern": f"^{TICKET_PREFIX}[A-Za-z0-9+/]+={{0,2}}$",
                    "description": "An SOTicket, valid 6 hours and renewed by each use.",
                },
                "AssociateId": {"type": "integer", "format": "int32"},
                "ExpiresAt": {**_schema_ref("DateTime"), "description": "UTC, tagged `Z`."},
            },
            "required": ["Ticket", "AssociateId", "ExpiresAt"],
            "additionalProperties": False,
            "xml": {"name": "LoginResult"},
        },
        **_collections(),
        **_input_schemas(),
        **_odata_schemas(),
        **_discovery_schemas(),
        "Health": {
            "type": "object",
            "properties": {"status": {"type": "string", "const": "ok"}},
            "required": ["status"],
            "additionalProperties": False,
        },
        "Readiness": {
            "type": "object",
            "properties": {"status": {"type": "string", "const": "ready"}},
            "required": ["status"],
            "additionalProperties": False,
        },
    }
