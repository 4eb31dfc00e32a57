-- Turns that one server takes for all (issue 14): the periodic sweep's, until
-- the time it holds it. One file has one server, but the rule is the same as on
-- PostgreSQL's, and costs one row. (IF NOT EXISTS: numbered after the
-- forward-auth's 0007, written at the same time.)
CREATE TABLE IF NOT EXISTS leases (
	name TEXT PRIMARY KEY,
	until INTEGER NOT NULL
);
