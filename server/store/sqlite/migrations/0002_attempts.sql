-- The attempt budget keyed by the MAC of the name typed, known or not, so that a
-- name that does not exist is refused exactly like one that does; a streak of
-- failures ends after the lockout time without one.
CREATE TABLE attempts (
	key INTEGER PRIMARY KEY,
	failures INTEGER NOT NULL,
	last_failure INTEGER NOT NULL
);
ALTER TABLE users DROP COLUMN failures;
ALTER TABLE users DROP COLUMN last_failure;
-- A pending enrollment belongs to the session that started it.
ALTER TABLE users ADD COLUMN pending_session TEXT NOT NULL DEFAULT '';
-- Refused requests are audited in aggregate: one row per minute, address, account
-- and kind, with how many.
ALTER TABLE audit ADD COLUMN count INTEGER NOT NULL DEFAULT 1;
