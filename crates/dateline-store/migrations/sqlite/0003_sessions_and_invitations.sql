-- Admin sessions, invitations, deactivated accounts and login throttling. Keep in step with
-- ../postgres/0003_sessions_and_invitations.sql.

ALTER TABLE users ADD COLUMN deactivated_at BIGINT;
ALTER TABLE users ADD COLUMN avatar_media_id BIGINT REFERENCES media(id) ON DELETE SET NULL;

-- A signed-in browser. The cookie holds a random token; only its hash is stored. The CSRF
-- token is per session and is put in every form, so it is stored as it is.
CREATE TABLE sessions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash   TEXT NOT NULL UNIQUE,
    user_id      BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_token   TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    revoked_at   BIGINT,
    user_agent   TEXT,
    ip_hash      TEXT
);
CREATE INDEX sessions_user ON sessions(user_id, revoked_at);

-- A one-time link that lets someone create an account with a given role.
CREATE TABLE invitations (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash  TEXT NOT NULL UNIQUE,
    role        TEXT NOT NULL,
    invited_by  BIGINT REFERENCES users(id) ON DELETE SET NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    accepted_at BIGINT,
    accepted_by BIGINT REFERENCES users(id) ON DELETE SET NULL
);

-- Failed logins per account and per address, shared by every process.
CREATE TABLE login_failures (
    key             TEXT PRIMARY KEY,
    failures        INTEGER NOT NULL,
    last_failure_at BIGINT NOT NULL
);
