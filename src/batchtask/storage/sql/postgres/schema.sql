-- PostgreSQL's catalogue: the tables of the current schema (the tenant's, through search_path).

-- name: tables
SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename

-- name: references
SELECT conrelid::regclass::text AS child, confrelid::regclass::text AS parent
FROM pg_constraint
WHERE contype = 'f' AND connamespace = current_schema()::regnamespace

-- name: restart_ids
SELECT setval(s.seq, 1, false)
FROM (
    SELECT pg_get_serial_sequence(quote_ident(c.table_name), c.column_name) AS seq
    FROM information_schema.columns AS c
    WHERE c.table_schema = current_schema() AND CAST(c.table_name AS text) {member:tables}
) AS s
WHERE s.seq IS NOT NULL
