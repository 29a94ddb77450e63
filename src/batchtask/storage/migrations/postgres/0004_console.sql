-- The console (SPEC §10): where each logged action came from, what workers run where, a change
-- log the live stream reads (one row per visible change of a task, written by a trigger whatever
-- process or statement made the change, and announced with NOTIFY at commit), and indexes for
-- the Tasks page, the stats and the definition figures over many tasks.

ALTER TABLE batchtask_event ADD COLUMN source TEXT NOT NULL DEFAULT '';
ALTER TABLE batchtaskdefinition ADD COLUMN isolation TEXT NOT NULL DEFAULT '';

CREATE TABLE batchtask_worker (
    worker_id           TEXT             PRIMARY KEY,        -- the lease owner name
    host                TEXT             NOT NULL,
    pid                 INTEGER          NOT NULL,
    version             TEXT             NOT NULL,
    kind                TEXT             NOT NULL,           -- embedded | standalone
    started             TIMESTAMP        NOT NULL,
    last_heartbeat      TIMESTAMP        NOT NULL,
    lease_seconds       DOUBLE PRECISION NOT NULL,
    stopped             TIMESTAMP,                           -- set when it deregisters
    slots               INTEGER          NOT NULL,
    busy                INTEGER          NOT NULL DEFAULT 0,
    definitions         TEXT             NOT NULL DEFAULT '[]',  -- JSON array of names
    running             TEXT             NOT NULL DEFAULT '[]'   -- JSON array of task ids
);

CREATE TABLE batchtask_change (
    change_id               BIGSERIAL PRIMARY KEY,
    batchtask_id            INTEGER   NOT NULL,
    associate_id            INTEGER   NOT NULL,
    batchtaskdefinition_id  INTEGER
);

-- One row per change; the NOTIFY payload is constant, so a transaction changing many tasks sends
-- one notification (PostgreSQL folds identical ones), delivered at commit.
CREATE FUNCTION batchtask_change_log() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF TG_OP = 'DELETE' THEN INSERT INTO batchtask_change (batchtask_id, associate_id, batchtaskdefinition_id) VALUES (OLD.batchtask_id, OLD.registered_associate_id, OLD.batchtaskdefinition_id); ELSE INSERT INTO batchtask_change (batchtask_id, associate_id, batchtaskdefinition_id) VALUES (NEW.batchtask_id, NEW.registered_associate_id, NEW.batchtaskdefinition_id); END IF; PERFORM pg_notify('batchtask_change', ''); RETURN NULL; END $$;
CREATE TRIGGER batchtask_change_insert AFTER INSERT OR DELETE ON batchtask FOR EACH ROW EXECUTE FUNCTION batchtask_change_log();
CREATE TRIGGER batchtask_change_update AFTER UPDATE ON batchtask FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state OR OLD.progresspercent IS DISTINCT FROM NEW.progresspercent OR OLD.progressdescription IS DISTINCT FROM NEW.progressdescription OR OLD.startcount IS DISTINCT FROM NEW.startcount OR OLD.description IS DISTINCT FROM NEW.description OR OLD.response IS DISTINCT FROM NEW.response OR OLD.request IS DISTINCT FROM NEW.request OR OLD.result IS DISTINCT FROM NEW.result OR OLD.filename IS DISTINCT FROM NEW.filename OR OLD.cancel_requested IS DISTINCT FROM NEW.cancel_requested) EXECUTE FUNCTION batchtask_change_log();

-- "Newest first" within a state, an owner or a definition, without sorting.
CREATE INDEX batchtask_state_id ON batchtask (state, batchtask_id);
CREATE INDEX batchtask_owner_id ON batchtask (registered_associate_id, batchtask_id);
CREATE INDEX batchtask_definition_id ON batchtask (batchtaskdefinition_id, batchtask_id);
-- Finished tasks by when they finished (definition figures of the last 24 hours).
CREATE INDEX batchtask_finished ON batchtask (updated) WHERE state IN (4, 5, 6);
-- Events by time (the stats series).
CREATE INDEX batchtask_event_at ON batchtask_event (at);
