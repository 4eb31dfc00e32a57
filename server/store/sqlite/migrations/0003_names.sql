-- "full" is a reserved word in PostgreSQL: both engines call the column complete.
ALTER TABLE sessions RENAME COLUMN full TO complete;
CREATE INDEX IF NOT EXISTS sessions_user ON sessions (user_id);
CREATE INDEX IF NOT EXISTS devices_user ON devices (user_id);
CREATE INDEX IF NOT EXISTS audit_at ON audit (at);
