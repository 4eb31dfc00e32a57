-- One pending lost-phone request a user: a second one would mail the admins again
-- for the same phone. Older duplicates a database already holds are dropped (the
-- audit keeps each reset_requested event).
DELETE FROM resets WHERE state = 'pending'
	AND id NOT IN (SELECT max(id) FROM resets WHERE state = 'pending' GROUP BY user_id);
CREATE UNIQUE INDEX resets_pending ON resets(user_id) WHERE state = 'pending';
