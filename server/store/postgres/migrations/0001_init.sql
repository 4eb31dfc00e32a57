-- The schema, as SQLite's migrations leave it (timestamps in Unix seconds).
CREATE TABLE users (
	id BIGSERIAL PRIMARY KEY,
	name TEXT NOT NULL UNIQUE,
	email TEXT NOT NULL DEFAULT '',
	password_hash TEXT NOT NULL,
	admin BOOLEAN NOT NULL DEFAULT false,
	mfa BOOLEAN NOT NULL DEFAULT false,
	secret_enc BYTEA,
	last_step BIGINT NOT NULL DEFAULT -1,
	pending_enc BYTEA,
	pending_expires BIGINT NOT NULL DEFAULT 0,
	pending_session TEXT NOT NULL DEFAULT '',
	created BIGINT NOT NULL
);
CREATE TABLE backup_codes (
	user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	hash TEXT NOT NULL,
	used BOOLEAN NOT NULL DEFAULT false,
	PRIMARY KEY (user_id, hash)
);
CREATE TABLE sessions (
	hash TEXT PRIMARY KEY,
	user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	complete BOOLEAN NOT NULL DEFAULT false,
	expires BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE TABLE devices (
	hash TEXT PRIMARY KEY,
	user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	expires BIGINT NOT NULL
);
CREATE INDEX devices_user ON devices (user_id);
CREATE TABLE app_tokens (
	name TEXT PRIMARY KEY,
	hash TEXT NOT NULL UNIQUE,
	created BIGINT NOT NULL
);
CREATE TABLE audit (
	id BIGSERIAL PRIMARY KEY,
	at BIGINT NOT NULL,
	user_id BIGINT,
	event TEXT NOT NULL,
	addr TEXT NOT NULL DEFAULT '',
	detail TEXT NOT NULL DEFAULT '',
	count BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX audit_at ON audit (at);
CREATE TABLE attempts (
	key BIGINT PRIMARY KEY,
	failures INTEGER NOT NULL,
	last_failure BIGINT NOT NULL
);
