"""Reading a ``BatchTaskInfo`` sent by a client (JSON, XML or form) into checked values.

Keys match the carrier's field names case-insensitively; unknown keys and server-owned fields are
ignored, as SuperOffice ignores them. Every field that *is* used is type- and length-checked, and a
problem is an ``InvalidInput`` naming the field — never a 5xx. XML and form bodies carry text, so
integers and booleans are also read from their text there.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from batchtask.domain.errors import InvalidInput
from batchtask.domain.state import BatchTaskState, parse_state
from batchtask.domain.task import FIELD_LENGTHS, INT32_MAX, INT32_MIN
from batchtask.serialisation.carrier import FIELDS

_BY_KEY = {name.casefold(): name for name in FIELDS}
_INTEGER = re.compile(r"[+-]?[0-9]+")
MAX_PARAMETERS = 1000
MAX_PARAMETER_LENGTH = 4000


@dataclass(frozen=True, slots=True)
class CarrierInput:
    """The client-supplied fields batchtask uses; ``None`` = not given."""

    id: int | None = None
    name: str | None = None
    is_system: bool | None = None
    is_internal: bool | None = None
    details_table: int | None = None
    details_record: int | None = None
    parameters: dict[str, str] = field(default_factory=dict)
    context: str | None = None
    state: BatchTaskState | None = None
    description: str | None = None
    response: str | None = None
    request: str | None = None


def no_nul(name: str, value: str) -> str:
    """``value``, or a 400 naming ``name`` when it holds a NUL character.

    PostgreSQL cannot store NUL in text and SQLite can: refusing it where input is read makes both
    engines answer alike, naming the field (issue 11 #11).
    """
    if "\x00" in value:
        raise InvalidInput(f"{name} must not contain NUL characters", field=name)
    return value


def _text(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise InvalidInput(f"{name} must be a string", field=name)
    no_nul(name, value)
    limit = FIELD_LENGTHS.get(name, 0)
    if limit and len(value) > limit:
        raise InvalidInput(f"{name} is longer than {limit} characters", field=name, limit=limit)
    return value


def read_int(name: str, value: Any, low: int = INT32_MIN, high: int = INT32_MAX) -> int:
    """An integer from JSON (a number) or XML/form/query text (ASCII digits, one optional sign)."""
    if isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
        text = value.strip()
        if len(text) > 12:
            raise InvalidInput(f"{name} must be between {low} and {high}", field=name)
        value = int(text)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{name} must be an integer", field=name)
    if not low <= value <= high:
        raise InvalidInput(f"{name} must be between {low} and {high}", field=name)
    return value


def _bool(name: str, value: Any) -> bool:
    if isinstance(value, str) and value.strip().lower() in {"true", "false"}:
        return value.strip().lower() == "true"
    if not isinstance(value, bool):
        raise InvalidInput(f"{name} must be true or false", field=name)
    return value


def _state(value: Any) -> BatchTaskState:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InvalidInput("State must be a BatchTaskState name", field="State")
    try:
        return parse_state(value)
    except ValueError:
        raise InvalidInput(
            f"State {str(value)[:40]!r} is not a BatchTaskState", field="State"
        ) from None


def _parameters(value: Any) -> dict[str, str]:
    if isinstance(
        value, list
    ):  # XML KeyValuePair lists arrive as dicts; JSON clients may send pairs
        raise InvalidInput("ParameterObject must be an object of strings", field="ParameterObject")
    if not isinstance(value, Mapping):
        raise InvalidInput("ParameterObject must be an object of strings", field="ParameterObject")
    if len(value) > MAX_PARAMETERS:
        raise InvalidInput(
            f"ParameterObject has more than {MAX_PARAMETERS} entries", field="ParameterObject"
        )
    out: dict[str, str] = {}
    for key, given in value.items():
        item = "" if given is None else given
        if not isinstance(key, str) or not isinstance(item, str):
            raise InvalidInput("ParameterObject values must be strings", field="ParameterObject")
        no_nul("ParameterObject", key)
        no_nul("ParameterObject", item)
        if len(key) > MAX_PARAMETER_LENGTH or len(item) > MAX_PARAMETER_LENGTH:
            raise InvalidInput(
                f"ParameterObject keys and values are at most {MAX_PARAMETER_LENGTH} characters",
                field="ParameterObject",
            )
        out[key] = item
    return out


def _form_parameters(values: Mapping[str, Any]) -> dict[str, str]:
    """``ParameterObject[key]=value`` / ``ParameterObject.key=value`` form fields."""
    out: dict[str, str] = {}
    for key, value in values.items():
        lowered = key.casefold()
        if lowered.startswith("parameterobject[") and key.endswith("]"):
            out[key[len("ParameterObject[") : -1]] = value
        elif lowered.startswith("parameterobject."):
            out[key[len("ParameterObject.") :]] = value
    return out


def read_carrier(values: Any) -> CarrierInput:
    """Checked fields from a decoded body object (JSON object, XML element dict or form dict)."""
    if not isinstance(values, Mapping):
        raise InvalidInput("the body must be a BatchTaskInfo object", field="body")
    found: dict[str, Any] = {}
    for key, value in values.items():
        name = _BY_KEY.get(str(key).casefold())
        if name is None or value is None:
            continue
        if name in found:
            raise InvalidInput(f"{name} is given twice", field=name)
        found[name] = value
    parameters = _form_parameters(values)
    if "ParameterObject" in found and found["ParameterObject"] != "":
        parameters = _parameters(found["ParameterObject"])
    return CarrierInput(
        id=read_int("Id", found["Id"]) if "Id" in found else None,
        name=_text("Name", found["Name"]) if "Name" in found else None,
        is_system=_bool("IsSystemTask", found["IsSystemTask"]) if "IsSystemTask" in found else None,
        is_internal=_bool("IsInternalTask", found["IsInternalTask"])
        if "IsInternalTask" in found
        else None,
        details_table=read_int("DetailsTable", found["DetailsTable"], 0, 32767)
        if "DetailsTable" in found
        else None,
        details_record=read_int("DetailsRecord", found["DetailsRecord"])
        if "DetailsRecord" in found
        else None,
        parameters=parameters,
        context=_text("Context", found["Context"]) if "Context" in found else None,
        state=_state(found["State"]) if "State" in found else None,
        description=_text("Description", found["Description"]) if "Description" in found else None,
        response=_text("Response", found["Response"]) if "Response" in found else None,
        request=_text("Request", found["Request"]) if "Request" in found else None,
    )
