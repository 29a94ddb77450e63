-- Emptying a tenant's database (schema_reset.py). The tables and their foreign keys are read from
-- the engine's own catalogue, so a table a later migration adds is emptied too.

-- name: tables
SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name

-- name: references
SELECT m.name AS child, f."table" AS parent
FROM sqlite_master AS m, pragma_foreign_key_list(m.name) AS f
WHERE m.type = 'table'

-- name: restart_ids
DELETE FROM sqlite_sequence WHERE name {member:tables}
