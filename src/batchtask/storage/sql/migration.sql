-- The schema's own version table (migration.py).

-- name: create_version_table
CREATE TABLE IF NOT EXISTS batchtask_migration (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied TEXT NOT NULL)

-- name: applied
SELECT version FROM batchtask_migration ORDER BY version

-- name: record
INSERT INTO batchtask_migration (version, name, applied) VALUES (:version, :name, :applied)
