"""``$select`` aggregates on every store agree with a plain Python reading of the same tasks.

Tasks with varied states, progress, descriptions, owners and start times are stored; then every
function (Count, CountAll, Sum, Avg, Min, Max) over every column type it allows, with and without a
filter, is computed by the store (one SQL statement on SQLite and PostgreSQL, Python on the
memory store) and by the expectations written here.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from batchtask.domain.aggregate import Aggregate, parse_select_item
from batchtask.domain.archive_query import ArchiveQuery
from batchtask.domain.ports import Store
from batchtask.domain.state import BatchTaskState
from batchtask.domain.task import NewTask, TaskOutcome
from batchtask.serialisation.odata_filter import parse_filter

pytestmark = pytest.mark.anyio
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
#: (description, owner, state, progress, started minutes before NOW or None)
TASKS = [
    ("beta", 5, BatchTaskState.New, 0, None),
    ("Alpha", 5, BatchTaskState.Succeeded, 100, 30),
    ("", 6, BatchTaskState.Failed, 40, 90),
    ("zeta", 0, BatchTaskState.Started, 55, 5),
    ("alpha", 6, BatchTaskState.New, 0, None),
]


async def _seed(store: Store) -> None:
    for description, owner, state, progress, started in TASKS:
        task_id = await store.tasks.create(
            NewTask("batchtask.sleep", owner, description=description), now=NOW, actor="t"
        )
        if state is not BatchTaskState.New:
            last = None if started is None else NOW - timedelta(minutes=started)
            outcome = TaskOutcome(state, 1, last, progress)
            await store.tasks.record_outcome(task_id, outcome, now=NOW, actor="t")


def _aggregate(text: str) -> Aggregate:
    item = parse_select_item(text)
    assert isinstance(item, Aggregate)
    return item


STARTED = [NOW - timedelta(minutes=m) for *_, m in TASKS if m is not None]
CASES = [
    ("CountAll(State)", None, 5),
    ("Count(Description)", None, 4),
    ("Count(LastStarted)", None, 3),
    ("Count(registeredBy)", None, 4),
    ("Count(State)", "State eq 1", 2),
    ("Sum(ProgressPercent)", None, 195),
    ("Sum(ProgressPercent)", "State eq 'Aquired'", 0),
    ("Avg(ProgressPercent)", None, 39.0),
    ("Avg(ProgressPercent)", "ProgressPercent gt 0", 65.0),
    ("Avg(StartCount)", "State eq 'Aquired'", None),
    ("Min(ProgressPercent)", None, 0),
    ("Max(State)", None, 5),
    ("Min(Description)", None, ""),
    ("Max(Description)", None, "zeta"),
    ("Min(Description)", "Description ne ''", "Alpha"),  # code point order: "A" < "a"
    ("Min(LastStarted)", None, min(STARTED)),
    ("Max(LastStarted)", None, max(STARTED)),
    ("Max(LastStarted)", "State eq 1", None),
    ("Min(registeredDate)", None, NOW),
    ("Max(DefinitionName)", None, "batchtask.sleep"),
]


@pytest.mark.parametrize(("text", "filter_text", "expected"), CASES)
async def test_every_aggregate_agrees(
    store: Store, text: str, filter_text: str | None, expected: object
) -> None:
    """Each function, over each column type it allows, with and without a filter."""
    await _seed(store)
    aggregate = _aggregate(text)
    query = ArchiveQuery(
        columns=(aggregate.column,),
        filter=parse_filter(filter_text) if filter_text else None,
        now=NOW,
    )
    totals = await store.tasks.archive_totals(query, [aggregate])
    assert totals == {aggregate.key: expected}
    if isinstance(expected, float):
        assert isinstance(totals[aggregate.key], float)


async def test_several_aggregates_in_one_call(store: Store) -> None:
    """All the aggregates of one ``$select`` come back together, keyed by their canonical name."""
    await _seed(store)
    aggregates = [_aggregate(t) for t in ("count(state):footer", "SUM(progresspercent):Header")]
    totals = await store.tasks.archive_totals(
        ArchiveQuery(columns=("State", "ProgressPercent"), now=NOW), aggregates
    )
    assert totals == {"Count(State):Footer": 5, "Sum(ProgressPercent):Header": 195}
