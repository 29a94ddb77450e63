-- Queue figures aggregated by the database (stats_repository.py).

-- name: counts
SELECT state, COUNT(*) FROM batchtask GROUP BY state

-- name: oldest_waiting
SELECT COALESCE(run_after, registered) FROM batchtask
WHERE state = {New} AND (run_after IS NULL OR run_after <= :now)
ORDER BY batchtask_id LIMIT 1

-- name: _series_sums
-- Per step of the event log: attempts started, tasks succeeded, failed, and the net change of
-- the queue (into New minus out of New).
    SUM(CASE WHEN to_state = {Started} AND (from_state IS NULL OR from_state <> {Started})
        THEN 1 ELSE 0 END),
    SUM(CASE WHEN to_state IN ({Succeeded}, {SucceededManualCleanup})
        AND (from_state IS NULL OR from_state NOT IN ({Succeeded}, {SucceededManualCleanup}))
        THEN 1 ELSE 0 END),
    SUM(CASE WHEN to_state = {Failed} AND (from_state IS NULL OR from_state <> {Failed})
        THEN 1 ELSE 0 END),
    SUM(CASE WHEN to_state = {New} AND (from_state IS NULL OR from_state <> {New})
        THEN 1 ELSE 0 END)
    - SUM(CASE WHEN from_state = {New} AND to_state <> {New} THEN 1 ELSE 0 END)

-- name: series
-- Whole seconds on both sides, so a step boundary never falls to float rounding.
SELECT (CAST(strftime('%s', at) AS INTEGER) - CAST(strftime('%s', :start) AS INTEGER)) / :step
    AS b, {_series_sums}
FROM batchtask_event WHERE at >= :start GROUP BY 1

-- name: counts_by_definition
SELECT batchtaskdefinition_id, state, COUNT(*) FROM batchtask
WHERE batchtaskdefinition_id IS NOT NULL GROUP BY 1, 2

-- name: outcomes_since
SELECT batchtaskdefinition_id, state, COUNT(*) FROM batchtask
WHERE state IN ({Succeeded}, {Failed}, {SucceededManualCleanup}) AND updated >= :since
    AND batchtaskdefinition_id IS NOT NULL
GROUP BY 1, 2

-- name: recent_runs
-- Milliseconds from LastStarted to the last write of each definition's latest successful runs.
SELECT batchtaskdefinition_id, ms FROM (
    SELECT batchtaskdefinition_id,
        (julianday(updated) - julianday(laststarted)) * 86400000.0 AS ms,
        ROW_NUMBER() OVER (PARTITION BY batchtaskdefinition_id ORDER BY updated DESC) AS rn
    FROM batchtask
    WHERE state IN ({Succeeded}, {SucceededManualCleanup}) AND updated >= :since
        AND laststarted IS NOT NULL AND batchtaskdefinition_id IS NOT NULL) recent
WHERE rn <= :runs

-- name: definitions
SELECT batchtaskdefinition_id, name, description, cancellation_behaviour, timeout,
    autorestartcount, isolation
FROM batchtaskdefinition ORDER BY name_key
