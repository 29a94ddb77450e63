"""``StatsRepository`` in SQL (``sql/stats.sql``): counts per state, the head of the queue, the time series and the
per-definition figures, aggregated by the database so no call reads more than a few rows back.

**The series** comes from the event log (indexed by time): per step the attempts started and the
tasks that succeeded or failed. The queue depth of each step is walked back from the number of
``New`` tasks now: every event into ``New`` (created, retried, released, reaped) added one, every
event out of it (claimed, stopped, deleted, PUT) took one away.

**Definition figures** come from the task rows: counts per state, outcomes of tasks that finished
in the last 24 hours (by ``updated``, the time of their last write) and the median and 95th
percentile of ``updated - LastStarted`` over each definition's latest 1,000 successful runs.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import datetime, timedelta

from batchtask.domain.state import BatchTaskState, CancellationBehaviour
from batchtask.domain.stats import DefinitionFigures, SeriesPoint
from batchtask.storage.database import Database
from batchtask.storage.queries import load

#: Successful runs per definition that the run-time percentiles look at.
RECENT_RUNS = 1000
_STATES = {member.value: member for member in BatchTaskState}
_CANCELLATION = {member.value: member for member in CancellationBehaviour}


def percentile(sorted_values: list[float], share: float) -> float | None:
    """Nearest-rank percentile of an ascending list; ``None`` when empty."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(share * len(sorted_values)))
    return sorted_values[rank - 1]


class SqlStatsRepository:
    """Queue figures over one ``Database``."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._sql = load("stats", db)

    async def counts(self) -> dict[BatchTaskState, int]:
        """Tasks per state (states without tasks are left out)."""
        rows = await self._sql.counts.fetch(self._db)
        return {_STATES.get(row[0], BatchTaskState.Unknown): int(row[1]) for row in rows}

    async def oldest_waiting(self, now: datetime) -> datetime | None:
        """When the due ``New`` task with the lowest id became due (its creation or retry time)."""
        row = await self._sql.oldest_waiting.fetchrow(self._db, now=self._db.ts(now))
        return None if row is None else self._db.instant(row[0])

    async def series(
        self, *, start: datetime, step: int, points: int, waiting_now: int
    ) -> list[SeriesPoint]:
        """``points`` steps from ``start``; each point is stamped with the end of its step."""
        rows = await self._sql.series.fetch(self._db, start=self._db.ts(start), step=step)
        per: dict[int, tuple[int, int, int, int]] = {}
        for b, started, succeeded, failed, net in rows:
            index = min(int(b), points)  # later than the last step: counts only for the depth
            old = per.get(index, (0, 0, 0, 0))
            per[index] = (
                old[0] + int(started or 0), old[1] + int(succeeded or 0),
                old[2] + int(failed or 0), old[3] + int(net or 0),
            )  # fmt: skip
        waiting = waiting_now - per.get(points, (0, 0, 0, 0))[3]
        out: list[SeriesPoint] = []
        for index in range(points - 1, -1, -1):
            started, succeeded, failed, net = per.get(index, (0, 0, 0, 0))
            at = start + timedelta(seconds=step * (index + 1))
            out.append(SeriesPoint(at, started, succeeded, failed, max(0, waiting)))
            waiting -= net
        out.reverse()
        return out

    async def definitions(self, *, since: datetime) -> list[DefinitionFigures]:
        """Every definition by name, with counts, outcomes since ``since`` and percentiles."""
        db = self._db
        counts: dict[int, dict[BatchTaskState, int]] = defaultdict(dict)
        sql = self._sql
        for definition, state, count in await sql.counts_by_definition.fetch(db):
            counts[int(definition)][_STATES.get(state, BatchTaskState.Unknown)] = int(count)
        outcomes: dict[int, dict[int, int]] = defaultdict(dict)
        for definition, state, count in await sql.outcomes_since.fetch(db, since=db.ts(since)):
            outcomes[int(definition)][int(state)] = int(count)
        runs: dict[int, list[float]] = defaultdict(list)
        for definition, milliseconds in await sql.recent_runs.fetch(
            db, since=db.ts(since), runs=RECENT_RUNS
        ):
            runs[int(definition)].append(max(0.0, float(milliseconds)))
        out = []
        for row in await sql.definitions.fetch(db):
            definition = int(row[0])
            done = outcomes.get(definition, {})
            durations = sorted(runs.get(definition, []))
            out.append(
                DefinitionFigures(
                    name=row[1],
                    description=row[2],
                    cancellation=_CANCELLATION.get(row[3], CancellationBehaviour.CanCancel),
                    timeout=int(row[4]) or None,
                    max_starts=int(row[5]) + 1,
                    isolation=row[6],
                    counts=dict(counts.get(definition, {})),
                    succeeded_24h=done.get(4, 0) + done.get(6, 0),
                    failed_24h=done.get(5, 0),
                    p50_ms=percentile(durations, 0.5),
                    p95_ms=percentile(durations, 0.95),
                )
            )
        return out
