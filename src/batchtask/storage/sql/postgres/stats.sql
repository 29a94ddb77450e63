-- name: series
SELECT CAST(FLOOR(EXTRACT(EPOCH FROM (at - CAST(:start AS timestamp)))
        / CAST(:step AS double precision)) AS INTEGER) AS b, {_series_sums}
FROM batchtask_event WHERE at >= :start GROUP BY 1

-- name: recent_runs
SELECT batchtaskdefinition_id, ms FROM (
    SELECT batchtaskdefinition_id, EXTRACT(EPOCH FROM (updated - laststarted)) * 1000 AS ms,
        ROW_NUMBER() OVER (PARTITION BY batchtaskdefinition_id ORDER BY updated DESC) AS rn
    FROM batchtask
    WHERE state IN ({Succeeded}, {SucceededManualCleanup}) AND updated >= :since
        AND laststarted IS NOT NULL AND batchtaskdefinition_id IS NOT NULL) recent
WHERE rn <= :runs
