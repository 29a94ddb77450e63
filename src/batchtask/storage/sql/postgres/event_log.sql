-- name: append_many
-- Many lines in one statement: a JSON array of
-- [task, at, actor, from, to, startcount, reason, source].
INSERT INTO batchtask_event (batchtask_id, at, actor, from_state, to_state, startcount, reason,
    source)
SELECT (e ->> 0)::integer, (e ->> 1)::timestamp, e ->> 2, (e ->> 3)::integer, (e ->> 4)::integer,
    (e ->> 5)::integer, e ->> 6, e ->> 7
FROM jsonb_array_elements(CAST(:events AS jsonb)) AS e
