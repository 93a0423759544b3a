-- The operators' dashboard: its users and their sessions. Unlike the projected tables these
-- are not a function of the log: they hold access control, and their times are wall clock.

-- Passwords are stored only as scrypt hashes (scrypt$N$r$p$salt$hash, see
-- streams/dashboard/auth.py). A region operator has no county; a county operator has one.
CREATE TABLE dashboard_users (
    username       text PRIMARY KEY CHECK (username ~ '^[a-z0-9][a-z0-9_.-]{0,62}$'),
    password_hash  text        NOT NULL CHECK (password_hash LIKE 'scrypt$%'),
    role           text        NOT NULL CHECK (role IN ('region', 'county')),
    county         text CHECK (county ~ '^[0-9]{6}$'),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CHECK ((role = 'region') = (county IS NULL))
);

-- Only the SHA-256 of a session token is kept: a copy of this table signs no one in.
CREATE TABLE dashboard_sessions (
    token_hash  text PRIMARY KEY CHECK (token_hash ~ '^[0-9a-f]{64}$'),
    username    text        NOT NULL REFERENCES dashboard_users ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL
);
CREATE INDEX dashboard_sessions_user_idx ON dashboard_sessions (username);
CREATE INDEX dashboard_sessions_expiry_idx ON dashboard_sessions (expires_at);

-- Reads of personal data through the dashboard go to audit_log (0002_audit.sql), written
-- with infra.projection.reads.audited in the same transaction as the read.
