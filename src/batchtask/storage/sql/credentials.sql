-- Tickets, tokens and sessions: only the hash of a secret is stored.

-- name: issue
INSERT INTO credential (kind, secret_hash, associate_id, grant_id, created, expires_at,
    sliding_seconds, xsrf_hash, app_hash)
VALUES (:kind, :secret_hash, :associate_id, :grant, :now, :expires_at, :sliding_seconds,
    :xsrf_hash, :app_hash)
RETURNING credential_id

-- name: lookup
-- The credential and its active user in one read (the authentication hot path).
SELECT c.credential_id, c.kind, c.associate_id, c.grant_id, c.created, c.expires_at,
    c.sliding_seconds, c.xsrf_hash, c.app_hash,
    a.associate_id, a.username, a.display_name, a.role, a.active, a.password_hash
FROM credential c JOIN associate a ON a.associate_id = c.associate_id
WHERE c.secret_hash = :secret_hash AND c.kind = :kind AND c.expires_at > :now AND a.active = :active

-- name: extend
-- Sliding expiry moves forward only.
UPDATE credential SET expires_at = :expires_at WHERE credential_id = :credential_id AND expires_at < :expires_at

-- name: revoke_grant
DELETE FROM credential WHERE grant_id = :grant

-- name: revoke_user
DELETE FROM credential WHERE associate_id = :associate_id
