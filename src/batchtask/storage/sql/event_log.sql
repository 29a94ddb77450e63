-- The append-only history of every task (event_log.py).

-- name: append
INSERT INTO batchtask_event (batchtask_id, at, actor, from_state, to_state, startcount, reason,
    source)
VALUES (:task_id, :at, :actor, :from_state, :to_state, :start_count, :reason, :source)

-- name: events_of
SELECT batchtask_id, at, actor, from_state, to_state, startcount, reason, source
FROM batchtask_event WHERE batchtask_id = :task_id ORDER BY event_id

-- name: delete_events
DELETE FROM batchtask_event WHERE batchtask_id {member:task_ids}
