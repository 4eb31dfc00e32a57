package server

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	_ "modernc.org/sqlite" // pure Go SQLite
)

// ErrNoUser: no user of that name or ID.
var ErrNoUser = errors.New("no such user")

// Store is the server's database: SQLite here (PostgreSQL joins with the team
// issue). Every check that must hold under concurrency is one conditional UPDATE, so
// two requests can never both pass it: the replay check, the attempt budget, a
// backup code's single use.
type Store struct {
	db    *sql.DB // reads, in parallel (WAL)
	w     *sql.DB // writes, on one connection: they queue in Go instead of in SQLite's sleeping busy handler
	audit chan auditEvent
	done  chan struct{}
}

type auditEvent struct {
	at                  int64
	userID              any
	event, addr, detail string
	flushed             chan struct{} // a flush request, not an event
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

const schema = `
CREATE TABLE IF NOT EXISTS users (
	id INTEGER PRIMARY KEY,
	name TEXT NOT NULL UNIQUE,
	email TEXT NOT NULL DEFAULT '',
	password_hash TEXT NOT NULL,
	admin INTEGER NOT NULL DEFAULT 0,
	mfa INTEGER NOT NULL DEFAULT 0,
	secret_enc BLOB,
	last_step INTEGER NOT NULL DEFAULT -1,
	failures INTEGER NOT NULL DEFAULT 0,
	last_failure INTEGER NOT NULL DEFAULT 0,
	pending_enc BLOB,
	pending_expires INTEGER NOT NULL DEFAULT 0,
	created INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS backup_codes (
	user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	hash TEXT NOT NULL,
	used INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (user_id, hash)
);
CREATE TABLE IF NOT EXISTS sessions (
	hash TEXT PRIMARY KEY,
	user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	full INTEGER NOT NULL DEFAULT 0,
	expires INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS devices (
	hash TEXT PRIMARY KEY,
	user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	expires INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS app_tokens (
	name TEXT PRIMARY KEY,
	hash TEXT NOT NULL UNIQUE,
	created INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS audit (
	id INTEGER PRIMARY KEY,
	at INTEGER NOT NULL,
	user_id INTEGER,
	event TEXT NOT NULL,
	addr TEXT NOT NULL DEFAULT '',
	detail TEXT NOT NULL DEFAULT ''
);`

// OpenSQLite opens (creating if needed) the SQLite database at path, in WAL mode with
// a busy timeout, so concurrent writers wait instead of failing.
func OpenSQLite(path string) (*Store, error) {
	// WAL with synchronous=NORMAL: a commit is durable once the WAL is synced at a
	// checkpoint, not at every commit; an application crash loses nothing, a power
	// cut at most the last moments. Without it every failed attempt waits for a disk
	// flush, and a brute-force burst becomes a denial of service.
	dsn := "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("opening the database: %w", err)
	}
	if _, err := db.Exec(schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("creating the tables: %w", err)
	}
	w, err := sql.Open("sqlite", dsn)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("opening the database: %w", err)
	}
	w.SetMaxOpenConns(1)
	s := &Store{db: db, w: w, audit: make(chan auditEvent, 4096), done: make(chan struct{})}
	go s.auditWriter()
	return s, nil
}

// Close writes the audit events still queued, then closes the database.
func (s *Store) Close() error {
	close(s.audit)
	<-s.done
	s.w.Close()
	return s.db.Close()
}

// auditWriter writes queued audit events in batches, one transaction each, so a
// burst of failures costs a few commits rather than one each. Nothing is dropped:
// Audit blocks when the queue is full, and Close drains it.
func (s *Store) auditWriter() {
	defer close(s.done)
	for ev := range s.audit {
		batch := []auditEvent{ev}
	more:
		for len(batch) < 1024 {
			select {
			case e, ok := <-s.audit:
				if !ok {
					break more
				}
				batch = append(batch, e)
			default:
				break more
			}
		}
		s.tx(context.Background(), func(tx *sql.Tx) error {
			for _, e := range batch {
				if e.flushed != nil {
					continue
				}
				if _, err := tx.Exec(`INSERT INTO audit (at, user_id, event, addr, detail) VALUES ($1, $2, $3, $4, $5)`,
					e.at, e.userID, e.event, e.addr, e.detail); err != nil {
					return err
				}
			}
			return nil
		})
		for _, e := range batch {
			if e.flushed != nil {
				close(e.flushed)
			}
		}
	}
}

