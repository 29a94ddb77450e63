-- Attempts: the fenced writes of the worker holding a task, many attempts per statement, and Stop.
-- Every write says "(batchtask_id, startcount) in the attempts AND <state>": a worker whose attempt
-- is over (reaped, stopped, finished or deleted from outside) changes nothing.

-- name: start
-- Aquired → Started with LastStarted = now, for every attempt in :fences ([task, StartCount]).
-- Events first, then the change, in one transaction; one statement on PostgreSQL. Returns the
-- ids that started.
INSERT INTO batchtask_event (batchtask_id, at, actor, from_state, to_state, startcount, reason)
SELECT batchtask_id, :now, :actor, {Aquired}, {Started}, startcount, 'started' FROM batchtask
WHERE state = {Aquired} AND (batchtask_id, startcount) {pair_member:fences};
UPDATE batchtask SET state = {Started}, laststarted = :now, lease_expires = {lease_until:lease},
    updated = :now, progresspercent = 0, progressdescription = '', response = '', result = ''
WHERE state = {Aquired} AND (batchtask_id, startcount) {pair_member:fences}
RETURNING batchtask_id

-- name: _ends
-- The attempts to end, from the JSON array :ends (see runs/attempts.py for the fields).
SELECT json_extract(value, '$.id') AS id, json_extract(value, '$.sc') AS sc,
    json_extract(value, '$.state') AS state, json_extract(value, '$.response') AS response,
    json_extract(value, '$.result') AS result, json_extract(value, '$.file_name') AS file_name,
    json_extract(value, '$.percent') AS percent,
    json_extract(value, '$.description') AS description,
    json_extract(value, '$.run_after') AS run_after, json_extract(value, '$.released') AS released,
    json_extract(value, '$.reason') AS reason
FROM json_each(:ends)

-- name: _stopping
-- A Stop was acknowledged: success, retry and release all end Failed/[SR_BATCH_CANCELLED].
(batchtask.cancel_requested IS NOT NULL
    AND i.state IN ({New}, {Succeeded}, {SucceededManualCleanup}))

-- name: conclude
-- End many attempts: finished (Succeeded, ManualCleanup, Failed) or back to New (retry, release).
-- Events first (from the state before), then the change; returns id, state written, internal.
INSERT INTO batchtask_event (batchtask_id, at, actor, from_state, to_state, startcount, reason)
SELECT batchtask.batchtask_id, :now, :actor, batchtask.state,
    CASE WHEN {_stopping} THEN {Failed} ELSE i.state END, batchtask.startcount,
    CASE WHEN {_stopping} THEN 'stopped' ELSE i.reason END
FROM batchtask JOIN ({_ends}) AS i ON batchtask.batchtask_id = i.id AND batchtask.startcount = i.sc
WHERE batchtask.state IN ({Aquired}, {Started});
UPDATE batchtask SET
    state = CASE WHEN {_stopping} THEN {Failed} ELSE i.state END,
    response = CASE WHEN {_stopping} THEN '[SR_BATCH_CANCELLED]'
        ELSE COALESCE(i.response, batchtask.response) END,
    result = COALESCE(i.result, batchtask.result),
    filename = COALESCE(i.file_name, batchtask.filename),
    progresspercent = COALESCE(i.percent, batchtask.progresspercent),
    progressdescription = COALESCE(i.description, batchtask.progressdescription),
    run_after = CASE WHEN i.state = {New} AND NOT {_stopping} THEN i.run_after
        ELSE batchtask.run_after END,
    releasecount = batchtask.releasecount + CASE WHEN i.state = {New} AND NOT {_stopping}
        THEN i.released ELSE 0 END,
    lease_owner = NULL, lease_expires = NULL, updated = :now
FROM ({_ends}) AS i
WHERE batchtask.batchtask_id = i.id AND batchtask.startcount = i.sc
    AND batchtask.state IN ({Aquired}, {Started})
RETURNING batchtask.batchtask_id, batchtask.state, batchtask.isinternal

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
