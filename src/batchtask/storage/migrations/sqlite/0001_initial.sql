-- The whole schema of SPEC §9. Times are UTC, stored as 'YYYY-MM-DD HH:MM:SS.ffffff' text so
-- they compare correctly as strings.

CREATE TABLE associate (
    associate_id        INTEGER PRIMARY KEY AUTOINCREMENT,
    username            TEXT    NOT NULL,
    username_key        TEXT    NOT NULL UNIQUE,          -- casefolded username
    display_name        TEXT    NOT NULL DEFAULT '',
    password_hash       TEXT    NOT NULL,
    role                TEXT    NOT NULL CHECK (role IN ('admin', 'user')),
    active              INTEGER NOT NULL DEFAULT 1,
    registered          TEXT    NOT NULL,
    updated             TEXT    NOT NULL
);

CREATE TABLE credential (
    credential_id       INTEGER PRIMARY KEY AUTOINCREMENT,
    kind                TEXT    NOT NULL CHECK (kind IN ('ticket', 'token', 'session')),
    secret_hash         TEXT    NOT NULL UNIQUE,
    associate_id        INTEGER NOT NULL REFERENCES associate (associate_id) ON DELETE CASCADE,
    grant_id            TEXT    NOT NULL,
    created             TEXT    NOT NULL,
    expires_at          TEXT    NOT NULL,
    sliding_seconds     INTEGER NOT NULL DEFAULT 0,
    xsrf_hash           TEXT,
    app_hash            TEXT
);
CREATE INDEX credential_grant ON credential (grant_id);
CREATE INDEX credential_associate ON credential (associate_id);
CREATE INDEX credential_expires ON credential (expires_at);

CREATE TABLE login_failure (
    throttle_key        TEXT    PRIMARY KEY,
    window_start        TEXT    NOT NULL,
    failures            INTEGER NOT NULL,
    blocked_until       TEXT
);

CREATE TABLE batchtaskdefinition (
    batchtaskdefinition_id  INTEGER PRIMARY KEY AUTOINCREMENT,
    name                    TEXT    NOT NULL,
    name_key                TEXT    NOT NULL UNIQUE,      -- casefolded name
    description             TEXT    NOT NULL DEFAULT '',
    ismultipass             INTEGER NOT NULL DEFAULT 0,
    startinterval           INTEGER NOT NULL DEFAULT 0,
    minimumsleeptime        INTEGER NOT NULL DEFAULT 0,
    timeout                 INTEGER NOT NULL DEFAULT 0,   -- seconds, 0 = none
    autorestartcount        INTEGER NOT NULL DEFAULT 0,   -- retries after the first start
    backoff_seconds         REAL    NOT NULL DEFAULT 1.0,
    cancellation_behaviour  INTEGER NOT NULL DEFAULT 0,
    assemblyversion         TEXT    NOT NULL DEFAULT '',
    registered              TEXT    NOT NULL,
    registered_associate_id INTEGER NOT NULL DEFAULT 0,
    updated                 TEXT    NOT NULL,
    updated_associate_id    INTEGER NOT NULL DEFAULT 0,
    updatedcount            INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE batchtask (
    batchtask_id            INTEGER PRIMARY KEY AUTOINCREMENT,
    batchtaskdefinition_id  INTEGER REFERENCES batchtaskdefinition (batchtaskdefinition_id),
    description             TEXT    NOT NULL DEFAULT '',
    dbtag                   TEXT    NOT NULL DEFAULT '',
    state                   INTEGER NOT NULL,
    detailstable            INTEGER NOT NULL DEFAULT 0,
    detailsrecord           INTEGER NOT NULL DEFAULT 0,
    request                 TEXT    NOT NULL DEFAULT '',
    response                TEXT    NOT NULL DEFAULT '',
    startcount              INTEGER NOT NULL DEFAULT 0,
    laststarted             TEXT,
    progresspercent         INTEGER NOT NULL DEFAULT 0,
    progressdescription     TEXT    NOT NULL DEFAULT '',
    registered              TEXT    NOT NULL,
    registered_associate_id INTEGER NOT NULL DEFAULT 0,
    updated                 TEXT    NOT NULL,             -- heartbeat
    updated_associate_id    INTEGER NOT NULL DEFAULT 0,
    updatedcount            INTEGER NOT NULL DEFAULT 0,
    filename                TEXT    NOT NULL DEFAULT '',
    context                 TEXT    NOT NULL DEFAULT '',
    result                  TEXT    NOT NULL DEFAULT '',
    isinternal              INTEGER NOT NULL DEFAULT 0,
    lease_owner             TEXT,
    lease_expires           TEXT,
    cancel_requested        TEXT,
    run_after               TEXT
);
CREATE INDEX batchtask_state ON batchtask (state);
CREATE INDEX batchtask_definition_state ON batchtask (batchtaskdefinition_id, state);
CREATE INDEX batchtask_owner_state ON batchtask (registered_associate_id, state);
CREATE INDEX batchtask_claim ON batchtask (run_after, batchtask_id) WHERE state = 1;
CREATE INDEX batchtask_lease ON batchtask (lease_expires) WHERE state IN (2, 3);

CREATE TABLE binaryobject (
    binaryobject_id         INTEGER PRIMARY KEY AUTOINCREMENT,
    conceptualtype          TEXT    NOT NULL DEFAULT '',
    mimetype                TEXT,
    description             TEXT,
    originalsize            INTEGER NOT NULL DEFAULT 0,
    blobsize                INTEGER NOT NULL DEFAULT 0,
    iszipped                INTEGER NOT NULL DEFAULT 0,
    isencrypted             INTEGER NOT NULL DEFAULT 0,
    extrainfo               TEXT,
    binarydata              BLOB,
    registered              TEXT    NOT NULL,
    registered_associate_id INTEGER NOT NULL DEFAULT 0,
    updated                 TEXT    NOT NULL,
    updated_associate_id    INTEGER NOT NULL DEFAULT 0,
    updatedcount            INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE binaryobjectlink (
    binaryobjectlink_id     INTEGER PRIMARY KEY AUTOINCREMENT,
    binaryobjectid          INTEGER NOT NULL REFERENCES binaryobject (binaryobject_id) ON DELETE CASCADE,
    ownertable              INTEGER NOT NULL,
    ownerrecord             INTEGER NOT NULL,
    linkcomment             TEXT,
    linktype                INTEGER NOT NULL,
    rank                    INTEGER NOT NULL DEFAULT 0,
    registered              TEXT    NOT NULL,
    registered_associate_id INTEGER NOT NULL DEFAULT 0,
    updated                 TEXT    NOT NULL,
    updated_associate_id    INTEGER NOT NULL DEFAULT 0,
    updatedcount            INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX binaryobjectlink_owner ON binaryobjectlink (ownertable, ownerrecord, linktype, rank);

CREATE TABLE batchtask_event (
    event_id                INTEGER PRIMARY KEY AUTOINCREMENT,
    batchtask_id            INTEGER NOT NULL,             -- no FK: history outlives the task
    at                      TEXT    NOT NULL,
    actor                   TEXT    NOT NULL,
    from_state              INTEGER,
    to_state                INTEGER NOT NULL,
    startcount              INTEGER NOT NULL,
    reason                  TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX batchtask_event_task ON batchtask_event (batchtask_id, event_id);
-- A task is claimed at most once per attempt: the database itself refuses a second claim.
CREATE UNIQUE INDEX batchtask_event_claim ON batchtask_event (batchtask_id, startcount) WHERE to_state = 2;
