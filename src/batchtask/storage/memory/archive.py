"""The BatchTasks archive evaluated in Python: what ``filter_sql`` compiles, read row by row.

Same meaning as the SQL (see ``filter_sql.py``): strings compare case-insensitively (Python's
``lower``, like PostgreSQL's), string ranges and sorting by code point, ``LastStarted`` is the only
NULL and its comparisons are false for a never-started task, relative dates and local literals are
read in the request's zone except for the UTC columns, ties are broken by task id.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

from batchtask.domain.aggregate import Aggregate, Function
from batchtask.domain.archive import RestrictionType, find_column
from batchtask.domain.query import (
    And,
    Comparison,
    DateLiteral,
    Node,
    Not,
    Operator,
    Ordering,
    RelativePeriod,
    Value,
)
from batchtask.domain.state import BatchTaskState

#: One archive column's value of one task (``None`` only for a never-started LastStarted).
Reader = Callable[[Any], object]

_UTC = ZoneInfo("UTC")
_CONSTANT: Mapping[str, bool] = MappingProxyType({"getAllRows": True, "getNoRows": False})
_INT_COMPARE: Mapping[str, Callable[[Any, Any], bool]] = MappingProxyType(
    {
        Operator.EQUALS: lambda a, b: a == b,
        Operator.LESS: lambda a, b: a < b,
        Operator.LESS_OR_EQUAL: lambda a, b: a <= b,
        Operator.GREATER: lambda a, b: a > b,
        Operator.GREATER_OR_EQUAL: lambda a, b: a >= b,
    }
)
_TIME_COMPARE: Mapping[str, Callable[[Any, Any], bool]] = MappingProxyType(
    {
        Operator.DATE_TIME: lambda a, b: a == b,
        Operator.BEFORE_TIME: lambda a, b: a < b,
        Operator.AFTER_TIME: lambda a, b: a >= b,
    }
)
_ALL_STATES = int(BatchTaskState.All)


def _text(value: Value) -> str:
    if isinstance(value, bool):
        return str(int(value))
    return str(value).lower()


class Evaluator:
    """One filter evaluation: the columns' readers, the clock, the zone and ``currentAssociate``."""

    def __init__(
        self, readers: Mapping[str, Reader], *, now: datetime, zone: ZoneInfo, associate_id: int
    ) -> None:
        self._readers = readers
        self._now = now
        self._zone = zone
        self._associate_id = associate_id

    def matches(self, node: Node, row: Any) -> bool:
        """Whether ``row`` is selected by ``node``."""
        if isinstance(node, Comparison):
            return self._comparison(node, row)
        if isinstance(node, Not):
            return not self.matches(node.part, row)
        if isinstance(node, And):
            return all(self.matches(part, row) for part in node.parts)
        return any(self.matches(part, row) for part in node.parts)

    def _comparison(self, node: Comparison, row: Any) -> bool:
        constant = _CONSTANT.get(node.column)
        if constant is not None:
            return node.values[0] == constant
        column = find_column(node.column)
        reader = self._readers.get(node.column)
        if column is None or reader is None:
            raise ValueError(f"no reader for column {node.column!r}")
        value = reader(row)
        kind = column.restriction_type
        if kind is RestrictionType.STRING:
            return self._string(str(value).lower(), node)
        if kind is RestrictionType.DATE:
            if value is None:
                return False
            assert isinstance(value, datetime)  # noqa: S101 - date columns hold instants
            return self._date(value, node, _UTC if column.utc else self._zone)
        return self._integer(value, node)

    def _integer(self, value: object, node: Comparison) -> bool:
        values, operator = node.values, node.operator
        if (
            node.column == "State"
            and operator in (Operator.EQUALS, Operator.ONE_OF)
            and _ALL_STATES in values
        ):
            return True
        if operator == Operator.CURRENT_ASSOCIATE:
            return value == self._associate_id
        if operator == Operator.BETWEEN:
            low, high = values
            return bool(low <= value <= high)  # type: ignore[operator]
        if operator == Operator.ONE_OF:
            return value in values
        return _INT_COMPARE[operator](value, values[0])

    def _string(self, value: str, node: Comparison) -> bool:
        values, operator = node.values, node.operator
        if operator == Operator.IS:
            return value == _text(values[0])
        if operator == Operator.BEGINS:
            return value.startswith(_text(values[0]))
        if operator == Operator.CONTAINS:
            return _text(values[0]) in value
        if operator == Operator.ENDS:
            return value.endswith(_text(values[0]))
        if operator == Operator.BETWEEN:
            return _text(values[0]) <= value <= _text(values[1])
        if operator == Operator.ONE_OF:
            return value in {_text(v) for v in values}
        raise ValueError(f"{operator} does not apply to string column {node.column}")

    def _span(self, value: Value, zone: ZoneInfo) -> tuple[datetime, datetime]:
        if isinstance(value, DateLiteral):
            return value.day_bounds(zone)
        if isinstance(value, RelativePeriod):
            return value.bounds(self._now, zone)
        raise ValueError(f"{value!r} is not a date")

    def _date(self, value: datetime, node: Comparison, zone: ZoneInfo) -> bool:
        values, operator = node.values, node.operator
        if operator in (Operator.DATE, Operator.DURING):
            start, end = self._span(values[0], zone)
            return start <= value < end
        if operator == Operator.BEFORE:
            return value < self._span(values[0], zone)[0]
        if operator == Operator.AFTER:
            return value >= self._span(values[0], zone)[1]
        if operator == Operator.DATE_BETWEEN:
            return self._span(values[0], zone)[0] <= value < self._span(values[1], zone)[1]
        compare = _TIME_COMPARE.get(operator)
        if compare is not None and isinstance(values[0], DateLiteral):
            return compare(value, values[0].instant(zone))
        raise ValueError(f"{operator} does not apply to date column {node.column}")


