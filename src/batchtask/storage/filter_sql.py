"""A parsed ``$filter``/``$orderBy`` as SQL for ``batchtask t LEFT JOIN batchtaskdefinition d``.

Values are never written into the SQL: every operand is a ``?`` placeholder and the column SQL
comes only from :data:`COLUMN_SQL`, a fixed map, so no client text can reach the statement. The
same SQL runs on both engines, differing only where they do:

* Strings compare case-insensitively (SuperOffice runs on case-insensitive collations):
  ``LOWER(col) LIKE LOWER(?) ESCAPE '\\'`` with ``%``, ``_`` and ``\\`` escaped in the value.
  ``LOWER`` folds ASCII only on SQLite (and follows the database's ctype on PostgreSQL), so
  non-ASCII letters match case-sensitively on SQLite.
* String ranges (``between``) and string sorting compare by code point on both engines
  (``COLLATE "C"`` on PostgreSQL; SQLite's default is already binary).
* Integer lists are one bound list (``db.member``/``db.array``): ``= ANY(?)`` on PostgreSQL,
  ``IN (SELECT value FROM json_each(?))`` on SQLite — one statement text whatever the length.
* Sorting puts a never-started task's ``LastStarted`` first when ascending and last when
  descending on both engines (SQLite's and SQL Server's order; PostgreSQL needs ``NULLS FIRST``).

Every comparison is two-valued: ``LastStarted`` is the only column that can be NULL, and its
comparisons are guarded with ``IS NOT NULL``, so ``not (…)`` is the exact complement. Columns of
the definition are read through ``COALESCE`` (0 or ``''``) as ``task_repository`` does.

Dates: a ``DateLiteral`` without an offset and every relative period are read in ``zone`` — but in
UTC for ``registeredDate`` and ``updatedDate``, which SuperOffice keeps and shows in UTC whatever
the request's zone, so a filter matches the values the client sees. The instants are returned as
aware UTC datetimes among the arguments; bind them with :func:`bind`.

Where the engines differ the compiler asks the engine (``db.member``, ``db.fragments``), never
its name.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from zoneinfo import ZoneInfo

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
from batchtask.storage.database import SqlDialect

__all__ = ["COLUMN_SQL", "FALSE_SQL", "TRUE_SQL", "bind", "compile_filter", "compile_order_by"]

COLUMN_SQL: Mapping[str, str] = MappingProxyType(
    {
        "DefinitionId": "COALESCE(t.batchtaskdefinition_id, 0)",
        "DefinitionName": "COALESCE(d.name, '')",
        "DefinitionDescription": "COALESCE(d.description, '')",
        "DefinitionTimeOut": "COALESCE(d.timeout, 0)",
        "Description": "t.description",
        "DbTag": "t.dbtag",
        "State": "t.state",
        "DetailsTable": "t.detailstable",
        "DetailsRecord": "t.detailsrecord",
        "Request": "t.request",
        "Response": "t.response",
        "StartCount": "t.startcount",
        "LastStarted": "t.laststarted",
        "ProgressPercent": "t.progresspercent",
        "ProgressDescription": "t.progressdescription",
        "updatedBy": "t.updated_associate_id",
        "updatedDate": "t.updated",
        "registeredBy": "t.registered_associate_id",
        "registeredDate": "t.registered",
    }
)
"""Archive column → SQL over the aliases ``t`` (batchtask) and ``d`` (batchtaskdefinition)."""

TRUE_SQL = "1 = 1"
FALSE_SQL = "1 = 0"

#: The restriction-only switches: ``getAllRows`` holds on every row, ``getNoRows`` on none.
_CONSTANT: Mapping[str, bool] = MappingProxyType({"getAllRows": True, "getNoRows": False})
_NULLABLE = frozenset({"LastStarted"})
_UTC = ZoneInfo("UTC")
_ALL_STATES = int(BatchTaskState.All)

_INT_COMPARE: Mapping[str, str] = MappingProxyType(
    {
        Operator.EQUALS: "=",
        Operator.LESS: "<",
        Operator.LESS_OR_EQUAL: "<=",
        Operator.GREATER: ">",
        Operator.GREATER_OR_EQUAL: ">=",
    }
)
_TIME_COMPARE: Mapping[str, str] = MappingProxyType(
    {Operator.DATE_TIME: "=", Operator.BEFORE_TIME: "<", Operator.AFTER_TIME: ">="}
)
_LIKE: Mapping[str, tuple[str, str]] = MappingProxyType(
    {Operator.BEGINS: ("", "%"), Operator.CONTAINS: ("%", "%"), Operator.ENDS: ("%", "")}
)


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _integer(value: Value) -> int:
    if not isinstance(value, int):
        raise ValueError(f"{value!r} is not an integer")
    return value


def _join(parts: Sequence[str], word: str) -> str:
    """``(a word b)`` nested as a balanced tree, so SQLite's expression depth stays logarithmic."""
    if len(parts) == 1:
        return parts[0]
    middle = len(parts) // 2
    return f"({_join(parts[:middle], word)} {word} {_join(parts[middle:], word)})"