// FlushAudit waits until every audit event queued before it is written.
func (s *Store) FlushAudit() {
	ch := make(chan struct{})
	s.audit <- auditEvent{flushed: ch}
	<-ch
}

// CreateUser adds a user.
func (s *Store) CreateUser(ctx context.Context, name, email, passwordHash string, admin bool, now time.Time) (int64, error) {
	r, err := s.w.ExecContext(ctx, `INSERT INTO users (name, email, password_hash, admin, created) VALUES ($1, $2, $3, $4, $5)`,
		name, email, passwordHash, admin, now.Unix())
	if err != nil {
		return 0, fmt.Errorf("adding user %s: %w", name, err)
	}
	return r.LastInsertId()
}

// UserByName returns a user, or ErrNoUser.
func (s *Store) UserByName(ctx context.Context, name string) (User, error) {
	var u User
	err := s.db.QueryRowContext(ctx, `SELECT id, name, email, password_hash, admin, mfa, secret_enc, last_step FROM users WHERE name = $1`, name).
		Scan(&u.ID, &u.Name, &u.Email, &u.PasswordHash, &u.Admin, &u.MFA, &u.SecretEnc, &u.LastStep)
	if errors.Is(err, sql.ErrNoRows) {
		return u, ErrNoUser
	}
	return u, err
}

// BeginAttempt spends one attempt of a user's budget before a password or code is
// checked: it fails (locked, with the time left) when maxAttempts attempts failed in
// a row and the last is less than lockout old. Parallel guesses each spend their own
// attempt, so no more than maxAttempts are ever evaluated. EndAttempt(true) gives
// the budget back.
func (s *Store) BeginAttempt(ctx context.Context, userID int64, maxAttempts int, lockout time.Duration, now time.Time) (bool, time.Duration, error) {
	expired := now.Add(-lockout).Unix()
	r, err := s.w.ExecContext(ctx, `UPDATE users SET
		failures = CASE WHEN failures >= $1 AND last_failure <= $2 THEN 1 ELSE failures + 1 END,
		last_failure = $3
		WHERE id = $4 AND (failures < $1 OR last_failure <= $2)`,
		maxAttempts, expired, now.Unix(), userID)
	if err != nil {
		return false, 0, err
	}
	if n, _ := r.RowsAffected(); n == 1 {
		return true, 0, nil
	}
	var last int64
	if err := s.db.QueryRowContext(ctx, `SELECT last_failure FROM users WHERE id = $1`, userID).Scan(&last); err != nil {
		return false, 0, err
	}
	return false, time.Unix(last, 0).Add(lockout).Sub(now), nil
}

// ReleaseAttempt gives back one attempt: a correct password is no failure, though
// the sign-in is not complete until the code.
func (s *Store) ReleaseAttempt(ctx context.Context, userID int64) error {
	_, err := s.w.ExecContext(ctx, `UPDATE users SET failures = MAX(failures - 1, 0) WHERE id = $1`, userID)
	return err
}

// EndAttempt records an attempt's outcome: success clears the failures.
func (s *Store) EndAttempt(ctx context.Context, userID int64, success bool) error {
	if !success {
		return nil // BeginAttempt already counted it
	}
	_, err := s.w.ExecContext(ctx, `UPDATE users SET failures = 0 WHERE id = $1`, userID)
	return err
}

// UseStep records that a TOTP step was used, only if it is later than the last one:
// of two requests with one code, exactly one gets true.
func (s *Store) UseStep(ctx context.Context, userID, step int64) (bool, error) {
	r, err := s.w.ExecContext(ctx, `UPDATE users SET last_step = $1 WHERE id = $2 AND last_step < $1`, step, userID)
	if err != nil {
		return false, err
	}
	n, _ := r.RowsAffected()
	return n == 1, nil
}

// UseBackupCode spends a backup code (by its hash), once.
func (s *Store) UseBackupCode(ctx context.Context, userID int64, hash string) (bool, error) {
	r, err := s.w.ExecContext(ctx, `UPDATE backup_codes SET used = 1 WHERE user_id = $1 AND hash = $2 AND used = 0`, userID, hash)
	if err != nil {
		return false, err
	}
	n, _ := r.RowsAffected()
	return n == 1, nil
}

