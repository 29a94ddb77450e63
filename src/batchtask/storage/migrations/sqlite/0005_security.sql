-- Security (issue 11). The login throttle reserves an attempt before hashing (``failures`` now
-- counts reserved attempts that did not succeed) and remembers, per (user, address) pair, when
-- that address last logged in: a known address is not subject to the per-user rate.

ALTER TABLE login_failure ADD COLUMN succeeded_at TEXT;
