// Package server is Ward's enrollment server (`ward serve`): team members enroll
// their authenticator, sign in with password and code, and admins require 2FA.
// SQLite by default, PostgreSQL when several instances share a database.
//
// It is filled by the server issue. Its security model will be written here.
package server
