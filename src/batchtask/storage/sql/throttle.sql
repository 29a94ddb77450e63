-- Login-attempt counters shared by every API process (one row per throttle key).

-- name: ensure
-- Rows must exist to be locked; created empty ("no window yet") in key order, like the lock.
INSERT INTO login_failure (throttle_key, window_start, failures)
SELECT v, :epoch, 0 FROM ({text_rows:keys}) AS k WHERE true ORDER BY v
ON CONFLICT (throttle_key) DO NOTHING

-- name: read
SELECT throttle_key, window_start, failures, blocked_until, succeeded_at FROM login_failure
WHERE throttle_key {member:keys}

-- name: lock
-- In key order, so two changes never deadlock (row locks on PostgreSQL; SQLite's BEGIN IMMEDIATE
-- already holds the whole database).
SELECT throttle_key, window_start, failures, blocked_until, succeeded_at FROM login_failure
WHERE throttle_key {member:keys} ORDER BY throttle_key{for_update}

-- name: store
INSERT INTO login_failure (throttle_key, window_start, failures, blocked_until, succeeded_at)
VALUES (:key, :window_start, :attempts, :blocked_until, :succeeded_at)
ON CONFLICT (throttle_key) DO UPDATE SET window_start = excluded.window_start,
    failures = excluded.failures, blocked_until = excluded.blocked_until,
    succeeded_at = excluded.succeeded_at
