"""``BatchTaskInfo`` as Python values, and back to SuperOffice's wire form.

The client asks every server for ``SO-TimeZone: UTC, includeTZOffset``, so both dates arrive as
instants with an offset and become aware ``datetime`` values; text without an offset (a server
that ignores the header) is read as UTC. SuperOffice's empty date, .NET's ``DateTime.MinValue``
(``0001-01-01T00:00:00``), becomes ``None``. Fields the server leaves out or nulls (``$select``)
get their empty value, so a snapshot is always complete.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from batchtask.client.json_value import date, flag, integer, mapping, render_date, text
from batchtask.domain.state import (
    BatchTaskState,
    CancellationBehaviour,
    parse_cancellation,
    parse_state,
)

__all__ = ["BatchTaskInfo", "FieldProperty", "TableRight"]

#: The time zone header every request carries (see the module docstring).
TIME_ZONE = "UTC, includeTZOffset"


@dataclass(frozen=True, slots=True)
class TableRight:
    """What the caller may do with the task: the .NET flags text (``FULL``, ``Select``…)."""

    mask: str = ""
    #: Why the right is less than full (a translated text, or an ``[SR_…]`` reference).
    reason: str = ""


@dataclass(frozen=True, slots=True)
class FieldProperty:
    """The caller's right on one field, and the field's CLR type and length."""

    mask: str = ""
    reason: str = ""
    field_type: str = ""
    field_length: int = 0


@dataclass(frozen=True, slots=True)
class BatchTaskInfo:
    """One task as SuperOffice's ``BatchTaskInfo`` carrier, field for field, snake_case.

    Build one by hand for ``agents.start_batch_job`` / ``agents.update_batch_task``; the client
    returns one from every call that reads a task. ``dataclasses.replace`` makes changed copies.
    """

    id: int = 0
    name: str = ""
    associate_id: int = 0
    details_table: int = 0
    details_record: int = 0
    is_system_task: bool = False
    is_internal_task: bool = False
    parameter_object: dict[str, str] = field(default_factory=dict)
    #: When the latest attempt began; ``None`` until a worker starts it.
    last_started: datetime | None = None
    #: When the task was created (``None`` only for a hand-built value).
    created: datetime | None = None
    start_count: int = 0
    database_serial_number: str = ""
    context: str = ""
    result: str = ""
    state: BatchTaskState = BatchTaskState.New
    description: str = ""
    response: str = ""
    request: str = ""
    progress_description: str = ""
    progress_percent: int = 0
    file_name: str = ""
    cancellation_behaviour: CancellationBehaviour = CancellationBehaviour.CanCancel
    table_right: TableRight | None = None
    field_properties: dict[str, FieldProperty] = field(default_factory=dict, repr=False)

    @property
    def is_finished(self) -> bool:
        """``Succeeded``, ``Failed`` or ``SucceededManualCleanup``."""
        return self.state.is_finished

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> BatchTaskInfo:
        """Read a carrier (PascalCase JSON object); unknown keys are ignored."""
        table = data.get("TableRight")
        return cls(
            id=integer(data, "Id"),
            name=text(data, "Name"),
            associate_id=integer(data, "AssociateId"),
            details_table=integer(data, "DetailsTable"),
            details_record=integer(data, "DetailsRecord"),
            is_system_task=flag(data, "IsSystemTask"),
            is_internal_task=flag(data, "IsInternalTask"),
            parameter_object=_parameters(data.get("ParameterObject")),
            last_started=date(data, "LastStarted"),
            created=date(data, "Created"),
            start_count=integer(data, "StartCount"),
            database_serial_number=text(data, "DatabaseSerialNumber"),
            context=text(data, "Context"),
            result=text(data, "Result"),
            state=parse_state(data.get("State") or BatchTaskState.Unknown),
            description=text(data, "Description"),
            response=text(data, "Response"),
            request=text(data, "Request"),
            progress_description=text(data, "ProgressDescription"),
            progress_percent=integer(data, "ProgressPercent"),
            file_name=text(data, "FileName"),
            cancellation_behaviour=parse_cancellation(data.get("CancellationBehaviour") or 0),
            table_right=None
            if not isinstance(table, Mapping)
            else TableRight(text(table, "Mask"), text(table, "Reason")),
            field_properties=_field_properties(data.get("FieldProperties")),
        )

    def to_wire(self) -> dict[str, Any]:
        """The carrier a client sends (server-computed rights left out)."""
        return {
            "Id": self.id,
            "Name": self.name,
            "AssociateId": self.associate_id,
            "DetailsTable": self.details_table,
            "DetailsRecord": self.details_record,
            "IsSystemTask": self.is_system_task,
            "IsInternalTask": self.is_internal_task,
            "ParameterObject": dict(self.parameter_object),
            "LastStarted": render_date(self.last_started),
            "Created": render_date(self.created),
            "StartCount": self.start_count,
            "DatabaseSerialNumber": self.database_serial_number,
            "Context": self.context,
            "Result": self.result,
            "State": self.state.name,
            "Description": self.description,
            "Response": self.response,
            "Request": self.request,
            "ProgressDescription": self.progress_description,
            "ProgressPercent": self.progress_percent,
            "FileName": self.file_name,
            "CancellationBehaviour": self.cancellation_behaviour.name,
        }


def _parameters(value: object) -> dict[str, str]:
    if not isinstance(value, Mapping):
        return {}
    return {str(key): "" if item is None else str(item) for key, item in value.items()}


def _field_properties(value: object) -> dict[str, FieldProperty]:
    if not isinstance(value, Mapping):
        return {}
    out: dict[str, FieldProperty] = {}
    for name, prop in value.items():
        if not isinstance(prop, Mapping):
            continue
        right = mapping(prop, "FieldRight")
        out[str(name)] = FieldProperty(
            mask=text(right, "Mask"),
            reason=text(right, "Reason"),
            field_type=text(prop, "FieldType"),
            field_length=integer(prop, "FieldLength"),
        )
    return out