def ordered(
    rows: Sequence[Any],
    orderings: Sequence[Ordering],
    readers: Mapping[str, Reader],
    task_id: Reader,
) -> list[Any]:
    """``rows`` sorted by ``$orderBy`` and then task id, as ``compile_order_by`` sorts."""
    out = sorted(rows, key=task_id)  # type: ignore[arg-type]
    for ordering in reversed(orderings):
        column = find_column(ordering.column)
        reader = readers.get(ordering.column)
        if column is None or reader is None or not column.can_order_by:
            raise ValueError(f"column {ordering.column!r} cannot be sorted on")
        out.sort(key=_sort_key(column.restriction_type, reader), reverse=ordering.descending)
    return out


def _sort_key(kind: RestrictionType, read: Reader) -> Callable[[Any], Any]:
    if kind is RestrictionType.STRING:
        return lambda row: str(read(row)).lower()
    if kind is RestrictionType.DATE:
        # A never-started task sorts first ascending and last descending.
        return lambda row: (read(row) is not None, read(row) or 0)
    return read


def totals(
    rows: Sequence[Any], aggregates: Sequence[Aggregate], readers: Mapping[str, Reader]
) -> dict[str, object]:
    """The ``$select`` aggregates over ``rows``, as ``archive_totals.py`` computes them in SQL."""
    out: dict[str, object] = {}
    for aggregate in aggregates:
        column = find_column(aggregate.column)
        assert column is not None  # noqa: S101 - parse_select_item checked it
        values = [readers[column.name](row) for row in rows]
        present = [value for value in values if value is not None]
        function = aggregate.function
        if function is Function.COUNT_ALL:
            out[aggregate.key] = len(values)
        elif function is Function.COUNT:
            empty: object = 0 if column.restriction_type is RestrictionType.ASSOCIATE else ""
            out[aggregate.key] = sum(1 for value in present if value != empty)
        elif function is Function.SUM:
            out[aggregate.key] = sum(int(value) for value in present)  # type: ignore[call-overload]
        elif function is Function.AVG:
            numbers = [int(value) for value in present]  # type: ignore[call-overload]
            out[aggregate.key] = sum(numbers) / len(numbers) if numbers else None
        else:
            pick = min if function is Function.MIN else max
            out[aggregate.key] = pick(present) if present else None  # type: ignore[type-var]
    return out
