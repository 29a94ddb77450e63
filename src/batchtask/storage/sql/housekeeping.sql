-- Housekeeping: the reaper, retention and periodic system tasks.

-- name: expired
-- Expired leases, oldest first, with what the reaper needs to decide.
SELECT t.batchtask_id, t.startcount, t.releasecount, t.state, t.cancel_requested,
    COALESCE(d.autorestartcount, 0), t.lease_owner
FROM batchtask t
LEFT JOIN batchtaskdefinition d ON d.batchtaskdefinition_id = t.batchtaskdefinition_id
WHERE t.state IN ({Aquired}, {Started}) AND t.lease_expires < {db_now}
ORDER BY t.lease_expires LIMIT :limit{skip_locked_of_t}

-- name: requeue_expired
UPDATE batchtask SET state = {New}, lease_owner = NULL, lease_expires = NULL, run_after = NULL,
    updated = :now
WHERE batchtask_id = :task_id AND startcount = :start_count AND state = :before

-- name: purgeable
SELECT batchtask_id FROM batchtask WHERE state = :state AND updated < :before
ORDER BY batchtask_id LIMIT :limit{skip_locked}

-- name: orphan_histories
SELECT e.batchtask_id FROM batchtask_event e
WHERE NOT EXISTS (SELECT 1 FROM batchtask t WHERE t.batchtask_id = e.batchtask_id)
GROUP BY e.batchtask_id HAVING MAX(e.at) < :before
ORDER BY e.batchtask_id LIMIT :limit

-- name: pending_of_definition
SELECT 1 FROM batchtask
WHERE batchtaskdefinition_id = :definition_id AND state IN ({New}, {Aquired}, {Started})
LIMIT 1

-- name: last_system_run
SELECT MAX(COALESCE(run_after, registered)) FROM batchtask
WHERE batchtaskdefinition_id = :definition_id AND registered_associate_id = {SYSTEM_ASSOCIATE}

-- name: pull_in_periodic
-- A waiting periodic task is never due more than one interval from now (a clock moved back —
-- the emulator's tenant clock — would otherwise leave it waiting until the clock catches up).
UPDATE batchtask SET run_after = :latest
WHERE batchtaskdefinition_id = :definition_id AND state = {New} AND run_after > :latest

-- name: set_run_after
UPDATE batchtask SET run_after = :run_after WHERE batchtask_id = :task_id
