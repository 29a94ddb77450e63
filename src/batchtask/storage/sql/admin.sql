-- The console's task page, bulk selections, retry and bulk stop (admin_repository.py). The page
-- and the counts add the WHERE of a selection (a compiled $filter and free text) in code.

-- name: page_head
SELECT {_task_columns}, COALESCE(a.display_name, a.username, '') {_task_from}
    LEFT JOIN associate a ON a.associate_id = t.registered_associate_id

-- name: count_head
SELECT COUNT(*) FROM batchtask t

-- name: count_head_with_definition
SELECT COUNT(*) FROM batchtask t
    LEFT JOIN batchtaskdefinition d ON d.batchtaskdefinition_id = t.batchtaskdefinition_id

-- name: brief_head
SELECT t.batchtask_id, t.registered_associate_id, t.state, COALESCE(d.cancellation_behaviour, 0),
    t.cancel_requested
FROM batchtask t
    LEFT JOIN batchtaskdefinition d ON d.batchtaskdefinition_id = t.batchtaskdefinition_id

-- name: briefs
SELECT t.batchtask_id, t.registered_associate_id, t.state, COALESCE(d.cancellation_behaviour, 0),
    t.cancel_requested
FROM batchtask t
    LEFT JOIN batchtaskdefinition d ON d.batchtaskdefinition_id = t.batchtaskdefinition_id
WHERE t.batchtask_id {member:task_ids} ORDER BY t.batchtask_id

-- name: finished_of
SELECT batchtask_id, state, startcount FROM batchtask
WHERE batchtask_id {member:task_ids}
    AND state IN ({Succeeded}, {Failed}, {SucceededManualCleanup})
ORDER BY batchtask_id{for_update}

-- name: retry
-- Back to New with a fresh retry budget: the budget counts starts minus releases, so
-- releasecount = startcount renews it without rewriting StartCount (the claim index keys on it).
UPDATE batchtask SET state = {New}, progresspercent = 0, progressdescription = '',
    releasecount = startcount, run_after = NULL, cancel_requested = NULL, lease_owner = NULL,
    lease_expires = NULL, updated = :now, updatedcount = updatedcount + 1
WHERE batchtask_id {member:task_ids}
