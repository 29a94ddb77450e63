-- Claims: due New tasks of the definitions a worker knows, compare-and-swapped to Aquired.

-- name: probe
-- A plain read before the write lock (single-writer engines): idle pollers never block writers.
SELECT 1 FROM batchtask
WHERE state = {New} AND batchtaskdefinition_id {member:definitions}
    AND (run_after IS NULL OR run_after <= :now)
LIMIT 1

-- name: claim
-- Oldest first; SKIP LOCKED on PostgreSQL so claimers never wait for each other. Every claim
-- increments StartCount: the fencing token of the attempt.
WITH picked AS (
    SELECT batchtask_id FROM batchtask
    WHERE state = {New} AND batchtaskdefinition_id {member:definitions}
        AND (run_after IS NULL OR run_after <= :now)
    ORDER BY batchtask_id LIMIT :limit{skip_locked})
UPDATE batchtask SET state = {Aquired}, startcount = startcount + 1, lease_owner = :owner,
    lease_expires = :lease_expires, cancel_requested = NULL, updated = :now
WHERE batchtask_id IN (SELECT batchtask_id FROM picked) AND state = {New}
RETURNING batchtask_id, startcount, releasecount

-- name: claimed_tasks
SELECT {_task_columns} {_task_from} WHERE t.batchtask_id {member:task_ids} ORDER BY t.batchtask_id
