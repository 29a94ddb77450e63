-- name: claim
-- The claim, its events and the claimed tasks in one statement (one round trip).
{_picked},
claimed AS (
    UPDATE batchtask SET state = {Aquired}, startcount = startcount + 1, lease_owner = :owner,
        lease_expires = {lease_until:lease}, cancel_requested = NULL, updated = :now
    WHERE batchtask_id IN (SELECT batchtask_id FROM picked) AND state = {New}
    RETURNING {_returned_task}),
logged AS (
    INSERT INTO batchtask_event (batchtask_id, at, actor, from_state, to_state, startcount, reason)
    SELECT batchtask_id, :now, :actor, {New}, {Aquired}, startcount, 'claimed' FROM claimed)
SELECT * FROM claimed
