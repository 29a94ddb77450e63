-- Claims: due New tasks of the definitions a worker knows, compare-and-swapped to Aquired, many
-- per statement, oldest first, no owner beyond its share of the claimer's slots.

-- name: probe
-- A plain read before the write lock (single-writer engines): idle pollers never block writers.
SELECT 1 FROM batchtask
WHERE state = {New} AND batchtaskdefinition_id {member:definitions}
    AND (run_after IS NULL OR run_after <= :now)
LIMIT 1

-- name: _picked
-- The tasks a claim takes. Candidates: the oldest :scan due tasks of owners with room left (SKIP
-- LOCKED on PostgreSQL: claimers never wait for each other). Of those, each owner gets at most its
-- room (:rooms pairs [owner, room]; :room for an owner the claimer holds nothing of), oldest
-- first, :limit in all.
WITH candidates AS (
    SELECT batchtask_id, registered_associate_id AS owner FROM batchtask
    WHERE state = {New} AND batchtaskdefinition_id {member:definitions}
        AND (run_after IS NULL OR run_after <= :now)
        AND NOT (registered_associate_id {member:full})
    ORDER BY batchtask_id LIMIT :scan{skip_locked}),
ranked AS (
    SELECT c.batchtask_id, COALESCE(r.b, :room) AS room,
        ROW_NUMBER() OVER (PARTITION BY c.owner ORDER BY c.batchtask_id) AS n
    FROM candidates c LEFT JOIN ({pair_rows:rooms}) r ON r.a = c.owner),
picked AS (SELECT batchtask_id FROM ranked WHERE n <= room ORDER BY batchtask_id LIMIT :limit)

-- name: claim
-- Two statements in one transaction: the claim events first (the unique claim index refuses a
-- second claim of one attempt and so the whole claim), then the compare-and-swap, which returns
-- the claimed tasks whole. PostgreSQL does both in one statement (sql/postgres/claims.sql).
{_picked}
INSERT INTO batchtask_event (batchtask_id, at, actor, from_state, to_state, startcount, reason)
SELECT batchtask_id, :now, :actor, {New}, {Aquired}, startcount + 1, 'claimed' FROM batchtask
WHERE batchtask_id IN (SELECT batchtask_id FROM picked) AND state = {New};
{_picked}
UPDATE batchtask SET state = {Aquired}, startcount = startcount + 1, lease_owner = :owner,
    lease_expires = {lease_until:lease}, cancel_requested = NULL, updated = :now
WHERE batchtask_id IN (SELECT batchtask_id FROM picked) AND state = {New}
RETURNING {_returned_task}
