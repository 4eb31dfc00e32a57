// Package server is Ward's enrollment server (`ward serve`): team members enroll
// their authenticator, sign in with password and code, and admins require 2FA.
// SQLite by default, PostgreSQL when several instances share a database.
//
// It is being built by the server issue. So far: package auth, the security core
// without HTTP or storage (TOTP with skew and replay protection, backup codes,
// argon2id with a concurrency bound, the lockout policy). Its security model will be
// written here as the HTTP layer lands.
package server
