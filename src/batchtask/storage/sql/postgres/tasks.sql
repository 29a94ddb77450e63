-- name: create
-- The task, its definition (created lazily; a concurrent first creation is met by the upsert),
-- its blob and link, and its event in one statement: one round trip for a POST.
WITH known AS (
    SELECT batchtaskdefinition_id FROM batchtaskdefinition WHERE name_key = :key),
added AS (
    INSERT INTO batchtaskdefinition (name, name_key, cancellation_behaviour, registered, updated)
    SELECT :name, :key, :cancellation, :now, :now WHERE NOT EXISTS (SELECT 1 FROM known)
    ON CONFLICT (name_key) DO UPDATE SET name_key = excluded.name_key
    RETURNING batchtaskdefinition_id),
blob AS (
    INSERT INTO binaryobject (conceptualtype, mimetype, originalsize, blobsize, binarydata,
        registered, registered_associate_id, updated)
    SELECT 'StringDictionary', 'application/json', :size, :size, CAST(:data AS bytea), :now,
        :associate_id, :now
    WHERE CAST(:data AS bytea) IS NOT NULL
    RETURNING binaryobject_id),
task AS (
    INSERT INTO batchtask (batchtaskdefinition_id, description, dbtag, state, detailstable,
        detailsrecord, request, registered, registered_associate_id, updated,
        updated_associate_id, filename, context, isinternal)
    SELECT COALESCE((SELECT batchtaskdefinition_id FROM known),
            (SELECT batchtaskdefinition_id FROM added)),
        :description, :dbtag, {New},
        COALESCE((SELECT {BINARY_OBJECT_TABLE} FROM blob), :details_table),
        COALESCE((SELECT binaryobject_id FROM blob), :details_record),
        :request, :now, :associate_id, :now, :associate_id, :file_name, :context, :is_internal
    RETURNING batchtask_id),
link AS (
    INSERT INTO binaryobjectlink (binaryobjectid, ownertable, ownerrecord, linktype, rank,
        registered, registered_associate_id, updated)
    SELECT blob.binaryobject_id, {BATCH_TASK_TABLE}, task.batchtask_id, {BLOB_LINK_BATCH_TASK},
        0, :now, :associate_id, :now
    FROM blob, task),
logged AS (
    INSERT INTO batchtask_event (batchtask_id, at, actor, from_state, to_state, startcount,
        reason, source)
    SELECT batchtask_id, :now, :actor, NULL, {New}, 0, 'created', :source FROM task)
SELECT batchtask_id FROM task

-- name: skip_ids
-- The emulator's seed: the identity's next value is at least :last + 1 (never lower).
SELECT setval(s.seq, GREATEST(CAST(:last AS bigint), COALESCE(pg_sequence_last_value(s.seq::regclass), 0)), true)
FROM (SELECT pg_get_serial_sequence('batchtask', 'batchtask_id') AS seq) AS s

-- name: next_task_id
SELECT COALESCE(pg_sequence_last_value(pg_get_serial_sequence('batchtask', 'batchtask_id')::regclass), 0) + 1
