// Package server is Ward's enrollment server (`ward serve`, or the pure-Go
// `ward-server`) as a command: team members enroll their authenticator, sign in
// with password and code, and admins manage users. One binary, one data folder: a
// SQLite database (or a PostgreSQL one that --db names) and a key file.
//
// The server is in layers, each a package:
//
//	server          the commands: serve and admin, their flags, opening the store
//	server/web      HTTP: the JSON API and the pages, and what every request goes
//	                through (body cap, security headers, client address, cookies)
//	server/service  the rules: sign-in, enrollment, codes, verify, the limits
//	server/auth     TOTP checks, backup codes, password hashing
//	server/store    the Store interface and its rows; sqlite/ and postgres/ its
//	                engines, each with its numbered migrations; storetest/ the
//	                table of engines the tests run over
//
// The security model is in package service's documentation; what each engine
// guarantees under concurrency is in package store's.
package server
