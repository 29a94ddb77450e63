-- Tenants (SPEC §11.1): the ContextIdentifiers this server holds beside the default one. Only the
-- default tenant's database uses this table; every other tenant's rows live in a database of its
-- own (a file beside this one), so nothing of the existing data moves: it is the default tenant's.

CREATE TABLE batchtask_tenant (
    tenant_key          TEXT    PRIMARY KEY,                 -- lower-case ContextIdentifier
    context_identifier  TEXT    NOT NULL,                    -- as created (canonical spelling)
    created             TEXT    NOT NULL
);
