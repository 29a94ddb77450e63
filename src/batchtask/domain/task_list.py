"""One page of the console's task list (SPEC §10.1 ``GET tasks``) and the rows bulk actions act on.

The filter is the ``$filter`` tree of ``domain.query`` (storage compiles it to bound SQL), plus an
optional free text matched against Name, Description and Result. Without an order the newest task
comes first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from batchtask.domain.query import Node, Ordering
from batchtask.domain.state import BatchTaskState, CancellationBehaviour
from batchtask.domain.task import BatchTask

#: ``top`` when none is given, and the most one page may hold.
DEFAULT_PAGE = 50
MAX_PAGE = 500
#: The most tasks one bulk call may act on.
MAX_BULK = 10_000


@dataclass(frozen=True, slots=True)
class TaskSelection:
    """Which tasks: a ``$filter`` tree and/or free text (both optional)."""

    filter: Node | None = None
    text: str = ""
    #: Resolves relative dates and local date literals of the filter.
    zone: ZoneInfo | None = None
    #: ``currentAssociate`` of the filter.
    associate_id: int = 0
    now: datetime | None = None


@dataclass(frozen=True, slots=True)
class TaskListQuery:
    """A selection, its order and one page of it."""

    selection: TaskSelection
    order: tuple[Ordering, ...] = ()
    top: int = DEFAULT_PAGE
    skip: int = 0


@dataclass(frozen=True, slots=True)
class TaskPage:
    """The page's tasks, how many match in all, and the owners' display names."""

    tasks: list[BatchTask]
    count: int
    owners: dict[int, str]


@dataclass(frozen=True, slots=True)
class TaskBrief:
    """What deciding on a bulk action needs to know about one task."""

    id: int
    associate_id: int
    state: BatchTaskState
    cancellation: CancellationBehaviour
    stop_requested: bool
