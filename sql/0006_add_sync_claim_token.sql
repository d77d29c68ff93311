-- The token of the claim a pusher holds on a ledger row (DESIGN §7): set with sync_claimed_until when a row is claimed,
-- NULL when the claim is released. A pusher records its outcome only while the row still carries its own token, so a
-- pusher whose lease lapsed and was taken over can never overwrite what the next pusher recorded.
ALTER TABLE tn_payments ADD COLUMN IF NOT EXISTS sync_claim_token BIGINT NULL AFTER sync_claimed_until;
