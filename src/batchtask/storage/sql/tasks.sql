-- Tasks as the API sees them (task_repository.py).

-- name: select_task
-- The hot GET: one primary-key lookup joining the definition and the parameter blob.
SELECT {_task_columns} {_task_from} WHERE t.batchtask_id = :task_id

-- name: select_tasks
-- The head of find(); the repository appends the WHERE of a TaskFilter.
SELECT {_task_columns} {_task_from}

-- name: insert_task
INSERT INTO batchtask (batchtaskdefinition_id, description, dbtag, state, detailstable,
    detailsrecord, request, registered, registered_associate_id, updated, updated_associate_id,
    filename, context, isinternal)
VALUES (:definition_id, :description, :dbtag, {New}, :details_table, :details_record, :request,
    :now, :associate_id, :now, :associate_id, :file_name, :context, :is_internal)
RETURNING batchtask_id

-- name: lock_state
SELECT state, startcount FROM batchtask WHERE batchtask_id = :task_id{for_update}

-- name: update_task
UPDATE batchtask SET state = COALESCE(:state, state), description = COALESCE(:description, description),
    response = COALESCE(:response, response), request = COALESCE(:request, request),
    updated = :now, updatedcount = updatedcount + 1
WHERE batchtask_id = :task_id

-- name: record_outcome
UPDATE batchtask SET state = COALESCE(:state, state), startcount = COALESCE(:start_count, startcount),
    laststarted = COALESCE(:last_started, laststarted),
    progresspercent = COALESCE(:progress_percent, progresspercent),
    progressdescription = COALESCE(:progress_description, progressdescription),
    result = COALESCE(:result, result), response = COALESCE(:response, response),
    filename = COALESCE(:file_name, filename), updated = :now, updatedcount = updatedcount + 1
WHERE batchtask_id = :task_id

-- name: states_of
SELECT batchtask_id, state, startcount FROM batchtask WHERE batchtask_id {member:task_ids}{for_update}

-- name: delete_tasks
DELETE FROM batchtask WHERE batchtask_id {member:task_ids}

-- name: create
-- A New task with its definition (created lazily), its ParameterObject blob and link when it has
-- parameters (:data not NULL), and its "created" event, in one transaction. Later statements find
-- the new rows as the highest ids: the transaction holds SQLite's write lock, and AUTOINCREMENT
-- ids only grow. PostgreSQL does it in one statement (sql/postgres/tasks.sql).
INSERT INTO batchtaskdefinition (name, name_key, cancellation_behaviour, registered, updated)
VALUES (:name, :key, :cancellation, :now, :now) ON CONFLICT (name_key) DO NOTHING;
INSERT INTO binaryobject (conceptualtype, mimetype, originalsize, blobsize, binarydata,
    registered, registered_associate_id, updated)
SELECT 'StringDictionary', 'application/json', :size, :size, :data, :now, :associate_id, :now
WHERE :data IS NOT NULL;
INSERT INTO batchtask (batchtaskdefinition_id, description, dbtag, state, detailstable,
    detailsrecord, request, registered, registered_associate_id, updated, updated_associate_id,
    filename, context, isinternal)
SELECT (SELECT batchtaskdefinition_id FROM batchtaskdefinition WHERE name_key = :key),
    :description, :dbtag, {New},
    CASE WHEN :data IS NULL THEN :details_table ELSE {BINARY_OBJECT_TABLE} END,
    CASE WHEN :data IS NULL THEN :details_record
        ELSE (SELECT MAX(binaryobject_id) FROM binaryobject) END,
    :request, :now, :associate_id, :now, :associate_id, :file_name, :context, :is_internal;
INSERT INTO binaryobjectlink (binaryobjectid, ownertable, ownerrecord, linktype, rank,
    registered, registered_associate_id, updated)
SELECT detailsrecord, {BATCH_TASK_TABLE}, batchtask_id, {BLOB_LINK_BATCH_TASK}, 0, :now,
    :associate_id, :now
FROM batchtask WHERE batchtask_id = (SELECT MAX(batchtask_id) FROM batchtask)
    AND :data IS NOT NULL;
INSERT INTO batchtask_event (batchtask_id, at, actor, from_state, to_state, startcount, reason,
    source)
SELECT MAX(batchtask_id), :now, :actor, NULL, {New}, 0, 'created', :source FROM batchtask
RETURNING batchtask_id

-- name: skip_ids
-- The emulator's seed: the next AUTOINCREMENT id is at least :last + 1 (never lower).
INSERT INTO sqlite_sequence (name, seq)
SELECT 'batchtask', 0 WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'batchtask');
UPDATE sqlite_sequence SET seq = :last WHERE name = 'batchtask' AND seq < :last

-- name: next_task_id
SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'batchtask'), 0) + 1
