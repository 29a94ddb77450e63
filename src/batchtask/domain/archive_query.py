"""One page of the ``BatchTasks`` archive: what ``GET /api/v1/BatchTask`` asks storage for.

The filter and ordering are the parsed trees of ``domain.query``; storage compiles them to
parameterised SQL. Rows come back as plain values per archive column (dates as aware UTC,
associates with their display names), plus what the caller's rights depend on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from batchtask.domain.query import Node, Ordering

#: ``$top`` when none is given, and the most rows one page may hold (SPEC §7).
DEFAULT_TOP = 50
MAX_TOP = 1000


@dataclass(frozen=True, slots=True)
class ArchiveQuery:
    """Columns, filter, order and page of an archive request."""

    columns: tuple[str, ...]
    filter: Node | None = None
    order: tuple[Ordering, ...] = ()
    top: int = DEFAULT_TOP
    skip: int = 0
    #: Resolves relative dates and local date literals of the filter.
    zone: ZoneInfo | None = None
    #: ``currentAssociate`` of the filter.
    associate_id: int = 0
    now: datetime | None = None


@dataclass(frozen=True, slots=True)
class ArchiveRow:
    """One task as archive columns."""

    task_id: int
    owner: int
    values: dict[str, object]
    #: Display names of the associate columns (``updatedBy``, ``registeredBy``).
    names: dict[str, str]
