-- name: start
-- Aquired → Started and the events in one statement.
WITH started AS (
    UPDATE batchtask SET state = {Started}, laststarted = :now,
        lease_expires = {lease_until:lease}, updated = :now, progresspercent = 0,
        progressdescription = '', response = '', result = ''
    WHERE state = {Aquired} AND (batchtask_id, startcount) {pair_member:fences}
    RETURNING batchtask_id, startcount),
logged AS (
    INSERT INTO batchtask_event (batchtask_id, at, actor, from_state, to_state, startcount, reason)
    SELECT batchtask_id, :now, :actor, {Aquired}, {Started}, startcount, 'started' FROM started)
SELECT batchtask_id FROM started

-- name: conclude
-- Many ends in one statement: the held rows are locked and read (state before, stop request), the
-- decision is made on them, the rows change and the events are written from the same rows.
WITH i AS (
    SELECT * FROM jsonb_to_recordset(CAST(:ends AS jsonb)) AS x(id integer, sc integer,
        state integer, response text, result text, file_name text, percent integer,
        description text, run_after timestamp, released integer, reason text)),
held AS (
    SELECT t.batchtask_id, t.state AS before, t.startcount, i.state AS wanted,
        (t.cancel_requested IS NOT NULL
            AND i.state IN ({New}, {Succeeded}, {SucceededManualCleanup})) AS stopping,
        i.response, i.result, i.file_name, i.percent, i.description, i.run_after, i.released,
        i.reason
    FROM batchtask t JOIN i ON t.batchtask_id = i.id AND t.startcount = i.sc
    WHERE t.state IN ({Aquired}, {Started})
    FOR UPDATE OF t),
changed AS (
    UPDATE batchtask SET
        state = CASE WHEN h.stopping THEN {Failed} ELSE h.wanted END,
        response = CASE WHEN h.stopping THEN '[SR_BATCH_CANCELLED]'
            ELSE COALESCE(h.response, batchtask.response) END,
        result = COALESCE(h.result, batchtask.result),
        filename = COALESCE(h.file_name, batchtask.filename),
        progresspercent = COALESCE(h.percent, batchtask.progresspercent),
        progressdescription = COALESCE(h.description, batchtask.progressdescription),
        run_after = CASE WHEN h.wanted = {New} AND NOT h.stopping THEN h.run_after
            ELSE batchtask.run_after END,
        releasecount = batchtask.releasecount
            + CASE WHEN h.wanted = {New} AND NOT h.stopping THEN h.released ELSE 0 END,
        lease_owner = NULL, lease_expires = NULL, updated = :now
    FROM held h
    WHERE batchtask.batchtask_id = h.batchtask_id
    RETURNING batchtask.batchtask_id, batchtask.state, batchtask.isinternal, h.before,
        batchtask.startcount, CASE WHEN h.stopping THEN 'stopped' ELSE h.reason END AS why),
logged AS (
    INSERT INTO batchtask_event (batchtask_id, at, actor, from_state, to_state, startcount, reason)
    SELECT batchtask_id, :now, :actor, before, state, startcount, why FROM changed)
SELECT batchtask_id, state, isinternal FROM changed
