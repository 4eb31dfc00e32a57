// Package service holds the enrollment server's rules, free of HTTP and of SQL:
// sign-in (password, then a code or a backup code), enrollment and moves to a new
// phone, backup codes, application tokens and their checks of codes, and the
// limits every check of a credential goes through. The JSON API and the pages
// (package web) are two front ends over it; the data lives behind store.Store.
//
// Every call takes the Client asking (its address, the tokens its cookies carry)
// and returns what changed for it (a Grant of new tokens for its cookies) or an
// error: a *Refusal is an answer the front ends show as it is (a status, one
// sentence, a time to wait), any other error is the server's fault.
//
// # Security model
//
// Passwords are argon2id hashes (32 MiB, 2 passes), at most one per CPU computed at
// once, so a burst of sign-ins cannot exhaust memory; an unknown user costs the
// same hash as a known one. TOTP secrets are sealed with AES-256-GCM under a key derived
// from the server key file (32 random bytes, mode 0600, made on first run); backup
// codes, session, device and application tokens are stored as HMAC-SHA256 under it,
// so the database alone opens nothing and tests nothing.
//
// Every sign-in is password, then a code (or a single-use backup code), unless the
// device was remembered. A code's time step is accepted at most once per user and
// only if later than the last one used (RFC 6238 section 5.2); the check is one
// conditional UPDATE, so of two simultaneous requests with one code exactly one
// passes.
//
// Every check of a password or code runs under the same limits, in an order that
// makes a refusal cheaper than what it refuses (Server.attempt): first the
// failures per client address (sign-in steps; X-Forwarded-For believed only from
// --trusted-proxies, and logged once when it comes from anyone else), before any
// lookup; then the attempt budget of the name typed (RFC 4226 section 7.3),
// reserved before the evaluation so that parallel guesses cannot exceed it, and
// kept for every name, existing or not, under the name's MAC, so that a name that
// does not exist gets the same answers (status, sentence, Retry-After) at every
// count of failures, on sign-in and on verify; then the check. Only a wrong
// credential that was evaluated is a failure: a check that could not run (the
// server busy hashing, the client gone) gives its attempt back. A browser that
// signed in before carries a known-browser cookie (its name, an expiry and their
// MAC: OWASP's device cookie) and is not held by the per-address limit for that
// name, so that an attacker behind a team's NAT or proxy cannot lock the team
// out; the account's budget holds it as anyone. A streak of failures ends after
// the lockout time without one; at the limit the account waits out the lockout
// (429 with Retry-After) and a half signed-in session starts over. Every wrong
// user, password or code gets the same sentence.
//
// The authenticator is replaced only with a current code: while two-factor
// sign-in is on, no enrollment starts, shows or confirms, on any path; moving to a
// new phone is its own action that takes a current or backup code, binds the new
// key to the session that asked, and ends every other session and remembered
// device. Disabling (with a code), an admin's reset and every enrollment do the
// same, and a session's token is replaced when the code step completes and at
// enrollment.
//
// Cookies are HttpOnly, SameSite=Lax, and Secure with HSTS on every request over
// TLS or behind an https base URL; requests go through
// http.CrossOriginProtection; bodies are capped at 64 KiB before any work, the
// pages take URL-encoded forms only and the API JSON only; responses carry a
// strict Content-Security-Policy and no-store. Security events (sign-in, failure,
// lockout, enrollment, a move to a new phone, codes regenerated, 2FA disabled or
// reset, password changed, tokens) go to the audit table, each as a row when it
// concerns an account whose credential was evaluated; refusals and failures for
// no account are counted in aggregate, one row per minute, account, address and
// kind, so that no client can grow the table faster than that. Logs carry no
// secret and no name typed for no account. Expired sessions, remembered devices,
// pending enrollments (with their encrypted secrets) and attempt budgets, and
// audit events older than --audit-days, are removed at start and every hour
// (Server.Sweep).
//
// Package auth holds the parts free of HTTP and storage: TOTP verification, backup
// codes, password hashing.
//
// Keys (keys.go) is the server key: it seals TOTP secrets and keys the MACs of
// tokens, backup codes, attempt budgets and known-browser cookies. limit.go counts
// failures per client address.
//
// # Several servers
//
// Servers on one PostgreSQL database hold every rule above together: each is a
// statement of the database. What a server keeps in memory is shared or dropped
// (instances.go): the per-address counts live in the database (limit.go's
// sharedAddrs) when the store keeps them (store.AddrLimits), and the policy cache
// is dropped when the store tells of a change (store.Changes: PostgreSQL's
// NOTIFY at commit), so an admin's change on one server applies on all at once.
// The hourly sweep and the reminders run on the server that claims the round's
// turn (SweepTurn).
package service