@dataclass
class _Compiler:
    """One compilation: the SQL is returned, the arguments collect in placeholder order."""

    db: SqlDialect
    now: datetime
    zone: ZoneInfo
    associate_id: int
    args: list[object] = field(default_factory=list)

    def node(self, node: Node) -> str:
        if isinstance(node, Comparison):
            return self.comparison(node)
        if isinstance(node, Not):
            return f"(NOT {self.node(node.part)})"
        if not node.parts:  # never parsed, but an empty And is true and an empty Or false
            return TRUE_SQL if isinstance(node, And) else FALSE_SQL
        word = "AND" if isinstance(node, And) else "OR"
        return _join([self.node(part) for part in node.parts], word)

    def bound(self, value: object) -> str:
        self.args.append(value)
        return "?"

    def comparison(self, node: Comparison) -> str:
        constant = _CONSTANT.get(node.column)
        if constant is not None:
            if node.operator != Operator.EQUALS or len(node.values) != 1:
                raise ValueError(f"{node.column} takes only equals true/false")
            return TRUE_SQL if node.values[0] == constant else FALSE_SQL
        column = find_column(node.column)
        sql = COLUMN_SQL.get(node.column)
        if column is None or sql is None:
            raise ValueError(f"no SQL for column {node.column!r}")
        kind = column.restriction_type
        if kind is RestrictionType.STRING:
            return f"({self.string(sql, node)})"
        if kind is RestrictionType.DATE:
            condition = self.date(sql, node, _UTC if column.utc else self.zone)
            if node.column in _NULLABLE:
                return f"({sql} IS NOT NULL AND {condition})"
            return f"({condition})"
        return f"({self.integer(sql, node)})"

    def integer(self, sql: str, node: Comparison) -> str:
        values = node.values
        if (
            node.column == "State"
            and node.operator in (Operator.EQUALS, Operator.ONE_OF)
            and _ALL_STATES in values
        ):
            return TRUE_SQL  # BatchTaskState.All: a query value meaning every state
        if node.operator == Operator.CURRENT_ASSOCIATE:
            return f"{sql} = {self.bound(self.associate_id)}"
        if node.operator == Operator.BETWEEN:
            low, high = values
            return f"{sql} BETWEEN {self.bound(low)} AND {self.bound(high)}"
        if node.operator == Operator.ONE_OF:
            self.args.append(self.db.array([_integer(value) for value in values]))
            return self.db.member(sql)
        symbol = _INT_COMPARE.get(node.operator)
        if symbol is None or len(values) != 1:
            raise ValueError(f"{node.operator} does not apply to integer column {node.column}")
        return f"{sql} {symbol} {self.bound(values[0])}"

    def text(self, value: Value) -> str:
        return f"LOWER(CAST({self.bound(value)} AS TEXT))"

    def string(self, sql: str, node: Comparison) -> str:
        values = node.values
        lowered = f"LOWER({sql})"
        if node.operator == Operator.IS:
            return f"{lowered} = {self.text(values[0])}"
        if node.operator in _LIKE:
            before, after = _LIKE[node.operator]
            pattern = before + _like_escape(str(values[0])) + after
            return f"{lowered} LIKE {self.text(pattern)} ESCAPE '\\'"
        if node.operator == Operator.BETWEEN:
            collate = self.db.fragments["code_point"]
            low, high = values
            return f"{lowered}{collate} BETWEEN {self.text(low)} AND {self.text(high)}"
        if node.operator == Operator.ONE_OF:
            return f"{lowered} IN ({', '.join(self.text(value) for value in values)})"
        raise ValueError(f"{node.operator} does not apply to string column {node.column}")

    def span(self, value: Value, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """``[start, end)`` of a literal's day or of a relative period."""
        if isinstance(value, DateLiteral):
            return value.day_bounds(zone)
        if isinstance(value, RelativePeriod):
            return value.bounds(self.now, zone)
        raise ValueError(f"{value!r} is not a date")

    def date(self, sql: str, node: Comparison, zone: ZoneInfo) -> str:
        values = node.values
        operator = node.operator
        if operator in (Operator.DATE, Operator.DURING):
            start, end = self.span(values[0], zone)
            return f"{sql} >= {self.bound(start)} AND {sql} < {self.bound(end)}"
        if operator == Operator.BEFORE:
            return f"{sql} < {self.bound(self.span(values[0], zone)[0])}"
        if operator == Operator.AFTER:
            return f"{sql} >= {self.bound(self.span(values[0], zone)[1])}"
        if operator == Operator.DATE_BETWEEN:
            start, end = self.span(values[0], zone)[0], self.span(values[1], zone)[1]
            return f"{sql} >= {self.bound(start)} AND {sql} < {self.bound(end)}"
        symbol = _TIME_COMPARE.get(operator)
        if symbol is not None and len(values) == 1 and isinstance(values[0], DateLiteral):
            return f"{sql} {symbol} {self.bound(values[0].instant(zone))}"
        raise ValueError(f"{operator} does not apply to date column {node.column}")


def compile_filter(
    node: Node, db: SqlDialect, *, now: datetime, zone: ZoneInfo, associate_id: int
) -> tuple[str, list[object]]:
    """A SQL boolean expression with ``?`` placeholders, and its arguments in order.

    ``now`` and ``zone`` resolve relative dates and local literals; ``associate_id`` is the
    ``currentAssociate``. Instants among the arguments are aware UTC datetimes: pass the list
    through :func:`bind`. A tree from ``parse_filter`` always
    compiles; a hand-built one naming an unknown column or a misplaced operator is a
    ``ValueError`` (a programming error, not a client's).
    """
    compiler = _Compiler(db, now, zone, associate_id)
    return compiler.node(node), compiler.args


def bind(args: Sequence[object], db: SqlDialect) -> list[object]:
    """The arguments ready for ``db.fetch``: instants through the engine's ``ts``."""
    return [db.ts(value) if isinstance(value, datetime) else value for value in args]


def compile_order_by(orderings: Sequence[Ordering], db: SqlDialect) -> str:
    """The ``ORDER BY`` list (without the keywords), always ending with ``t.batchtask_id``.

    Strings sort case-insensitively by code point on both engines; the task id breaks ties, so
    pages (``$skip``/``$top``) are stable.
    """
    items: list[str] = []
    for ordering in orderings:
        column = find_column(ordering.column)
        sql = COLUMN_SQL.get(ordering.column)
        if column is None or sql is None or not column.can_order_by:
            raise ValueError(f"column {ordering.column!r} cannot be sorted on")
        direction = "DESC" if ordering.descending else "ASC"
        if column.restriction_type is RestrictionType.STRING:
            items.append(f"LOWER({sql}){db.fragments['code_point']} {direction}")
        elif ordering.column in _NULLABLE:
            nulls = db.fragments["nulls_last" if ordering.descending else "nulls_first"]
            items.append(f"{sql} {direction}{nulls}")
        else:
            items.append(f"{sql} {direction}")
    items.append("t.batchtask_id ASC")
    return ", ".join(items)
