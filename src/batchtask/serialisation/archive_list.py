"""The OData list of ``GET /api/v1/BatchTask``: Slim and Full rows, Logical and Display values.

Slim rows carry ``PrimaryKey`` (a string), ``EntityName`` and the selected columns; associates
show as display names, dates as ISO text in the requested zone (UTC columns stay UTC), texts are
translated. Full rows carry ``RawValue``/``DisplayValue`` per column (the display text: numbers
formatted for the request's culture with Babel, ``State`` by name) and a numeric
``TableRight.Mask`` (SuperOffice's archive rows do, unlike carriers).

``$output`` (reference §3.4): "Logical returns true/false for booleans, Display returns icon
hints. Dates are always returned as ISO strings." So ``Display`` changes booleans only, and no
visible BatchTasks column is a boolean: Slim rows are the same under both. Dates are ISO text
everywhere, ``DisplayValue`` included (before issue 12, ``Display`` gave ``Dec 4, 2026, 1:02:18 PM``). ``$jsonSafe`` replaces characters that are
awkward in member names (the ``.`` of ``odata.metadata``) with ``_``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from batchtask.domain.archive import ENTITY, RestrictionType, find_column
from batchtask.domain.archive_query import ArchiveRow
from batchtask.domain.rights import TaskRights
from batchtask.domain.state import BatchTaskState
from batchtask.i18n.culture import format_number
from batchtask.serialisation.carrier import RenderOptions
from batchtask.serialisation.dates import render_local, render_utc

_UNSAFE = re.compile(r"[^A-Za-z0-9_]")
_STATES = {member.value: member.name for member in BatchTaskState}


@dataclass(frozen=True, slots=True)
class ListShape:
    """How the caller wants the list."""

    columns: tuple[str, ...]
    full: bool = False
    display: bool = False
    json_safe: bool = False


def _logical(name: str, row: ArchiveRow, options: RenderOptions) -> Any:
    value = row.values.get(name)
    column = find_column(name)
    kind = column.restriction_type if column else RestrictionType.STRING
    if kind is RestrictionType.ASSOCIATE:
        return row.names.get(name, "")
    if kind is RestrictionType.DATE:
        assert isinstance(value, datetime | None)  # noqa: S101 - storage contract
        if column is not None and column.utc:
            return render_utc(value, offset=options.offset)
        return render_local(value, options.zone, offset=options.offset)
    if isinstance(value, str):
        return options.translator.text(value)
    return value


def _display(name: str, row: ArchiveRow, options: RenderOptions) -> str:
    """A Full row's ``DisplayValue``: text, numbers in the culture, dates always ISO."""
    value = row.values.get(name)
    culture = options.translator.culture or options.translator.language
    if name == "State" and isinstance(value, int):
        return _STATES.get(value, str(value))
    logical = _logical(name, row, options)
    if isinstance(logical, bool):
        return "true" if logical else "false"
    if isinstance(logical, int) and culture:
        return format_number(logical, culture)
    return "" if logical is None else str(logical)


def archive_row(
    row: ArchiveRow, rights: TaskRights, shape: ListShape, options: RenderOptions
) -> dict[str, Any]:
    """One row of the list."""
    if not shape.full:
        out: dict[str, Any] = {"PrimaryKey": str(row.task_id), "EntityName": ENTITY}
        for name in shape.columns:
            out[name] = _logical(name, row, options)  # $output=Display: see the module doc
        return out
    columns: dict[str, Any] = {}
    for name in shape.columns:
        raw = row.values.get(name)
        columns[name] = {
            "RawValue": _logical(name, row, options)
            if isinstance(raw, datetime | type(None))
            else raw,
            "DisplayValue": _display(name, row, options),
            "LinkHint": "",
            "TooltipHint": "",
        }
    return {
        "PrimaryKey": row.task_id,
        "EntityName": ENTITY,
        "StyleHint": "",
        "LinkHint": f"nav=batchtask&batchtask_id={row.task_id}",
        "TableRight": {
            "Mask": rights.table.mask,
            "Reason": options.translator.text(rights.table.reason),
        },
        "Column": columns,
    }


def archive_list(
    rows: list[tuple[ArchiveRow, TaskRights]],
    shape: ListShape,
    options: RenderOptions,
    *,
    metadata: str,
    next_link: str | None,
) -> dict[str, Any]:
    """``{"odata.metadata", "odata.nextLink", "value"}``."""
    body: dict[str, Any] = {
        "odata.metadata": metadata,
        "odata.nextLink": next_link,
        "value": [archive_row(row, rights, shape, options) for row, rights in rows],
    }
    if shape.json_safe:
        body = {_UNSAFE.sub("_", key): value for key, value in body.items()}
    return body
