// Package store is the enrollment server's storage: the Store interface the
// service layer works through, the rows it reads and writes, and the errors that
// are part of its contract. Two engines implement it: sqlite (embedded, the
// default) and postgres (for several instances on one database).
//
// Every rule that must hold under concurrency is one conditional statement, or a
// transaction that holds it, in each engine, so that two requests, on two
// connections or two servers, can never both pass it:
//
//   - a TOTP step is used once, and only if later than the last one (UseStep,
//     Verify): of parallel uses of one code exactly one succeeds;
//   - the attempt budget of a name (BeginAttempt, Verify) is spent before the
//     credential is evaluated, so parallel guesses never exceed it;
//   - a backup code is spent once (UseBackupCode, Verify);
//   - an enrollment is confirmed only while it is still the pending one and the
//     user's two-factor state is what it was (ConfirmEnrollment).
//
// Each engine keeps its schema as numbered migration files embedded in its
// package, applies the ones a database lacks when it opens, records the version in
// schema_migrations, and refuses a database newer than itself.
package store

import (
	"context"
	"errors"
	"time"
)

// The errors of the contract.
var (
	ErrNoUser  = errors.New("no such user")
	ErrExists  = errors.New("exists already")
	ErrNoToken = errors.New("no such application token")
)

// Store is the server's database.
type Store interface {
	// CreateUser adds a user and returns its ID; ErrExists when the name is taken.
	CreateUser(ctx context.Context, name, email, passwordHash string, admin bool, now time.Time) (int64, error)
	// UserByName and UserByID return a user, or ErrNoUser.
	UserByName(ctx context.Context, name string) (User, error)
	UserByID(ctx context.Context, id int64) (User, error)
	// Users lists every user with their enrollment state and codes left, by name.
	Users(ctx context.Context) ([]UserSummary, error)
	// SetPassword replaces a user's password hash and ends every other session
	// than keepSession (a session's MAC) and every remembered device.
	SetPassword(ctx context.Context, userID int64, hash, keepSession string) error

	// BeginAttempt spends one attempt of the budget kept under key (64 bits of the
	// MAC of a name, existing or not) before a password or code is checked: false, with the
	// time left, when maxAttempts failures followed each other, each less than
	// lockout after the one before, and the last is less than lockout old.
	BeginAttempt(ctx context.Context, key int64, maxAttempts int, lockout time.Duration, now time.Time) (bool, time.Duration, error)
	// ReleaseAttempt gives back one attempt that was no failure.
	ReleaseAttempt(ctx context.Context, key int64) error
	// ClearAttempts ends a streak of failures: the check succeeded.
	ClearAttempts(ctx context.Context, key int64) error

	// UseStep records that a TOTP step was used, only if later than the last one.
	UseStep(ctx context.Context, userID, step int64) (bool, error)
	// UseBackupCode spends an unused backup code (by its hash), once.
	UseBackupCode(ctx context.Context, userID int64, hash string) (bool, error)
	// BackupCodesLeft counts a user's unused backup codes.
	BackupCodesLeft(ctx context.Context, userID int64) (int, error)
	// ReplaceBackupCodes kills the old set and stores the new one.
	ReplaceBackupCodes(ctx context.Context, userID int64, codeHashes []string) error
	// Verify is an application's check of a code, all of it atomic: the token,
	// the user, one attempt spent (for a name with no enrolled user too), the
	// code checked and used, the budget cleared on success, the audit row of a
	// real user.
	Verify(ctx context.Context, c VerifyCheck) (VerifyResult, error)

	// SetPending stores an enrollment's secret for the session (its MAC) that
	// started it, until expires; nothing, and false, unless the user's two-factor
	// state is mfa (off for a first enrollment, on for a move to a new phone).
	SetPending(ctx context.Context, userID int64, mfa bool, secretEnc []byte, session string, expires time.Time) (bool, error)
	// Pending returns the unexpired pending secret the session started, or nil.
	Pending(ctx context.Context, userID int64, session string, now time.Time) ([]byte, error)
	// ConfirmEnrollment makes the pending secret the user's, in one transaction,
	// only if it is still the pending one and the state is still wasMFA; the old
	// backup codes, sessions and remembered devices end, e.Session is the one
	// session left.
	ConfirmEnrollment(ctx context.Context, wasMFA bool, e Enrolled) (bool, error)
	// DisableMFA forgets the secret, a pending enrollment, the backup codes, the
	// remembered devices and every session but keep ("" for none).
	DisableMFA(ctx context.Context, userID int64, keep string) error

	// CreateSession stores a session by its token's MAC, replacing the session
	// old (a MAC) when given, in one write.
	CreateSession(ctx context.Context, hash string, userID int64, full bool, expires time.Time, old string) error
	// SessionByHash returns an unexpired session (false when there is none).
	SessionByHash(ctx context.Context, hash string, now time.Time) (Session, bool, error)
	// DeleteSession signs a session out.
	DeleteSession(ctx context.Context, hash string) error
	// RememberDevice stores a remembered device by its token's MAC until expires.
	RememberDevice(ctx context.Context, hash string, userID int64, expires time.Time) error
	// DeviceRemembered reports whether the device with this MAC is remembered for userID.
	DeviceRemembered(ctx context.Context, hash string, userID int64, now time.Time) (bool, error)

	// AddToken stores an application token by its MAC; ErrExists when the name is taken.
	AddToken(ctx context.Context, name, hash string, now time.Time) error
	// Tokens lists the application tokens by name.
	Tokens(ctx context.Context) ([]Token, error)
	// RevokeToken deletes an application token; ErrNoToken when there is none.
	RevokeToken(ctx context.Context, name string) error

	// Audit records a security event; it may be written a moment later, never
	// lost (FlushAudit and Close wait for it).
	Audit(ctx context.Context, now time.Time, userID int64, event, addr, detail string) error
	// AuditRefused counts a refused request, or a failure for no account, in
	// aggregate (see Refusals).
	AuditRefused(now time.Time, userID int64, event, addr, detail string)
	// FlushAudit waits until every audit event given before it is written, the
	// refusals counted so far included.
	FlushAudit()

	// Sweep removes what has expired by now: sessions, remembered devices, pending
	// enrollments, attempt budgets untouched for longer than lockout, and the
	// audit events from before auditBefore (none when it is zero).
	Sweep(ctx context.Context, now time.Time, lockout time.Duration, auditBefore time.Time) (Swept, error)
	// Close writes what is queued and closes the database.
	Close() error
}

