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
	// ErrLastAdmin: the change would leave no enabled admin.
	ErrLastAdmin = errors.New("the last admin")
	// ErrNoReset: no pending reset request of that ID.
	ErrNoReset = errors.New("no such pending reset request")
)

// Store is the server's database.
type Store interface {
	// CreateUser adds a user and returns its ID; ErrExists when the name is taken.
	// An empty password hash is an invited user, who cannot sign in until the
	// invitation sets one.
	CreateUser(ctx context.Context, name, email, passwordHash string, admin bool, now time.Time) (int64, error)
	// UserByName and UserByID return a user, or ErrNoUser.
	UserByName(ctx context.Context, name string) (User, error)
	UserByID(ctx context.Context, id int64) (User, error)
	// Users lists every user with their enrollment state and codes left, by name.
	Users(ctx context.Context) ([]UserSummary, error)
	// SetPassword replaces a user's password hash and ends every other session
	// than keepSession (a session's MAC) and every remembered device.
	SetPassword(ctx context.Context, userID int64, hash, keepSession string) error
	// SignedIn records a complete sign-in: the user's last sign-in time, and the
	// language of their browser when it said one (browserLang "": kept).
	SignedIn(ctx context.Context, userID int64, now time.Time, browserLang string) error
	// SetLang records the user's choice of language ("" follows the browser).
	SetLang(ctx context.Context, userID int64, lang string) error

	// AdminUsers lists every user as the admins' table shows them, by name.
	AdminUsers(ctx context.Context) ([]AdminUser, error)
	// SetDisabled disables (ending every session and remembered device) or enables
	// a user; ErrLastAdmin rather than disable the last enabled admin.
	SetDisabled(ctx context.Context, userID int64, disabled bool, mails ...Mail) error
	// SetAdmin makes or unmakes an admin; ErrLastAdmin rather than unmake the last
	// enabled admin.
	SetAdmin(ctx context.Context, userID int64, admin bool) error
	// DeleteUser removes a user and all that is theirs; ErrLastAdmin rather than
	// the last enabled admin.
	DeleteUser(ctx context.Context, userID int64) error
	// LockedBudgets returns the attempt budgets spent at now (maxAttempts failures,
	// the last less than lockout old), by key, with when each lifts.
	LockedBudgets(ctx context.Context, maxAttempts int, lockout time.Duration, now time.Time) (map[int64]time.Time, error)

	// AddGroup puts a user in a group: false when they are in it already.
	AddGroup(ctx context.Context, userID int64, group string) (bool, error)
	// RemoveGroup takes a user out of a group: false when they were not in it.
	RemoveGroup(ctx context.Context, userID int64, group string) (bool, error)
	// UserGroups lists a user's groups, sorted.
	UserGroups(ctx context.Context, userID int64) ([]string, error)
	// Groups lists every group that has members, with its members' names, sorted.
	Groups(ctx context.Context) (map[string][]string, error)
	// AccessRules returns the access rules admins saved (Text "" when none were).
	AccessRules(ctx context.Context) (AccessRules, error)
	// SetAccessRules saves the access rules.
	SetAccessRules(ctx context.Context, r AccessRules) error

	// Policy returns the policy admins saved; when none was, def is saved first
	// (the command line's flags make a new database's defaults).
	Policy(ctx context.Context, def Policy) (Policy, error)
	// SetPolicy saves the policy, and queues the mails that announce it.
	SetPolicy(ctx context.Context, p Policy, mails ...Mail) error

	// CreateInvite stores an invitation (by its token's MAC) for a user, until
	// expires, and queues its mail.
	CreateInvite(ctx context.Context, userID int64, hash string, now, expires time.Time, mails ...Mail) error
	// UseInvite spends an unexpired, unused invitation once and sets the user's
	// password: false when the invitation is unknown, used or expired.
	UseInvite(ctx context.Context, hash, passwordHash string, now time.Time) (userID int64, ok bool, err error)
	// InviteValid tells whether an invitation is unused and unexpired, without
	// spending it: a link's page says so before anyone types a password, and a
	// made-up token costs one lookup, never a password hash.
	InviteValid(ctx context.Context, hash string, now time.Time) (bool, error)

	// RequestReset records a user's request to reset their two-factor sign-in
	// (a lost phone), and queues the admins' mails; ErrExists, with nothing queued,
	// while an earlier request of theirs is pending.
	RequestReset(ctx context.Context, userID int64, reason string, now time.Time, mails ...Mail) (int64, error)
	// Resets lists the reset requests, the newest first.
	Resets(ctx context.Context) ([]Reset, error)
	// DecideReset approves or denies a pending request, by the admin named by; an
	// approval resets the user's two-factor sign-in (as DisableMFA with no session
	// kept) in the same transaction; ErrNoReset when it is not pending.
	DecideReset(ctx context.Context, id int64, approve bool, by string, now time.Time, mails ...Mail) (Reset, error)

	// AuditEvents lists audit events, the newest first.
	AuditEvents(ctx context.Context, q AuditQuery) ([]AuditEvent, error)

	// QueueMail queues mails on their own (a mail whose Key is queued already is
	// not queued again).
	QueueMail(ctx context.Context, mails ...Mail) error
	// ClaimMails takes up to limit mails due at now, unsent, and moves their next
	// try lease later, so that no other sender takes them meanwhile.
	ClaimMails(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]Mail, error)
	// MailSent records a mail as sent.
	MailSent(ctx context.Context, id int64, now time.Time) error
	// MailFailed records a failed try and when to try again: at NeverRetry, never
	// (the mail stays in the outbox with its reason, as sent mails do).
	MailFailed(ctx context.Context, id int64, next time.Time, reason string) error
	// ReleaseMail gives back a claimed mail that was not tried, due at now: a
	// sender that stops hands it to the other senders at once, not after its lease.
	ReleaseMail(ctx context.Context, id int64, now time.Time) error
	// Outbox counts the mails not sent yet, those refused for good aside.
	Outbox(ctx context.Context) (int, error)
	// Unsent lists the mails not sent, oldest first (at most 1,000): waiting for
	// their next try, or refused for good.
	Unsent(ctx context.Context) ([]Unsent, error)
	// RetryMail makes a mail refused for good due at now, to be tried again; false
	// when no mail of that ID is refused (sent, waiting, or none).
	RetryMail(ctx context.Context, id int64, now time.Time) (bool, error)

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
	// ReplaceBackupCodes kills the old set, stores the new one, queues the mails.
	ReplaceBackupCodes(ctx context.Context, userID int64, codeHashes []string, mails ...Mail) error
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
	// session left; the mails are queued.
	ConfirmEnrollment(ctx context.Context, wasMFA bool, e Enrolled, mails ...Mail) (bool, error)
	// DisableMFA forgets the secret, a pending enrollment, the backup codes, the
	// remembered devices and every session but keep ("" for none), and queues the
	// mails.
	DisableMFA(ctx context.Context, userID int64, keep string, mails ...Mail) error

	// CreateSession stores a session by its token's MAC, replacing the session
	// old (a MAC) when given, in one write.
	CreateSession(ctx context.Context, hash string, userID int64, full bool, expires time.Time, old string) error
	// SessionByHash returns an unexpired session (false when there is none).
	SessionByHash(ctx context.Context, hash string, now time.Time) (Session, bool, error)
	// DeleteSession signs a session out.
	DeleteSession(ctx context.Context, hash string) error
	// RememberDevice stores a remembered device by its token's MAC until expires,
	// and queues the mails.
	RememberDevice(ctx context.Context, hash string, userID int64, expires time.Time, mails ...Mail) error
	// DeviceRemembered reports whether the device with this MAC is remembered for userID.
	DeviceRemembered(ctx context.Context, hash string, userID int64, now time.Time) (bool, error)
	// SessionUser is forward-auth's lookup, one per request: the unexpired session
	// of this MAC with its user and their groups, in one read (false when there is
	// no such session). Nothing of it is cached: a session ended on any server is
	// refused by the next lookup on every other.
	SessionUser(ctx context.Context, hash string, now time.Time) (SessionUser, bool, error)

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
	// ClaimSweep takes the periodic sweep's turn at now for the period every: true
	// for one caller, on whichever server, until every has passed (the others
	// leave the work to it), so that several servers on one database sweep once.
	ClaimSweep(ctx context.Context, now time.Time, every time.Duration) (bool, error)
	// Close writes what is queued and closes the database.
	Close() error
}

