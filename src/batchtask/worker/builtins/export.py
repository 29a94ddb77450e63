"""``batchtask.export``: writes a CSV of a BatchTasks archive query and sets the task's FileName.

Parameters: ``filter`` (an OData ``$filter`` over the BatchTasks columns, empty = every task),
``columns`` (a ``$select`` list, default the archive's default columns), ``orderBy``, and
``format`` (only ``csv``). The file is ``export-<task id>.csv``, downloadable at
``GET /admin/api/tasks/{id}/file``. Rows are read a page at a time, so a large export never holds
the whole table in memory, and a Stop takes effect between pages. Dates are ISO text in the
server's base zone (UTC columns stay UTC); a bad filter fails the task with the parser's message.

Text cells that a spreadsheet would read as a formula — starting with ``=``, ``+``, ``-``, ``@``,
tab or CR — get a leading ``'`` (OWASP's rule against CSV injection, issue 11 #9): a task's
description or an associate's name is anyone's text, and the file is opened by an operator.
Numbers are written as they are.
"""

from __future__ import annotations

import csv
from datetime import datetime

from batchtask.domain.archive import DEFAULT_SELECT, RestrictionType, find_column
from batchtask.domain.archive_query import MAX_TOP, ArchiveQuery
from batchtask.domain.errors import InvalidInput
from batchtask.i18n.catalogue import resource
from batchtask.i18n.timezone import resolve_zone
from batchtask.serialisation.dates import render_local, render_utc
from batchtask.serialisation.odata_filter import parse_filter, parse_order_by
from batchtask.worker.builtins import Environment
from batchtask.worker.context import TaskContext
from batchtask.worker.errors import TaskFailed
from batchtask.worker.registry import Definition

NAME = "batchtask.export"
HEADER = "Id"
#: First characters that make a spreadsheet treat a cell as a formula (OWASP).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralised(value: object) -> object:
    """``value`` safe to open in a spreadsheet: formula-like text gets a leading ``'``."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _columns(text: str) -> tuple[str, ...]:
    if not text.strip():
        return DEFAULT_SELECT
    names: list[str] = []
    for part in text.split(","):
        column = find_column(part.strip())
        if column is None or not column.is_visible:
            raise TaskFailed(f"unknown column {part.strip()[:60]!r} in columns")
        if column.name not in names:
            names.append(column.name)
    return tuple(names)


def definitions(env: Environment) -> list[Definition]:
    """The export definition, reading through the task repository."""
    tasks, clock = env.tasks, env.clock
    zone = resolve_zone(env.settings.base_timezone)

    async def export(ctx: TaskContext) -> None:
        parameters = ctx.parameters
        if parameters.get("format", "csv").strip().lower() != "csv":
            raise TaskFailed("only format=csv is supported")
        try:
            columns = _columns(parameters.get("columns", ""))
            node = parse_filter(parameters.get("filter", ""))
            order = parse_order_by(parameters.get("orderBy", ""))
        except InvalidInput as exc:
            raise TaskFailed(str(exc)) from None
        path = ctx.file(f"export-{ctx.task_id}.csv")
        count = 0
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow([HEADER, *columns])
            while not ctx.cancelled:
                page = await tasks.archive(
                    ArchiveQuery(
                        columns, node, order, MAX_TOP, count, zone, ctx.associate_id, clock.now()
                    )
                )
                for row in page:
                    writer.writerow(
                        [
                            row.task_id,
                            *(neutralised(_cell(name, row.values, row.names)) for name in columns),
                        ]
                    )
                count += len(page)
                ctx.progress(min(99, count), f"{count} rows")
                if len(page) < MAX_TOP:
                    break
        done = resource("en", "SR_BATCH_EXPORT_DONE") or "Exported {count} tasks"
        ctx.progress(100, done.format(count=count))
        ctx.result(done.format(count=count))

    def _cell(name: str, values: dict[str, object], names: dict[str, str]) -> object:
        """Associates by display name, dates as ISO text, everything else as stored."""
        if name in names:
            return names[name]
        column = find_column(name)
        value = values.get(name)
        if column is not None and column.restriction_type is RestrictionType.DATE:
            if not isinstance(value, datetime):
                return ""
            return (
                render_utc(value, offset=True)
                if column.utc
                else render_local(value, zone, offset=False)
            )
        return "" if value is None else value

    return [
        Definition(
            NAME, export, description="[SR_BATCH_EXPORT_DESCRIPTION]", max_starts=2, backoff=5.0
        )
    ]