// BackupCodesLeft counts a user's unused backup codes.
func (s *Store) BackupCodesLeft(ctx context.Context, userID int64) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM backup_codes WHERE user_id = $1 AND used = 0`, userID).Scan(&n)
	return n, err
}

// SetPending stores an enrollment's secret until it is confirmed or expires.
func (s *Store) SetPending(ctx context.Context, userID int64, secretEnc []byte, expires time.Time) error {
	_, err := s.w.ExecContext(ctx, `UPDATE users SET pending_enc = $1, pending_expires = $2 WHERE id = $3`, secretEnc, expires.Unix(), userID)
	return err
}

// Pending returns a user's unexpired pending enrollment secret, or nil.
func (s *Store) Pending(ctx context.Context, userID int64, now time.Time) ([]byte, error) {
	var enc []byte
	var expires int64
	err := s.db.QueryRowContext(ctx, `SELECT pending_enc, pending_expires FROM users WHERE id = $1`, userID).Scan(&enc, &expires)
	if err != nil || now.Unix() >= expires {
		return nil, err
	}
	return enc, nil
}

// ConfirmEnrollment turns the pending secret into the user's, with new backup codes
// (the old set dies) and the step of the confirming code as the last used, in one
// transaction.
func (s *Store) ConfirmEnrollment(ctx context.Context, userID int64, secretEnc []byte, step int64, codeHashes []string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE users SET mfa = 1, secret_enc = $1, last_step = $2, pending_enc = NULL, pending_expires = 0 WHERE id = $3`,
			secretEnc, step, userID); err != nil {
			return err
		}
		return replaceCodes(ctx, tx, userID, codeHashes)
	})
}

// ReplaceBackupCodes kills the old set and stores the new one.
func (s *Store) ReplaceBackupCodes(ctx context.Context, userID int64, codeHashes []string) error {
	return s.tx(ctx, func(tx *sql.Tx) error { return replaceCodes(ctx, tx, userID, codeHashes) })
}