// User is a row of the users table.
type User struct {
	ID           int64
	Name         string
	Email        string
	PasswordHash string // "": invited, no password yet
	Admin        bool
	Disabled     bool
	MFA          bool   // enrolled and confirmed
	SecretEnc    []byte // the TOTP secret, encrypted with the server key
	LastStep     int64
	Lang         string // the user's choice of language, "" for the browser's
	BrowserLang  string // the language of the browser they last signed in with, "" for none yet
}

// AdminUser is a user as the admins' table shows them.
type AdminUser struct {
	ID         int64
	Name       string
	Email      string
	Admin      bool
	Disabled   bool
	MFA        bool
	Invited    bool // no password yet
	Created    time.Time
	EnrolledAt time.Time // zero when not enrolled
	LastSignIn time.Time // zero when never
	CodesLeft  int
	Groups     []string // sorted; nil for none
}

// Policy is the team's two-factor policy and authentication settings.
type Policy struct {
	Require2FA   bool
	Deadline     time.Time // zero: no deadline, required at once
	MaxAttempts  int
	Lockout      time.Duration
	Skew         int
	RememberDays int
	BackupCodes  int
	Updated      time.Time
	UpdatedBy    string
}

// Reset is a request to reset a user's two-factor sign-in (a lost phone).
type Reset struct {
	ID          int64
	UserID      int64
	Username    string
	Reason      string
	RequestedAt time.Time
	State       string // "pending", "approved" or "denied"
	DecidedBy   string
	DecidedAt   time.Time
}

