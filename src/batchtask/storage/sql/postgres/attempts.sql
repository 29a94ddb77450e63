-- name: start
-- Aquired → Started and its event in one statement: one round trip instead of four.
WITH started AS (
    UPDATE batchtask SET state = {Started}, laststarted = :now, lease_expires = :lease_expires,
        updated = :now, progresspercent = 0, progressdescription = '', response = '', result = ''
    WHERE batchtask_id = :task_id AND startcount = :start_count AND state = {Aquired}
    RETURNING batchtask_id, startcount)
INSERT INTO batchtask_event (batchtask_id, at, actor, from_state, to_state, startcount, reason)
SELECT batchtask_id, :now, :actor, {Aquired}, {Started}, startcount, 'started' FROM started
RETURNING batchtask_id
