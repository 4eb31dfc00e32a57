-- The language of the browser a user last signed in with (its Accept-Language,
-- matched to Ward's languages), for the mails sent outside any request (the
-- deadline's reminders, an admin's answer) to users who follow their browser's
-- language rather than choosing one: they came in English before.
ALTER TABLE users ADD COLUMN browser_lang TEXT NOT NULL DEFAULT '';
