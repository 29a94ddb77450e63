-- ParameterObjects: a BinaryObject (UTF-8 JSON) linked to its task (parameter_blobs.py).

-- name: insert_blob
INSERT INTO binaryobject (conceptualtype, mimetype, originalsize, blobsize, binarydata,
    registered, registered_associate_id, updated)
VALUES ('StringDictionary', 'application/json', :size, :size, :data, :now, :associate_id, :now)
RETURNING binaryobject_id

-- name: insert_link
INSERT INTO binaryobjectlink (binaryobjectid, ownertable, ownerrecord, linktype, rank,
    registered, registered_associate_id, updated)
VALUES (:blob_id, {BATCH_TASK_TABLE}, :task_id, {BLOB_LINK_BATCH_TASK}, 0, :now, :associate_id, :now)

-- name: delete_of_tasks
-- Deleting the blob deletes its link (ON DELETE CASCADE).
DELETE FROM binaryobject WHERE binaryobject_id IN (
    SELECT binaryobjectid FROM binaryobjectlink
    WHERE ownertable = {BATCH_TASK_TABLE} AND linktype = {BLOB_LINK_BATCH_TASK}
        AND ownerrecord {member:task_ids})
