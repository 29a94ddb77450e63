-- Attempts: the fenced writes of the worker holding a task, and Stop.
-- Every write says "WHERE batchtask_id = :task_id AND startcount = :start_count AND <state>": a
-- worker whose attempt is over (reaped, stopped, finished or deleted from outside) changes nothing.

-- name: start
-- Aquired → Started with its event. Two statements here (run in one transaction); one on
-- PostgreSQL (sql/postgres/attempts.sql). changes() is the UPDATE's row count: no event unless it
-- applied. Returns the task id when it started.
UPDATE batchtask SET state = {Started}, laststarted = :now, lease_expires = :lease_expires,
    updated = :now, progresspercent = 0, progressdescription = '', response = '', result = ''
WHERE batchtask_id = :task_id AND startcount = :start_count AND state = {Aquired};
INSERT INTO batchtask_event (batchtask_id, at, actor, from_state, to_state, startcount, reason)
SELECT batchtask_id, :now, :actor, {Aquired}, {Started}, startcount, 'started' FROM batchtask
WHERE batchtask_id = :task_id AND startcount = :start_count AND state = {Started}
    AND changes() = 1
RETURNING batchtask_id

-- name: held
-- State, stop request and internal flag of a still-held attempt, locked for the end write.
SELECT state, cancel_requested, isinternal FROM batchtask
WHERE batchtask_id = :task_id AND startcount = :start_count AND {_held}{for_update}

-- name: finish
UPDATE batchtask SET state = :state, response = :response, result = COALESCE(:result, result),
    filename = COALESCE(:file_name, filename),
    progresspercent = COALESCE(:progress_percent, progresspercent),
    progressdescription = COALESCE(:progress_description, progressdescription),
    lease_owner = NULL, lease_expires = NULL, updated = :now
WHERE batchtask_id = :task_id AND startcount = :start_count AND {_held}

-- name: requeue
-- Back to New (retry after back-off, or released by a worker shutting down).
UPDATE batchtask SET state = {New}, run_after = :run_after, response = COALESCE(:response, response),
    releasecount = releasecount + :released, lease_owner = NULL, lease_expires = NULL,
    updated = :now
WHERE batchtask_id = :task_id AND startcount = :start_count AND {_held}

-- name: fail
-- Failed now, fenced on the state the caller read (inside its transaction).
UPDATE batchtask SET state = {Failed}, response = :response, lease_expires = NULL, updated = :now
WHERE batchtask_id = :task_id AND startcount = :start_count AND state = :before

-- name: stop_target
SELECT t.state, t.startcount, COALESCE(d.cancellation_behaviour, 0), t.cancel_requested,
    t.lease_owner
FROM batchtask t
LEFT JOIN batchtaskdefinition d ON d.batchtaskdefinition_id = t.batchtaskdefinition_id
WHERE t.batchtask_id = :task_id{for_update_of_t}

-- name: mark_stopped
UPDATE batchtask SET cancel_requested = :now WHERE batchtask_id = :task_id

-- name: request_stop
-- A running task is asked to stop (pushed by NOTIFY on PostgreSQL, seen at the next heartbeat).
UPDATE batchtask SET cancel_requested = :now, updated = :now
WHERE batchtask_id = :task_id AND state = {Started}
