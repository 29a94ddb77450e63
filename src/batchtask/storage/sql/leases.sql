-- Leases: heartbeats that renew every lease of a worker at once, status reads, progress. Leases
-- run on the database's clock ({lease_until:…}), so workers' clocks may disagree.

-- name: heartbeat
UPDATE batchtask SET lease_expires = {lease_until:lease}, updated = :now
WHERE {_held} AND (batchtask_id, startcount) {pair_member:fences}
RETURNING batchtask_id, cancel_requested

-- name: inspect
SELECT batchtask_id, startcount, cancel_requested FROM batchtask
WHERE batchtask_id {member:task_ids} AND {_held}

-- name: progress
-- Also the heartbeat column "updated".
UPDATE batchtask SET progresspercent = :percent, progressdescription = :description, updated = :now
WHERE batchtask_id = :task_id AND startcount = :start_count AND state = {Started}
