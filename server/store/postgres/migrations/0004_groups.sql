-- Forward-auth (issue 14): the groups users are in, which access rules may
-- require, and the access rules admins save (as the JSON text they wrote; a
-- --rules file given to the server wins over them).
CREATE TABLE user_groups (
	user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	name TEXT NOT NULL,
	PRIMARY KEY (user_id, name)
);
CREATE TABLE access_rules (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	rules TEXT NOT NULL,
	updated BIGINT NOT NULL,
	updated_by TEXT NOT NULL
);
