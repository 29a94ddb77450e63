-- name: append_many
-- Many lines in one statement: a JSON array of
-- [task, at, actor, from, to, startcount, reason, source].
INSERT INTO batchtask_event (batchtask_id, at, actor, from_state, to_state, startcount, reason,
    source)
SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'),
    json_extract(value, '$[3]'), json_extract(value, '$[4]'), json_extract(value, '$[5]'),
    json_extract(value, '$[6]'), json_extract(value, '$[7]')
FROM json_each(:events)
