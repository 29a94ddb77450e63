-- ParameterObjects: a BinaryObject (UTF-8 JSON) linked to its task (parameter_blobs.py).

-- name: delete_of_tasks
-- Deleting the blob deletes its link (ON DELETE CASCADE).
DELETE FROM binaryobject WHERE binaryobject_id IN (
    SELECT binaryobjectid FROM binaryobjectlink
    WHERE ownertable = {BATCH_TASK_TABLE} AND linktype = {BLOB_LINK_BATCH_TASK}
        AND ownerrecord {member:task_ids})
