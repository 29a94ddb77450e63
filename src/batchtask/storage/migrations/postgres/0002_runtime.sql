-- The runtime (SPEC §8): attempts handed back by a shutting-down worker do not use up the retry
-- budget, claims walk waiting tasks in id order, and the database itself pushes wake-ups and stop
-- requests to workers with NOTIFY, whichever process or statement changed the row.

ALTER TABLE batchtask ADD COLUMN releasecount INTEGER NOT NULL DEFAULT 0;
CREATE INDEX batchtask_claim_order ON batchtask (batchtask_id) WHERE state = 1;

-- Channel in TG_ARGV[0]; payload is the task id. Delivered at commit, never for a rolled-back change.
CREATE FUNCTION batchtask_notify() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_notify(TG_ARGV[0], CASE WHEN TG_OP = 'DELETE' THEN OLD.batchtask_id ELSE NEW.batchtask_id END::text); RETURN NULL; END $$;

-- New work: a task inserted as New, or put back to New (retry, release, reaper, PUT).
CREATE TRIGGER batchtask_wake_insert AFTER INSERT ON batchtask FOR EACH ROW
    WHEN (NEW.state = 1) EXECUTE FUNCTION batchtask_notify('batchtask_new');
CREATE TRIGGER batchtask_wake_update AFTER UPDATE OF state ON batchtask FOR EACH ROW
    WHEN (NEW.state = 1 AND OLD.state <> 1) EXECUTE FUNCTION batchtask_notify('batchtask_new');

-- The holder of a lease must look again: a Stop was requested, or someone other than the holder
-- (who clears lease_owner when it finishes) moved the task out of Aquired/Started or deleted it.
CREATE TRIGGER batchtask_cancel_update AFTER UPDATE ON batchtask FOR EACH ROW
    WHEN (OLD.state IN (2, 3) AND NEW.lease_owner IS NOT NULL AND (NEW.state NOT IN (2, 3) OR NEW.startcount <> OLD.startcount OR (OLD.cancel_requested IS NULL AND NEW.cancel_requested IS NOT NULL)))
    EXECUTE FUNCTION batchtask_notify('batchtask_cancel');
CREATE TRIGGER batchtask_cancel_delete AFTER DELETE ON batchtask FOR EACH ROW
    WHEN (OLD.state IN (2, 3)) EXECUTE FUNCTION batchtask_notify('batchtask_cancel');
