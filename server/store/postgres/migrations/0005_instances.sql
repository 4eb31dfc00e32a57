-- Several instances on one database behave as one (issue 14). (IF NOT EXISTS and
-- OR REPLACE: numbered after the forward-auth's 0004, written at the same time.)

-- The failures of each client address, shared by every server: keyed by 64 bits
-- of the address's MAC (no address is kept), in a window from the first attempt.
CREATE TABLE IF NOT EXISTS addr_limits (
	key BIGINT PRIMARY KEY,
	failures INTEGER NOT NULL,
	inflight INTEGER NOT NULL,
	since BIGINT NOT NULL
);

-- Turns that one server takes for all: the periodic sweep's, until a time.
CREATE TABLE IF NOT EXISTS leases (
	name TEXT PRIMARY KEY,
	until BIGINT NOT NULL
);

-- Word of the changes that servers cache, sent when they commit: NOTIFY
-- ward_changes 'schema.table' (the schema, so that databases sharing a cluster
-- by schema hear only their own). The policy and the access rules admins save on
-- any change; users when what a check reads of them changes (never on the hot
-- path's last_step or last sign-in).
CREATE OR REPLACE FUNCTION ward_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('ward_changes', TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME);
	RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS policy_changed ON policy;
CREATE TRIGGER policy_changed AFTER INSERT OR UPDATE OR DELETE ON policy
	FOR EACH STATEMENT EXECUTE FUNCTION ward_changed();
DROP TRIGGER IF EXISTS users_changed ON users;
CREATE TRIGGER users_changed AFTER UPDATE OF admin, disabled, mfa, secret_enc OR DELETE ON users
	FOR EACH STATEMENT EXECUTE FUNCTION ward_changed();
DROP TRIGGER IF EXISTS access_rules_changed ON access_rules;
CREATE TRIGGER access_rules_changed AFTER INSERT OR UPDATE OR DELETE ON access_rules
	FOR EACH STATEMENT EXECUTE FUNCTION ward_changed();
