-- Team administration: the policy and settings admins save, accounts disabled,
-- when users enrolled and last signed in, their language; invitations, lost-phone
-- reset requests, and the outbox of mails, written in the same transaction as the
-- change that causes them.
ALTER TABLE users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN enrolled_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN last_sign_in INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN lang TEXT NOT NULL DEFAULT '';
UPDATE users SET enrolled_at = created WHERE mfa = 1;
CREATE TABLE policy (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	require_2fa INTEGER NOT NULL,
	deadline INTEGER NOT NULL,
	max_attempts INTEGER NOT NULL,
	lockout_seconds INTEGER NOT NULL,
	skew INTEGER NOT NULL,
	remember_days INTEGER NOT NULL,
	backup_codes INTEGER NOT NULL,
	updated INTEGER NOT NULL,
	updated_by TEXT NOT NULL
);
CREATE TABLE invites (
	hash TEXT PRIMARY KEY,
	user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	created INTEGER NOT NULL,
	expires INTEGER NOT NULL,
	used INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE resets (
	id INTEGER PRIMARY KEY,
	user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	reason TEXT NOT NULL,
	requested_at INTEGER NOT NULL,
	state TEXT NOT NULL DEFAULT 'pending',
	decided_by TEXT NOT NULL DEFAULT '',
	decided_at INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE outbox (
	id INTEGER PRIMARY KEY,
	key TEXT UNIQUE,
	to_addr TEXT NOT NULL,
	subject TEXT NOT NULL,
	body TEXT NOT NULL,
	created INTEGER NOT NULL,
	attempts INTEGER NOT NULL DEFAULT 0,
	next_try INTEGER NOT NULL,
	sent_at INTEGER NOT NULL DEFAULT 0,
	last_error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX outbox_due ON outbox (sent_at, next_try);
CREATE INDEX audit_user ON audit (user_id);
