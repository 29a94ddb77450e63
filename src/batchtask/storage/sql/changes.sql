-- The change log the live stream reads (change_feed.py), appended to by the triggers of 0004.

-- name: read
-- Each change with the task's current row; a deleted task has none (its name from the definition
-- the change row remembers).
SELECT c.change_id, c.batchtask_id, c.associate_id, COALESCE(d.name, ''), t.state,
    t.progresspercent, t.progressdescription, t.startcount
FROM batchtask_change c
LEFT JOIN batchtask t ON t.batchtask_id = c.batchtask_id
LEFT JOIN batchtaskdefinition d
    ON d.batchtaskdefinition_id = COALESCE(t.batchtaskdefinition_id, c.batchtaskdefinition_id)
WHERE c.change_id > :after ORDER BY c.change_id LIMIT :limit

-- name: horizon
-- (oldest running, first unassigned) transaction of the snapshot, when a page skips a number.
-- SQLite writers commit in number order: nothing can fill a gap, both are 0.
SELECT 0, 0

-- name: latest
SELECT MAX(change_id) FROM batchtask_change

-- name: oldest
SELECT MIN(change_id) FROM batchtask_change

-- name: prune
DELETE FROM batchtask_change WHERE change_id <= :through