// User is a row of the users table.
type User struct {
	ID           int64
	Name         string
	Email        string
	PasswordHash string
	Admin        bool
	MFA          bool   // enrolled and confirmed
	SecretEnc    []byte // the TOTP secret, encrypted with the server key
	LastStep     int64
}

// UserSummary is a user as the admin listing shows it.
type UserSummary struct {
	Name      string `json:"name"`
	Email     string `json:"email"`
	Admin     bool   `json:"admin"`
	MFA       bool   `json:"mfa_enabled"`
	CodesLeft int    `json:"backup_codes_left"`
}

// Session is a signed-in (or half signed-in: password only) browser or client.
type Session struct {
	UserID int64
	Full   bool // password and, if enrolled, a code
}

// Token is an application token as listed: its name and when it was made.
type Token struct {
	Name    string    `json:"name"`
	Created time.Time `json:"created"`
}

// Enrolled is a confirmed enrollment: the new secret, the step of the confirming
// code, the backup codes' hashes, and the session (by its MAC) that replaces every
// session of the user.
type Enrolled struct {
	UserID     int64
	SecretEnc  []byte
	Step       int64
	CodeHashes []string
	Session    string
	Expires    time.Time
}

// VerifyCheck is one application's check of a user's code (POST /api/v1/verify).
type VerifyCheck struct {
	TokenMAC, Username string
	AttemptKey         int64 // the budget's key: the MAC of Username, as a number
	MaxAttempts        int
	Lockout            time.Duration
	Now                time.Time
	Addr               string // for the audit table
	// BackupHash, when the code has the shape of a backup code, is its HMAC: the
	// code is spent if it is one of the user's unused ones. Otherwise TOTP tells
	// whether the code is good for the user, and for which step; pure computation,
	// it runs inside the transaction.
	BackupHash string
	TOTP       func(u User) (step int64, ok bool, err error)
}

// VerifyResult is what the check found.
type VerifyResult struct {
	App    string        // the application token's name; "" when unknown, and nothing else was done
	User   User          // ID 0: no such user, or not enrolled (an attempt is spent all the same)
	Locked time.Duration // > 0: the budget is spent for this long; nothing else was done or audited
	Valid  bool
}

// Swept counts what Sweep removed.
type Swept struct {
	Sessions, Devices, Pending, Attempts, Audit int64
}
