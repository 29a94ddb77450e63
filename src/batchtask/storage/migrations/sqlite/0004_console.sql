-- The console (SPEC §10): where each logged action came from, what workers run where, a change
-- log the live stream reads (one row per visible change of a task, written by triggers whatever
-- process or statement made the change), and indexes for the Tasks page, the stats and the
-- definition figures over many tasks.

ALTER TABLE batchtask_event ADD COLUMN source TEXT NOT NULL DEFAULT '';
ALTER TABLE batchtaskdefinition ADD COLUMN isolation TEXT NOT NULL DEFAULT '';

CREATE TABLE batchtask_worker (
    worker_id           TEXT    PRIMARY KEY,                 -- the lease owner name
    host                TEXT    NOT NULL,
    pid                 INTEGER NOT NULL,
    version             TEXT    NOT NULL,
    kind                TEXT    NOT NULL,                    -- embedded | standalone
    started             TEXT    NOT NULL,
    last_heartbeat      TEXT    NOT NULL,
    lease_seconds       REAL    NOT NULL,
    stopped             TEXT,                                -- set when it deregisters
    slots               INTEGER NOT NULL,
    busy                INTEGER NOT NULL DEFAULT 0,
    definitions         TEXT    NOT NULL DEFAULT '[]',       -- JSON array of names
    running             TEXT    NOT NULL DEFAULT '[]'        -- JSON array of task ids
);

CREATE TABLE batchtask_change (
    change_id               INTEGER PRIMARY KEY AUTOINCREMENT,
    batchtask_id            INTEGER NOT NULL,
    associate_id            INTEGER NOT NULL,
    batchtaskdefinition_id  INTEGER
);
CREATE TRIGGER batchtask_change_insert AFTER INSERT ON batchtask BEGIN INSERT INTO batchtask_change (batchtask_id, associate_id, batchtaskdefinition_id) VALUES (NEW.batchtask_id, NEW.registered_associate_id, NEW.batchtaskdefinition_id); END;
CREATE TRIGGER batchtask_change_update AFTER UPDATE ON batchtask WHEN OLD.state IS NOT NEW.state OR OLD.progresspercent IS NOT NEW.progresspercent OR OLD.progressdescription IS NOT NEW.progressdescription OR OLD.startcount IS NOT NEW.startcount OR OLD.description IS NOT NEW.description OR OLD.response IS NOT NEW.response OR OLD.request IS NOT NEW.request OR OLD.result IS NOT NEW.result OR OLD.filename IS NOT NEW.filename OR OLD.cancel_requested IS NOT NEW.cancel_requested BEGIN INSERT INTO batchtask_change (batchtask_id, associate_id, batchtaskdefinition_id) VALUES (NEW.batchtask_id, NEW.registered_associate_id, NEW.batchtaskdefinition_id); END;
CREATE TRIGGER batchtask_change_delete AFTER DELETE ON batchtask BEGIN INSERT INTO batchtask_change (batchtask_id, associate_id, batchtaskdefinition_id) VALUES (OLD.batchtask_id, OLD.registered_associate_id, OLD.batchtaskdefinition_id); END;

-- SQLite index entries end with the rowid (the task id), so "newest first" within a state, an
-- owner or a definition walks an index backwards without sorting.
CREATE INDEX batchtask_owner ON batchtask (registered_associate_id);
CREATE INDEX batchtask_definition ON batchtask (batchtaskdefinition_id);
-- Finished tasks by when they finished (definition figures of the last 24 hours).
CREATE INDEX batchtask_finished ON batchtask (updated) WHERE state IN (4, 5, 6);
-- Events by time (the stats series).
CREATE INDEX batchtask_event_at ON batchtask_event (at);
