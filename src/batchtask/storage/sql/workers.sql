-- The worker registry: one row per worker process (worker_repository.py). The lists of definition
-- names and running task ids are small JSON arrays, written and read whole.

-- name: _columns
worker_id, host, pid, version, kind, started, last_heartbeat, lease_seconds, slots, busy,
    definitions, running, stopped

-- name: register
-- A restart under the same name starts afresh.
INSERT INTO batchtask_worker ({_columns})
VALUES (:worker_id, :host, :pid, :version, :kind, :started, :last_heartbeat, :lease_seconds,
    :slots, :busy, :definitions, :running, :stopped)
ON CONFLICT (worker_id) DO UPDATE SET host = excluded.host, pid = excluded.pid,
    version = excluded.version, kind = excluded.kind, started = excluded.started,
    last_heartbeat = excluded.last_heartbeat, lease_seconds = excluded.lease_seconds,
    slots = excluded.slots, busy = excluded.busy, definitions = excluded.definitions,
    running = excluded.running, stopped = excluded.stopped

-- name: beat
UPDATE batchtask_worker SET last_heartbeat = :now, busy = :busy, running = :running
WHERE worker_id = :worker_id

-- name: deregister
UPDATE batchtask_worker SET stopped = :now, last_heartbeat = :now, busy = 0, running = '[]'
WHERE worker_id = :worker_id

-- name: all
SELECT {_columns} FROM batchtask_worker ORDER BY started, worker_id

-- name: forget
DELETE FROM batchtask_worker WHERE last_heartbeat < :before
