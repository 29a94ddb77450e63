-- The tenant registry (tenant_catalogue.py), kept in the default tenant's database.

-- name: all
SELECT context_identifier, created FROM batchtask_tenant ORDER BY created, tenant_key

-- name: find
SELECT context_identifier, created FROM batchtask_tenant WHERE tenant_key = :key

-- name: add
INSERT INTO batchtask_tenant (tenant_key, context_identifier, created)
VALUES (:key, :context_identifier, :created)

-- name: remove
DELETE FROM batchtask_tenant WHERE tenant_key = :key