// AuditQuery narrows a listing of the audit table; zero fields do not.
type AuditQuery struct {
	User  string // a user's name
	Event string
	Since time.Time
	Limit int // 0: every event
}

// AuditEvent is a row of the audit table as admins read it.
type AuditEvent struct {
	At     time.Time
	User   string // "" for none
	Event  string
	Addr   string
	Detail string
	Count  int64 // how many events the row stands for (refusals, counted per minute)
}

// NeverRetry is the next try of a mail the SMTP server refused for good (a
// recipient it does not know, a message it will not take): sending it again could
// not help.
var NeverRetry = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)

// Unsent is a mail of the outbox not sent yet, as admins see it.
type Unsent struct {
	ID        int64     `json:"id"`
	To        string    `json:"to"`
	Subject   string    `json:"subject"`
	Created   time.Time `json:"created"`
	Attempts  int       `json:"attempts"`
	NextTry   time.Time `json:"next_try,omitzero"` // zero when refused
	Refused   bool      `json:"refused"`           // refused for good: not tried again unless retried
	LastError string    `json:"last_error,omitempty"`
}

// UnsentRow is the Unsent of an outbox row, its times in Unix seconds: next at
// NeverRetry or later is a mail refused for good.
func UnsentRow(m Unsent, created, next int64) Unsent {
	m.Created = time.Unix(created, 0)
	if m.Refused = next >= NeverRetry.Unix(); !m.Refused {
		m.NextTry = time.Unix(next, 0)
	}
	return m
}

// Mail is a message in the outbox: written in the same transaction as the change
// it tells of, sent (and retried) afterwards.
type Mail struct {
	ID       int64
	Key      string // queued at most once per key ("" for no such rule)
	To       string
	Subject  string
	Body     string    // plain text
	Created  time.Time // when queued, and first due (zero: the moment it is queued)
	Attempts int
}

// UserSummary is a user as the admin listing shows it.
type UserSummary struct {
	Name      string `json:"name"`
	Email     string `json:"email"`
	Admin     bool   `json:"admin"`
	MFA       bool   `json:"mfa_enabled"`
	CodesLeft int    `json:"backup_codes_left"`
}

// SessionUser is a session as forward-auth reads it: whether it passed every
// step of its user's sign-in, the user (without their secret or password hash)
// and their groups, sorted.
type SessionUser struct {
	Full   bool
	User   User
	Groups []string
}

// AccessRules are the access rules admins saved: the JSON text as they wrote it
// (package access reads it), and who saved it when.
type AccessRules struct {
	Text      string
	Updated   time.Time
	UpdatedBy string
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
	Expires    time.Time // the session's end
	At         time.Time // now: when the user enrolled
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
	Addrs                                       int64 // per-address counts (AddrLimits)
}
