-- Task definitions: created lazily by name (as SuperOffice does), upserted by workers.

-- name: id_by_key
SELECT batchtaskdefinition_id FROM batchtaskdefinition WHERE name_key = :key

-- name: insert_lazily
INSERT INTO batchtaskdefinition (name, name_key, cancellation_behaviour, registered, updated)
VALUES (:name, :key, :cancellation, :now, :now)
ON CONFLICT (name_key) DO NOTHING

-- name: register
-- A worker's policy for a definition it runs (description, cancellation, timeout, retries).
INSERT INTO batchtaskdefinition (name, name_key, description, timeout, autorestartcount,
    backoff_seconds, cancellation_behaviour, isolation, registered, updated)
VALUES (:name, :key, :description, :timeout, :restarts, :backoff, :cancellation, :isolation, :now,
    :now)
ON CONFLICT (name_key) DO UPDATE SET name = excluded.name, description = excluded.description,
    timeout = excluded.timeout, autorestartcount = excluded.autorestartcount,
    backoff_seconds = excluded.backoff_seconds,
    cancellation_behaviour = excluded.cancellation_behaviour, isolation = excluded.isolation,
    updated = excluded.updated,
    updatedcount = batchtaskdefinition.updatedcount + 1
RETURNING batchtaskdefinition_id