// DisableMFA forgets the secret and the backup codes.
func (s *Store) DisableMFA(ctx context.Context, userID int64) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE users SET mfa = 0, secret_enc = NULL, last_step = -1 WHERE id = $1`, userID); err != nil {
			return err
		}
		return replaceCodes(ctx, tx, userID, nil)
	})
}

func replaceCodes(ctx context.Context, tx *sql.Tx, userID int64, hashes []string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM backup_codes WHERE user_id = $1`, userID); err != nil {
		return err
	}
	for _, h := range hashes {
		if _, err := tx.ExecContext(ctx, `INSERT INTO backup_codes (user_id, hash) VALUES ($1, $2)`, userID, h); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) tx(ctx context.Context, f func(*sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := f(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// Audit records a security event.
func (s *Store) Audit(_ context.Context, now time.Time, userID int64, event, addr, detail string) error {
	var uid any
	if userID != 0 {
		uid = userID
	}
	s.audit <- auditEvent{at: now.Unix(), userID: uid, event: event, addr: addr, detail: detail}
	return nil
}

// AuditCount counts events of a kind, for tests and the admin view.
func (s *Store) AuditCount(ctx context.Context, event string) (int, error) {
	s.FlushAudit()
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit WHERE event = $1`, event).Scan(&n)
	return n, err
}

// Session is a signed-in (or half signed-in: password only) browser or client.
type Session struct {
	UserID int64
	Full   bool // password and, if enrolled, a code
}

// CreateSession stores a session by the hash of its token.
func (s *Store) CreateSession(ctx context.Context, hash string, userID int64, full bool, expires time.Time) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO sessions (hash, user_id, full, expires) VALUES ($1, $2, $3, $4)`,
		hash, userID, full, expires.Unix())
	return err
}

// SessionByHash returns an unexpired session.
func (s *Store) SessionByHash(ctx context.Context, hash string, now time.Time) (Session, bool, error) {
	var se Session
	var expires int64
	err := s.db.QueryRowContext(ctx, `SELECT user_id, full, expires FROM sessions WHERE hash = $1`, hash).Scan(&se.UserID, &se.Full, &expires)
	if errors.Is(err, sql.ErrNoRows) || err == nil && now.Unix() >= expires {
		return se, false, nil
	}
	return se, err == nil, err
}

// CompleteSession marks a half signed-in session as fully signed in.
func (s *Store) CompleteSession(ctx context.Context, hash string) error {
	_, err := s.w.ExecContext(ctx, `UPDATE sessions SET full = 1 WHERE hash = $1`, hash)
	return err
}

// DeleteSession signs a session out.
func (s *Store) DeleteSession(ctx context.Context, hash string) error {
	_, err := s.w.ExecContext(ctx, `DELETE FROM sessions WHERE hash = $1`, hash)
	return err
}

// UserByID returns a user, or ErrNoUser.
func (s *Store) UserByID(ctx context.Context, id int64) (User, error) {
	var u User
	err := s.db.QueryRowContext(ctx, `SELECT id, name, email, password_hash, admin, mfa, secret_enc, last_step FROM users WHERE id = $1`, id).
		Scan(&u.ID, &u.Name, &u.Email, &u.PasswordHash, &u.Admin, &u.MFA, &u.SecretEnc, &u.LastStep)
	if errors.Is(err, sql.ErrNoRows) {
		return u, ErrNoUser
	}
	return u, err
}

// AddToken stores an application token (by its MAC) under a name.
func (s *Store) AddToken(ctx context.Context, name, hash string, now time.Time) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO app_tokens (name, hash, created) VALUES ($1, $2, $3)`, name, hash, now.Unix())
	if err != nil {
		return fmt.Errorf("adding token %s: %w", name, err)
	}
	return nil
}

// TokenName returns the name of the application token with this MAC.
func (s *Store) TokenName(ctx context.Context, hash string) (string, bool, error) {
	var name string
	err := s.db.QueryRowContext(ctx, `SELECT name FROM app_tokens WHERE hash = $1`, hash).Scan(&name)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	return name, err == nil, err
}

// Users lists every user with their enrollment state and codes left.
func (s *Store) Users(ctx context.Context) ([]UserSummary, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT u.name, u.email, u.admin, u.mfa,
		(SELECT COUNT(*) FROM backup_codes b WHERE b.user_id = u.id AND b.used = 0) FROM users u ORDER BY u.name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []UserSummary
	for rows.Next() {
		var u UserSummary
		if err := rows.Scan(&u.Name, &u.Email, &u.Admin, &u.MFA, &u.CodesLeft); err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// UserSummary is a user as the admin listing shows it.
type UserSummary struct {
	Name      string `json:"name"`
	Email     string `json:"email"`
	Admin     bool   `json:"admin"`
	MFA       bool   `json:"mfa_enabled"`
	CodesLeft int    `json:"backup_codes_left"`
}

// DeleteUserSessions signs a user out everywhere but, if given, one session.
func (s *Store) DeleteUserSessions(ctx context.Context, userID int64, keep string) error {
	_, err := s.w.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1 AND hash <> $2`, userID, keep)
	return err
}

// RememberDevice stores a remembered device (by its token's MAC) until expires.
func (s *Store) RememberDevice(ctx context.Context, hash string, userID int64, expires time.Time) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO devices (hash, user_id, expires) VALUES ($1, $2, $3)`, hash, userID, expires.Unix())
	return err
}

// DeviceRemembered reports whether the device with this MAC is remembered for userID.
func (s *Store) DeviceRemembered(ctx context.Context, hash string, userID int64, now time.Time) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM devices WHERE hash = $1 AND user_id = $2 AND expires > $3`,
		hash, userID, now.Unix()).Scan(&n)
	return n == 1, err
}

// SetPassword replaces a user's password hash and ends every other session and
// every remembered device.
func (s *Store) SetPassword(ctx context.Context, userID int64, hash, keepSession string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{`UPDATE users SET password_hash = $1 WHERE id = $2`, []any{hash, userID}},
			{`DELETE FROM sessions WHERE user_id = $1 AND hash <> $2`, []any{userID, keepSession}},
			{`DELETE FROM devices WHERE user_id = $1`, []any{userID}},
		} {
			if _, err := tx.ExecContext(ctx, q.sql, q.args...); err != nil {
				return err
			}
		}
		return nil
	})
}
