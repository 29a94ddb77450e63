"""The OData list of ``GET /api/v1/BatchTask``: Slim and Full rows, Logical and Display values.

Slim rows carry ``PrimaryKey`` (a string), ``EntityName`` and the selected columns; associates
show as display names, dates as ISO text in the requested zone (UTC columns stay UTC), texts are
translated. Full rows carry ``RawValue``/``DisplayValue`` per column (the display text: numbers
formatted for the request's culture with Babel, ``State`` by name) and a numeric
``TableRight.Mask`` (SuperOffice's archive rows do, unlike carriers).

``$output`` (reference §3.4): "Logical returns true/false for booleans, Display returns icon
hints. Dates are always returned as ISO strings." So ``Display`` changes booleans only, and no
visible BatchTasks column is a boolean: Slim rows are the same under both. Dates are ISO text
everywhere, ``DisplayValue`` included (before issue 12, ``Display`` gave ``Dec 4, 2026, 1:02:18 PM``).

Aggregates (``Count(State):Footer``, ``domain/aggregate.py``) are members named by their canonical
spelling. In task rows they show their column's value; a ``header`` row before the first page's
rows and a ``footer`` row after the last page's carry the totals (``EntityName`` and, in Full rows,
``StyleHint`` ``header``/``footer``, ``PrimaryKey`` 0, other members ``null``). Names that are not
XML names or ``$jsonSafe`` names are spelled with ``_`` (``Count_State__Footer``) in XML and
under ``$jsonSafe``. ``$jsonSafe`` replaces characters that are
awkward in member names (the ``.`` of ``odata.metadata``) with ``_``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from batchtask.domain.aggregate import Aggregate, Function
from batchtask.domain.archive import ENTITY, RestrictionType, find_column
from batchtask.domain.archive_query import ArchiveRow
from batchtask.domain.rights import TaskRights
from batchtask.domain.state import BatchTaskState
from batchtask.i18n.culture import format_number
from batchtask.serialisation.carrier import RenderOptions
from batchtask.serialisation.dates import render_local, render_utc

_UNSAFE = re.compile(r"[^A-Za-z0-9_]")
#: ``EntityName`` (and Full ``StyleHint``) of the aggregate rows.
HEADER, FOOTER = "header", "footer"
_STATES = {member.value: member.name for member in BatchTaskState}


@dataclass(frozen=True, slots=True)
class ListShape:
    """How the caller wants the list."""

    #: The ``$select`` items in order: column names and aggregates.
    items: tuple[str | Aggregate, ...]
    full: bool = False
    display: bool = False
    json_safe: bool = False
    #: Member names must be XML/JSON-safe (``Count(State):Footer`` → ``Count_State__Footer``).
    safe_names: bool = False

    def key(self, item: str | Aggregate) -> str:
        """The member name of an item in the rows."""
        name = item if isinstance(item, str) else item.key
        return _UNSAFE.sub("_", name) if self.safe_names or self.json_safe else name


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


def _full_column(name: str, row: ArchiveRow, options: RenderOptions) -> dict[str, Any]:
    raw = row.values.get(name)
    return {
        "RawValue": _logical(name, row, options) if isinstance(raw, datetime | type(None)) else raw,
        "DisplayValue": _display(name, row, options),
        "LinkHint": "",
        "TooltipHint": "",
    }


def _column_of(item: str | Aggregate) -> str:
    return item if isinstance(item, str) else item.column


def archive_row(
    row: ArchiveRow, rights: TaskRights, shape: ListShape, options: RenderOptions
) -> dict[str, Any]:
    """One task row: an aggregated column shows its column's own value here."""
    if not shape.full:
        out: dict[str, Any] = {"PrimaryKey": str(row.task_id), "EntityName": ENTITY}
        for item in shape.items:  # $output=Display: see the module doc
            out[shape.key(item)] = _logical(_column_of(item), row, options)
        return out
    columns = {
        shape.key(item): _full_column(_column_of(item), row, options) for item in shape.items
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


def _aggregate_value(aggregate: Aggregate, value: object, options: RenderOptions) -> Any:
    if aggregate.function in {Function.MIN, Function.MAX}:  # a value of the column itself
        row = ArchiveRow(0, 0, {aggregate.column: value}, {})
        return _logical(aggregate.column, row, options)
    return value


def _aggregate_display(aggregate: Aggregate, value: object, options: RenderOptions) -> str:
    if aggregate.function in {Function.MIN, Function.MAX}:
        return _display(aggregate.column, ArchiveRow(0, 0, {aggregate.column: value}, {}), options)
    culture = options.translator.culture or options.translator.language
    if isinstance(value, int | float) and culture:
        return format_number(value, culture)
    return "" if value is None else str(value)


def aggregate_row(
    placement: str, shape: ListShape, totals: dict[str, object], options: RenderOptions
) -> dict[str, Any]:
    """The ``header`` or ``footer`` row: each aggregate placed there; other members ``null``."""

    def here(item: str | Aggregate) -> Aggregate | None:
        if isinstance(item, str):
            return None
        placed = item.header if placement == HEADER else item.footer
        return item if placed else None

    if not shape.full:
        out: dict[str, Any] = {"PrimaryKey": "0", "EntityName": placement}
        for item in shape.items:
            aggregate = here(item)
            value = totals.get(aggregate.key) if aggregate else None
            out[shape.key(item)] = (
                _aggregate_value(aggregate, value, options) if aggregate else None
            )
        return out
    columns: dict[str, Any] = {}
    for item in shape.items:
        aggregate = here(item)
        value = totals.get(aggregate.key) if aggregate else None
        columns[shape.key(item)] = {
            "RawValue": _aggregate_value(aggregate, value, options) if aggregate else None,
            "DisplayValue": _aggregate_display(aggregate, value, options) if aggregate else "",
            "LinkHint": "",
            "TooltipHint": "",
        }
    return {
        "PrimaryKey": 0,
        "EntityName": placement,
        "StyleHint": placement,
        "LinkHint": "",
        "TableRight": {"Mask": 1, "Reason": ""},
        "Column": columns,
    }


def archive_list(
    rows: list[tuple[ArchiveRow, TaskRights]],
    shape: ListShape,
    options: RenderOptions,
    *,
    metadata: str,
    next_link: str | None,
    totals: dict[str, object] | None = None,
    header: bool = False,
    footer: bool = False,
) -> dict[str, Any]:
    """``{"odata.metadata", "odata.nextLink", "value"}``; aggregate rows around the task rows."""
    value = [archive_row(row, rights, shape, options) for row, rights in rows]
    if header:
        value.insert(0, aggregate_row(HEADER, shape, totals or {}, options))
    if footer:
        value.append(aggregate_row(FOOTER, shape, totals or {}, options))
    body: dict[str, Any] = {
        "odata.metadata": metadata,
        "odata.nextLink": next_link,
        "value": value,
    }
    if shape.json_safe:
        body = {_UNSAFE.sub("_", key): value for key, value in body.items()}
    return body
