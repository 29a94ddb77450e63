-- Snippets every SQL file may use as {_name}; they are not queries themselves.

-- name: _task_columns
-- One task with its definition (Name, CancellationBehaviour) and its ParameterObject blob, in the
-- order task_rows.task_from_row maps them.
    t.batchtask_id, COALESCE(d.name, ''), t.registered_associate_id, t.detailstable,
    t.detailsrecord, t.isinternal, b.binarydata, t.laststarted, t.registered, t.startcount,
    t.dbtag, t.context, t.result, t.state, t.description, t.response, t.request,
    t.progressdescription, t.progresspercent, t.filename, COALESCE(d.cancellation_behaviour, 0),
    t.updated, t.batchtaskdefinition_id, t.lease_owner, t.lease_expires, t.cancel_requested,
    t.run_after, t.releasecount

-- name: _task_from
    FROM batchtask t
    LEFT JOIN batchtaskdefinition d ON d.batchtaskdefinition_id = t.batchtaskdefinition_id
    LEFT JOIN binaryobjectlink l
        ON l.ownertable = {BATCH_TASK_TABLE} AND l.ownerrecord = t.batchtask_id
        AND l.linktype = {BLOB_LINK_BATCH_TASK} AND l.rank = 0
    LEFT JOIN binaryobject b ON b.binaryobject_id = l.binaryobjectid

-- name: _returned_task
-- {_task_columns} of a row an UPDATE just changed (its RETURNING clause): the definition and the
-- blob come from scalar subqueries, since RETURNING sees only the changed table.
    batchtask.batchtask_id,
    COALESCE((SELECT d.name FROM batchtaskdefinition d
        WHERE d.batchtaskdefinition_id = batchtask.batchtaskdefinition_id), ''),
    batchtask.registered_associate_id, batchtask.detailstable, batchtask.detailsrecord,
    batchtask.isinternal,
    (SELECT b.binarydata FROM binaryobjectlink l
        JOIN binaryobject b ON b.binaryobject_id = l.binaryobjectid
        WHERE l.ownertable = {BATCH_TASK_TABLE} AND l.ownerrecord = batchtask.batchtask_id
        AND l.linktype = {BLOB_LINK_BATCH_TASK} AND l.rank = 0),
    batchtask.laststarted, batchtask.registered, batchtask.startcount, batchtask.dbtag,
    batchtask.context, batchtask.result, batchtask.state, batchtask.description,
    batchtask.response, batchtask.request, batchtask.progressdescription,
    batchtask.progresspercent, batchtask.filename,
    COALESCE((SELECT d.cancellation_behaviour FROM batchtaskdefinition d
        WHERE d.batchtaskdefinition_id = batchtask.batchtaskdefinition_id), 0),
    batchtask.updated, batchtask.batchtaskdefinition_id, batchtask.lease_owner,
    batchtask.lease_expires, batchtask.cancel_requested, batchtask.run_after,
    batchtask.releasecount

-- name: _held
-- A worker holds the task: claimed or running.
state IN ({Aquired}, {Started})
