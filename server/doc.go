// Package server is Ward's enrollment server (`ward serve`, or the pure-Go
// `ward-server`): team members enroll their authenticator, sign in with password
// and code, and admins manage users. One binary, one data folder: a SQLite database
// and a key file.
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
// passes. Failures are counted per account across sessions, password and code
// alike (RFC 4226 section 7.3): an attempt is reserved before it is evaluated, so
// parallel guesses cannot exceed the limit; at the limit the account locks for the
// lockout time (429 with Retry-After) and a half signed-in session starts over.
// On top, failures per client address are limited, successes not counted (a team
// behind one NAT address does not lock itself out); X-Forwarded-For is believed only
// from --trusted-proxies. Every wrong user, password or code gets the same sentence.
//
// Cookies are HttpOnly, SameSite=Lax, Secure when the base URL is https; requests go
// through http.CrossOriginProtection; responses carry a strict Content-Security-
// Policy and no-store. Security events (sign-in, failure, lockout, enrollment, codes
// regenerated, 2FA disabled or reset, password changed) go to the audit table; logs
// carry no secret. Expired sessions, remembered devices and pending enrollments (with
// their encrypted secrets), and audit events older than --audit-days, are removed at
// start and every hour (Server.Sweep).
//
// Package auth holds the parts free of HTTP and storage: TOTP verification, backup
// codes, password hashing, the lockout policy.
//
// The web pages (pages.go, web/) call the JSON API's handlers and render their
// answers.
//
// # Storage
//
// SQLite (modernc.org/sqlite, pure Go) in WAL mode: reads in parallel on a small
// pool; every write through one goroutine that owns the writing connection, talks
// to the driver directly with statements prepared once, and commits the writes
// queued at the moment together (each caller still waits for its own commit; a
// write that fails is retried alone, so its failure is its own). Audit events join
// the next commit without their caller waiting; Close writes what is queued.
// POST /api/v1/verify is one such write, with the token and user kept by the
// writer between writes (see wtx). PostgreSQL comes with the team issue.
package server
