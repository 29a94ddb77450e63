"""The aggregates of an archive ``$select`` (``domain/aggregate.py``) as one SQL statement.

Every aggregate of a request is computed in one ``SELECT`` over the rows the filter matches (the
same ``FROM``/``WHERE`` as the page, without ``ORDER BY``/``LIMIT``), so a footer counts the whole
list, not one page. Column SQL comes only from :data:`filter_sql.COLUMN_SQL`; the functions are a
fixed map. Engine differences are confined here:

* ``Avg`` is ``CAST(AVG(x) AS DOUBLE PRECISION)`` on both engines (PostgreSQL's ``AVG`` of an
  integer is ``numeric``, which the driver returns as ``Decimal``);
* ``Sum`` of an empty set is 0 (SQL says NULL);
* ``Min``/``Max`` of a string compare by code point (the engine's ``code_point`` fragment:
  ``COLLATE "C"`` on PostgreSQL, nothing on SQLite, whose default is already binary), so both
  engines agree;
* ``Count`` counts values that are there: not NULL, not ``''``, an associate not 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from batchtask.domain.aggregate import Aggregate, Function
from batchtask.domain.archive import RestrictionType, find_column
from batchtask.domain.archive_query import ArchiveQuery
from batchtask.domain.clock import SystemClock
from batchtask.storage.database import Database, SqlDialect
from batchtask.storage.filter_sql import COLUMN_SQL, bind, compile_filter

FROM = (
    " FROM batchtask t"
    " LEFT JOIN batchtaskdefinition d ON d.batchtaskdefinition_id = t.batchtaskdefinition_id"
)


def _expression(aggregate: Aggregate, db: SqlDialect) -> str:
    column = find_column(aggregate.column)
    assert column is not None  # noqa: S101 - parse_select_item checked it
    sql = COLUMN_SQL[column.name]
    kind = column.restriction_type
    function = aggregate.function
    if function is Function.COUNT_ALL:
        return "COUNT(*)"
    if function is Function.COUNT:
        if kind is RestrictionType.STRING:
            return f"COUNT(NULLIF({sql}, ''))"
        if kind is RestrictionType.ASSOCIATE:
            return f"COUNT(NULLIF({sql}, 0))"
        return f"COUNT({sql})"
    if function is Function.SUM:
        return f"COALESCE(SUM({sql}), 0)"
    if function is Function.AVG:
        return f"CAST(AVG({sql}) AS DOUBLE PRECISION)"
    if kind is RestrictionType.STRING:
        sql += db.fragments["code_point"]
    return f"{function.value.upper()}({sql})"


async def archive_totals(
    db: Database, query: ArchiveQuery, aggregates: Sequence[Aggregate]
) -> dict[str, object]:
    """Each aggregate's value over the rows ``query.filter`` matches, by :attr:`Aggregate.key`."""
    if not aggregates:
        return {}
    select = ", ".join(_expression(aggregate, db) for aggregate in aggregates)
    where, args = "", []
    if query.filter is not None:
        sql, filter_args = compile_filter(
            query.filter, db, now=query.now or SystemClock().now(),
            zone=query.zone or ZoneInfo("UTC"), associate_id=query.associate_id,
        )  # fmt: skip
        where, args = f" WHERE {sql}", bind(filter_args, db)
    row = await db.fetchrow(f"SELECT {select}{FROM}{where}", *args)
    assert row is not None  # noqa: S101 - an aggregate query always returns one row
    out: dict[str, object] = {}
    for index, aggregate in enumerate(aggregates):
        value = row[index]
        column = find_column(aggregate.column)
        if (
            value is not None
            and column is not None
            and column.restriction_type is RestrictionType.DATE
            and aggregate.function in {Function.MIN, Function.MAX}
        ):
            value = db.instant(value)
        elif aggregate.function is Function.AVG and value is not None:
            value = float(value)
        elif aggregate.function in {Function.COUNT, Function.COUNT_ALL, Function.SUM}:
            value = int(value)
        out[aggregate.key] = value
    return out
