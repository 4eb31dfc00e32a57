-- Team administration: the policy and settings admins save, accounts disabled,
-- when users enrolled and last signed in, their language; invitations, lost-phone
-- reset requests, and the outbox of mails, written in the same transaction as the
-- change that causes them.
ALTER TABLE users ADD COLUMN disabled BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE users ADD COLUMN enrolled_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN last_sign_in BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN lang TEXT NOT NULL DEFAULT '';
UPDATE users SET enrolled_at = created WHERE mfa;
CREATE TABLE policy (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	require_2fa BOOLEAN NOT NULL,
	deadline BIGINT NOT NULL,
	max_attempts INTEGER NOT NULL,
	lockout_seconds BIGINT NOT NULL,
	skew INTEGER NOT NULL,
	remember_days INTEGER NOT NULL,
	backup_codes INTEGER NOT NULL,
	updated BIGINT NOT NULL,
	updated_by TEXT NOT NULL
);
CREATE TABLE invites (
	hash TEXT PRIMARY KEY,
	user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	created BIGINT NOT NULL,
	expires BIGINT NOT NULL,
	used BOOLEAN NOT NULL DEFAULT false
);
CREATE TABLE resets (
	id BIGSERIAL PRIMARY KEY,
	user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	reason TEXT NOT NULL,
	requested_at BIGINT NOT NULL,
	state TEXT NOT NULL DEFAULT 'pending',
	decided_by TEXT NOT NULL DEFAULT '',
	decided_at BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE outbox (
	id BIGSERIAL PRIMARY KEY,
	key TEXT UNIQUE,
	to_addr TEXT NOT NULL,
	subject TEXT NOT NULL,
	body TEXT NOT NULL,
	created BIGINT NOT NULL,
	attempts INTEGER NOT NULL DEFAULT 0,
	next_try BIGINT NOT NULL,
	sent_at BIGINT NOT NULL DEFAULT 0,
	last_error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX outbox_due ON outbox (sent_at, next_try);
CREATE INDEX audit_user ON audit (user_id);
