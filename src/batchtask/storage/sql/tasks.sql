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
