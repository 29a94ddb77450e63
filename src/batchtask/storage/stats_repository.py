"""``StatsRepository`` in SQL: counts per state, the head of the queue, the time series and the
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

#: Successful runs per definition that the run-time percentiles look at.
RECENT_RUNS = 1000
_STATES = {member.value: member for member in BatchTaskState}
_CANCELLATION = {member.value: member for member in CancellationBehaviour}

_BUCKET = {
    # Whole seconds on both sides, so a step boundary never falls to float rounding.
    "sqlite": "(CAST(strftime('%s', at) AS INTEGER) - CAST(strftime('%s', ?) AS INTEGER)) / ?",
    "postgres": "CAST(FLOOR(EXTRACT(EPOCH FROM (at - CAST(? AS timestamp)))"
    " / CAST(? AS double precision)) AS INTEGER)",
}
_RUN_MS = {
    "sqlite": "(julianday(updated) - julianday(laststarted)) * 86400000.0",
    "postgres": "EXTRACT(EPOCH FROM (updated - laststarted)) * 1000",
}


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

    async def counts(self) -> dict[BatchTaskState, int]:
        """Tasks per state (states without tasks are left out)."""
        rows = await self._db.fetch("SELECT state, COUNT(*) FROM batchtask GROUP BY state")
        return {_STATES.get(row[0], BatchTaskState.Unknown): int(row[1]) for row in rows}

    async def oldest_waiting(self, now: datetime) -> datetime | None:
        """When the due ``New`` task with the lowest id became due (its creation or retry time)."""
        row = await self._db.fetchrow(
            "SELECT COALESCE(run_after, registered) FROM batchtask"
            " WHERE state = 1 AND (run_after IS NULL OR run_after <= ?)"
            " ORDER BY batchtask_id LIMIT 1",
            self._db.ts(now),
        )
        return None if row is None else self._db.instant(row[0])

    async def series(
        self, *, start: datetime, step: int, points: int, waiting_now: int
    ) -> list[SeriesPoint]:
        """``points`` steps from ``start``; each point is stamped with the end of its step."""
        bucket = _BUCKET[self._db.dialect]
        rows = await self._db.fetch(
            f"SELECT {bucket} AS b,"
            " SUM(CASE WHEN to_state = 3 AND (from_state IS NULL OR from_state <> 3)"
            " THEN 1 ELSE 0 END),"
            " SUM(CASE WHEN to_state IN (4, 6) AND (from_state IS NULL OR from_state NOT IN (4, 6))"
            " THEN 1 ELSE 0 END),"
            " SUM(CASE WHEN to_state = 5 AND (from_state IS NULL OR from_state <> 5)"
            " THEN 1 ELSE 0 END),"
            " SUM(CASE WHEN to_state = 1 AND (from_state IS NULL OR from_state <> 1)"
            " THEN 1 ELSE 0 END) - SUM(CASE WHEN from_state = 1 AND to_state <> 1"
            " THEN 1 ELSE 0 END)"
            " FROM batchtask_event WHERE at >= ? GROUP BY 1",
            self._db.ts(start),
            step,
            self._db.ts(start),
        )
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
        for definition, state, count in await db.fetch(
            "SELECT batchtaskdefinition_id, state, COUNT(*) FROM batchtask"
            " WHERE batchtaskdefinition_id IS NOT NULL GROUP BY 1, 2"
        ):
            counts[int(definition)][_STATES.get(state, BatchTaskState.Unknown)] = int(count)
        outcomes: dict[int, dict[int, int]] = defaultdict(dict)
        for definition, state, count in await db.fetch(
            "SELECT batchtaskdefinition_id, state, COUNT(*) FROM batchtask"
            " WHERE state IN (4, 5, 6) AND updated >= ? AND batchtaskdefinition_id IS NOT NULL"
            " GROUP BY 1, 2",
            db.ts(since),
        ):
            outcomes[int(definition)][int(state)] = int(count)
        runs: dict[int, list[float]] = defaultdict(list)
        for definition, milliseconds in await db.fetch(
            "SELECT batchtaskdefinition_id, ms FROM (SELECT batchtaskdefinition_id,"
            f" {_RUN_MS[db.dialect]} AS ms, ROW_NUMBER() OVER (PARTITION BY"
            " batchtaskdefinition_id ORDER BY updated DESC) AS rn FROM batchtask"
            " WHERE state IN (4, 6) AND updated >= ? AND laststarted IS NOT NULL"
            " AND batchtaskdefinition_id IS NOT NULL) recent WHERE rn <= ?",
            db.ts(since),
            RECENT_RUNS,
        ):
            runs[int(definition)].append(max(0.0, float(milliseconds)))
        out = []
        for row in await db.fetch(
            "SELECT batchtaskdefinition_id, name, description, cancellation_behaviour, timeout,"
            " autorestartcount, isolation FROM batchtaskdefinition ORDER BY name_key"
        ):
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
