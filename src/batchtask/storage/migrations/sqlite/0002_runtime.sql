-- The runtime (SPEC §8): attempts handed back by a shutting-down worker do not use up the retry
-- budget, and claims walk waiting tasks in id order.

ALTER TABLE batchtask ADD COLUMN releasecount INTEGER NOT NULL DEFAULT 0;
CREATE INDEX batchtask_claim_order ON batchtask (batchtask_id) WHERE state = 1;
