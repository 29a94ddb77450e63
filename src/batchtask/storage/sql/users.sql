-- Users: SuperOffice associates; names are unique ignoring case (username_key is casefolded).

-- name: _user_columns
associate_id, username, display_name, role, active, password_hash

-- name: add
INSERT INTO associate (username, username_key, display_name, password_hash, role, active,
    registered, updated)
VALUES (:username, :key, :display_name, :password_hash, :role, :active, :now, :now)
RETURNING {_user_columns}

-- name: by_name
SELECT {_user_columns} FROM associate WHERE username_key = :key

-- name: by_id
SELECT {_user_columns} FROM associate WHERE associate_id = :associate_id

-- name: all
SELECT {_user_columns} FROM associate ORDER BY associate_id

-- name: set_password
UPDATE associate SET password_hash = :password_hash, updated = :now
WHERE associate_id = :associate_id

-- name: set_active
UPDATE associate SET active = :active, updated = :now WHERE associate_id = :associate_id

-- name: remove
DELETE FROM credential WHERE associate_id = :associate_id;
DELETE FROM associate WHERE associate_id = :associate_id
