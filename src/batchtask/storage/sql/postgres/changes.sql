-- name: horizon
-- Change numbers come from a sequence: a lower one may still commit after a higher one.
SELECT pg_snapshot_xmin(s)::text, pg_snapshot_xmax(s)::text FROM pg_current_snapshot() AS s
