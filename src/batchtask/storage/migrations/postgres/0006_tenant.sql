-- Tenants (SPEC §11.1): the ContextIdentifiers this server holds beside the default one. Only the
-- default tenant's schema uses this table; every other tenant's rows live in a schema of its own
-- (``tenant_<key>``, reached through search_path), so nothing of the existing data moves: it is
-- the default tenant's.

CREATE TABLE batchtask_tenant (
    tenant_key          TEXT        PRIMARY KEY,             -- lower-case ContextIdentifier
    context_identifier  TEXT        NOT NULL,                -- as created (canonical spelling)
    created             TIMESTAMP   NOT NULL
);
