// Package postgres is the enrollment server's store on PostgreSQL (pgx), for a
// team that runs several instances on one database, or has a database already.
//
// Every rule of store.Store is a single conditional statement, which PostgreSQL
// holds across connections and servers: at READ COMMITTED, a second UPDATE (or
// INSERT ... ON CONFLICT DO UPDATE) of a row waits for the first to commit and
// then evaluates its condition on the new row, so of two uses of one code, or of
// guesses past the attempt budget, only those the condition still allows pass.
// The writes that must go together (an enrollment confirmed with its codes and
// sessions, a change with the mails that tell of it) are one transaction. The one
// rule that reads several rows, the last enabled admin kept, locks them first, in
// the order of their IDs; mails are claimed FOR UPDATE SKIP LOCKED, with a lease
// (team.go).
//
// Verify, the hot path, is two round trips without a transaction around them: the
// token, the user and one attempt spent (spent only when the token exists) in one
// pipelined batch; then, once the code is checked in Go, the step or backup code
// used, the budget cleared if it was, and the audit row, in one statement whose
// parts commit together.
//
// Connections set synchronous_commit off: a commit is durable once the WAL
// writer flushes it (within wal_writer_delay), not at each commit. A crash of the
// database server loses at most that moment, and never leaves the database
// inconsistent: the same trade as the SQLite store's synchronous=NORMAL, without
// which every failed attempt would wait for a disk flush.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wardauth/ward/server/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is store.Store on PostgreSQL.
type Store struct {
	pool     *pgxpool.Pool
	refusals *store.Refusals

	mu    sync.Mutex
	users map[string]*cachedUser // Verify's users, by name
	group grouper                // Verify's statements, sent in groups

	listen listener // other servers' changes (shared.go)
}

var _ store.Store = (*Store)(nil)

// Open connects to the database at url (postgres://...; pool_max_conns and the
// other pgx settings may be given in it) and brings its schema up to date.
func Open(ctx context.Context, url string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("the PostgreSQL URL: %w", err)
	}
	if cfg.ConnConfig.RuntimeParams == nil {
		cfg.ConnConfig.RuntimeParams = map[string]string{}
	}
	cfg.ConnConfig.RuntimeParams["synchronous_commit"] = "off"
	cfg.ConnConfig.RuntimeParams["plan_cache_mode"] = "force_generic_plan"
	if !strings.Contains(url, "pool_max_conns=") {
		cfg.MaxConns = 16
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connecting to PostgreSQL: %w", err)
	}
	if err := migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	s := &Store{pool: pool, users: map[string]*cachedUser{}}
	s.refusals = store.NewRefusals(func(r store.AuditRow) error {
		return s.auditRow(context.Background(), r.At.Unix(), r.UserID, r.Event, r.Addr, r.Detail, r.Count)
	})
	s.startGroupers()
	s.startListening()
	return s, nil
}

// SchemaVersion is the schema version this Ward writes.
func SchemaVersion() int {
	names, _ := fs.Glob(migrations, "migrations/*.sql")
	return len(names)
}

// migrate applies the migrations the database lacks, all in one transaction under
// an advisory lock, so that instances starting at once apply each once.
func migrate(ctx context.Context, pool *pgxpool.Pool) error {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	tx, err := pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("updating the database schema: %w", err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(7263517)`); err != nil {
		return fmt.Errorf("updating the database schema: %w", err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, applied BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("reading the schema version: %w", err)
	}
	var version int
	if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&version); err != nil {
		return fmt.Errorf("reading the schema version: %w", err)
	}
	if version > len(names) {
		return fmt.Errorf("the database has schema version %d, newer than this Ward knows (%d): update Ward", version, len(names))
	}
	for v := version; v < len(names); v++ {
		q, err := fs.ReadFile(migrations, names[v])
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, string(q)); err != nil {
			return fmt.Errorf("updating the database schema to version %d: %w", v+1, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, applied) VALUES ($1, $2)`, v+1, time.Now().Unix()); err != nil {
			return err
		}
	}
	return tx.Commit(ctx)
}

// Close writes the refusals counted, then closes the connections.
func (s *Store) Close() error {
	s.stopGroupers()
	s.stopListening()
	s.refusals.Close()
	s.pool.Close()
	return nil
}

// exec runs one statement.
func (s *Store) exec(ctx context.Context, q string, args ...any) error {
	_, err := s.pool.Exec(ctx, q, args...)
	return err
}

// once runs a conditional statement and reports whether it changed exactly one row.
func (s *Store) once(ctx context.Context, q string, args ...any) (bool, error) {
	tag, err := s.pool.Exec(ctx, q, args...)
	return err == nil && tag.RowsAffected() == 1, err
}

// tx runs f in a transaction.
func (s *Store) tx(ctx context.Context, f func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, s.pool, f)
}

func (s *Store) CreateUser(ctx context.Context, name, email, passwordHash string, admin bool, now time.Time) (int64, error) {
	var id int64
	err := s.pool.QueryRow(ctx, `INSERT INTO users (name, email, password_hash, admin, created) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (name) DO NOTHING RETURNING id`, name, email, passwordHash, admin, now.Unix()).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		err = store.ErrExists
	}
	if err != nil {
		return 0, fmt.Errorf("adding user %s: %w", name, err)
	}
	return id, nil
}

const userColumns = `SELECT id, name, email, password_hash, admin, disabled, mfa, secret_enc, last_step, lang, browser_lang FROM users`

func scanUser(r pgx.Row) (store.User, error) {
	var u store.User
	err := r.Scan(&u.ID, &u.Name, &u.Email, &u.PasswordHash, &u.Admin, &u.Disabled, &u.MFA, &u.SecretEnc, &u.LastStep, &u.Lang, &u.BrowserLang)
	if errors.Is(err, pgx.ErrNoRows) {
		return u, store.ErrNoUser
	}
	return u, err
}

func (s *Store) UserByName(ctx context.Context, name string) (store.User, error) {
	return scanUser(s.pool.QueryRow(ctx, userColumns+` WHERE name = $1`, name))
}

func (s *Store) UserByID(ctx context.Context, id int64) (store.User, error) {
	return scanUser(s.pool.QueryRow(ctx, userColumns+` WHERE id = $1`, id))
}

func (s *Store) Users(ctx context.Context) ([]store.UserSummary, error) {
	rows, err := s.pool.Query(ctx, `SELECT u.name, u.email, u.admin, u.mfa,
		(SELECT COUNT(*) FROM backup_codes b WHERE b.user_id = u.id AND NOT b.used) FROM users u ORDER BY u.name`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.UserSummary, error) {
		var u store.UserSummary
		err := r.Scan(&u.Name, &u.Email, &u.Admin, &u.MFA, &u.CodesLeft)
		return u, err
	})
}

func (s *Store) SetPassword(ctx context.Context, userID int64, hash, keepSession string) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE users SET password_hash = $1 WHERE id = $2`, hash, userID); err != nil {
			return err
		}
		return endSessions(ctx, tx, userID, keepSession)
	})
}

// attemptSpend is the SQLite store's statement, the same rule: one attempt of the
// budget under key $1 at now $3, unless $4 failures follow each other, each less
// than the lockout before the next, and the last is after $2 (now minus the
// lockout). It changes no row when the budget is spent.
const attemptSpend = `INSERT INTO attempts (key, failures, last_failure) VALUES ($1, 1, $3)
	ON CONFLICT (key) DO UPDATE SET
		failures = CASE WHEN attempts.last_failure <= $2 THEN 1 ELSE attempts.failures + 1 END,
		last_failure = $3
	WHERE attempts.failures < $4 OR attempts.last_failure <= $2`

func (s *Store) BeginAttempt(ctx context.Context, key int64, maxAttempts int, lockout time.Duration, now time.Time) (bool, time.Duration, error) {
	ok, err := s.once(ctx, attemptSpend, key, now.Add(-lockout).Unix(), now.Unix(), maxAttempts)
	if err != nil || ok {
		return ok, 0, err
	}
	left, err := s.lockedFor(ctx, key, lockout, now)
	return false, left, err
}

// lockedFor is how long a spent budget stays spent.
func (s *Store) lockedFor(ctx context.Context, key int64, lockout time.Duration, now time.Time) (time.Duration, error) {
	var last int64
	if err := s.pool.QueryRow(ctx, `SELECT last_failure FROM attempts WHERE key = $1`, key).Scan(&last); err != nil {
		return 0, err
	}
	return max(time.Unix(last, 0).Add(lockout).Sub(now), time.Second), nil
}

func (s *Store) ReleaseAttempt(ctx context.Context, key int64) error {
	return s.exec(ctx, `UPDATE attempts SET failures = GREATEST(failures - 1, 0) WHERE key = $1`, key)
}

func (s *Store) ClearAttempts(ctx context.Context, key int64) error {
	return s.exec(ctx, `DELETE FROM attempts WHERE key = $1`, key)
}

const (
	stepUse   = `UPDATE users SET last_step = $1 WHERE id = $2 AND last_step < $1`
	backupUse = `UPDATE backup_codes SET used = true WHERE user_id = $1 AND hash = $2 AND NOT used`
)

func (s *Store) UseStep(ctx context.Context, userID, step int64) (bool, error) {
	return s.once(ctx, stepUse, step, userID)
}

func (s *Store) UseBackupCode(ctx context.Context, userID int64, hash string) (bool, error) {
	return s.once(ctx, backupUse, userID, hash)
}

func (s *Store) BackupCodesLeft(ctx context.Context, userID int64) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT COUNT(*) FROM backup_codes WHERE user_id = $1 AND NOT used`, userID).Scan(&n)
	return n, err
}

func (s *Store) ReplaceBackupCodes(ctx context.Context, userID int64, codeHashes []string, mails ...store.Mail) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		if err := replaceCodes(ctx, tx, userID, codeHashes); err != nil {
			return err
		}
		return queueMails(ctx, tx, time.Now(), mails)
	})
}

func replaceCodes(ctx context.Context, tx pgx.Tx, userID int64, hashes []string) error {
	if _, err := tx.Exec(ctx, `DELETE FROM backup_codes WHERE user_id = $1`, userID); err != nil {
		return err
	}
	if len(hashes) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `INSERT INTO backup_codes (user_id, hash) SELECT $1, unnest($2::text[])`, userID, hashes)
	return err
}

func (s *Store) SetPending(ctx context.Context, userID int64, mfa bool, secretEnc []byte, session string, expires time.Time) (bool, error) {
	return s.once(ctx, `UPDATE users SET pending_enc = $1, pending_expires = $2, pending_session = $3
		WHERE id = $4 AND mfa = $5`, secretEnc, expires.Unix(), session, userID, mfa)
}

func (s *Store) Pending(ctx context.Context, userID int64, session string, now time.Time) ([]byte, error) {
	var enc []byte
	var expires int64
	var owner string
	err := s.pool.QueryRow(ctx, `SELECT pending_enc, pending_expires, pending_session FROM users WHERE id = $1`, userID).Scan(&enc, &expires, &owner)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil || now.Unix() >= expires || owner != session {
		return nil, err
	}
	return enc, nil
}

func (s *Store) ConfirmEnrollment(ctx context.Context, wasMFA bool, e store.Enrolled, mails ...store.Mail) (bool, error) {
	var ok bool
	err := s.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE users SET mfa = true, secret_enc = $1, last_step = $2,
			pending_enc = NULL, pending_expires = 0, pending_session = '', enrolled_at = $5
			WHERE id = $3 AND mfa = $4 AND pending_enc = $1`, e.SecretEnc, e.Step, e.UserID, wasMFA, e.At.Unix())
		if ok = err == nil && tag.RowsAffected() == 1; !ok {
			return err
		}
		if err := replaceCodes(ctx, tx, e.UserID, e.CodeHashes); err != nil {
			return err
		}
		if err := endSessions(ctx, tx, e.UserID, ""); err != nil {
			return err
		}
		if _, err = tx.Exec(ctx, `INSERT INTO sessions (hash, user_id, complete, expires) VALUES ($1, $2, true, $3)`,
			e.Session, e.UserID, e.Expires.Unix()); err != nil {
			return err
		}
		return queueMails(ctx, tx, e.At, mails)
	})
	return ok && err == nil, err
}

func (s *Store) DisableMFA(ctx context.Context, userID int64, keep string, mails ...store.Mail) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		if err := disableMFA(ctx, tx, userID, keep); err != nil {
			return err
		}
		return queueMails(ctx, tx, time.Now(), mails)
	})
}

// disableMFA forgets the user's secret, pending enrollment, backup codes,
// remembered devices and every session but keep.
func disableMFA(ctx context.Context, tx pgx.Tx, userID int64, keep string) error {
	if _, err := tx.Exec(ctx, `UPDATE users SET mfa = false, secret_enc = NULL, last_step = -1, enrolled_at = 0,
		pending_enc = NULL, pending_expires = 0, pending_session = '' WHERE id = $1`, userID); err != nil {
		return err
	}
	if err := replaceCodes(ctx, tx, userID, nil); err != nil {
		return err
	}
	return endSessions(ctx, tx, userID, keep)
}

// endSessions deletes the user's remembered devices and every session but keep.
func endSessions(ctx context.Context, tx pgx.Tx, userID int64, keep string) error {
	if _, err := tx.Exec(ctx, `DELETE FROM devices WHERE user_id = $1`, userID); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1 AND hash <> $2`, userID, keep)
	return err
}

func (s *Store) CreateSession(ctx context.Context, hash string, userID int64, full bool, expires time.Time, old string) error {
	if old == "" {
		return s.exec(ctx, `INSERT INTO sessions (hash, user_id, complete, expires) VALUES ($1, $2, $3, $4)`,
			hash, userID, full, expires.Unix())
	}
	return s.exec(ctx, `WITH gone AS (DELETE FROM sessions WHERE hash = $5)
		INSERT INTO sessions (hash, user_id, complete, expires) VALUES ($1, $2, $3, $4)`,
		hash, userID, full, expires.Unix(), old)
}

func (s *Store) SessionByHash(ctx context.Context, hash string, now time.Time) (store.Session, bool, error) {
	var se store.Session
	var expires int64
	err := s.pool.QueryRow(ctx, `SELECT user_id, complete, expires FROM sessions WHERE hash = $1`, hash).Scan(&se.UserID, &se.Full, &expires)
	if errors.Is(err, pgx.ErrNoRows) || err == nil && now.Unix() >= expires {
		return se, false, nil
	}
	return se, err == nil, err
}

func (s *Store) DeleteSession(ctx context.Context, hash string) error {
	return s.exec(ctx, `DELETE FROM sessions WHERE hash = $1`, hash)
}

func (s *Store) RememberDevice(ctx context.Context, hash string, userID int64, expires time.Time, mails ...store.Mail) error {
	if len(mails) == 0 {
		return s.exec(ctx, `INSERT INTO devices (hash, user_id, expires) VALUES ($1, $2, $3)`, hash, userID, expires.Unix())
	}
	return s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO devices (hash, user_id, expires) VALUES ($1, $2, $3)`,
			hash, userID, expires.Unix()); err != nil {
			return err
		}
		return queueMails(ctx, tx, time.Now(), mails)
	})
}

func (s *Store) DeviceRemembered(ctx context.Context, hash string, userID int64, now time.Time) (bool, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT COUNT(*) FROM devices WHERE hash = $1 AND user_id = $2 AND expires > $3`,
		hash, userID, now.Unix()).Scan(&n)
	return n == 1, err
}

func (s *Store) AddToken(ctx context.Context, name, hash string, now time.Time) error {
	ok, err := s.once(ctx, `INSERT INTO app_tokens (name, hash, created) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING`,
		name, hash, now.Unix())
	if err == nil && !ok {
		err = store.ErrExists
	}
	if err != nil {
		return fmt.Errorf("adding token %s: %w", name, err)
	}
	return nil
}

func (s *Store) Tokens(ctx context.Context) ([]store.Token, error) {
	rows, err := s.pool.Query(ctx, `SELECT name, created FROM app_tokens ORDER BY name`)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Token, error) {
		var tk store.Token
		var created int64
		err := r.Scan(&tk.Name, &created)
		tk.Created = time.Unix(created, 0).UTC()
		return tk, err
	})
	if out == nil {
		out = []store.Token{}
	}
	return out, err
}

func (s *Store) RevokeToken(ctx context.Context, name string) error {
	ok, err := s.once(ctx, `DELETE FROM app_tokens WHERE name = $1`, name)
	if err == nil && !ok {
		err = store.ErrNoToken
	}
	return err
}

func (s *Store) Audit(ctx context.Context, now time.Time, userID int64, event, addr, detail string) error {
	return s.auditRow(context.WithoutCancel(ctx), now.Unix(), userID, event, addr, detail, 1)
}

func (s *Store) auditRow(ctx context.Context, at, userID int64, event, addr, detail string, count int64) error {
	var uid *int64
	if userID != 0 {
		uid = &userID
	}
	return s.exec(ctx, `INSERT INTO audit (at, user_id, event, addr, detail, count) VALUES ($1, $2, $3, $4, $5, $6)`,
		at, uid, event, addr, detail, count)
}

func (s *Store) AuditRefused(now time.Time, userID int64, event, addr, detail string) {
	s.refusals.Add(now, userID, event, addr, detail)
}

// FlushAudit writes the refusals counted; every other audit row is written
// before its call returns.
func (s *Store) FlushAudit() { s.refusals.Flush(time.Time{}) }

// auditBatch is how many audit events one statement of Sweep deletes.
const auditBatch = 5000

func (s *Store) Sweep(ctx context.Context, now time.Time, lockout time.Duration, auditBefore time.Time) (store.Swept, error) {
	var n store.Swept
	err := s.tx(ctx, func(tx pgx.Tx) error {
		for _, q := range []struct {
			count *int64
			sql   string
			arg   int64
		}{
			{&n.Sessions, `DELETE FROM sessions WHERE expires <= $1`, now.Unix()},
			{&n.Devices, `DELETE FROM devices WHERE expires <= $1`, now.Unix()},
			{&n.Attempts, `DELETE FROM attempts WHERE last_failure <= $1`, now.Add(-lockout).Unix()},
			{&n.Addrs, `DELETE FROM addr_limits WHERE since <= $1`, now.Add(-lockout).Unix()},
			{&n.Pending, `UPDATE users SET pending_enc = NULL, pending_expires = 0, pending_session = ''
				WHERE pending_enc IS NOT NULL AND pending_expires <= $1`, now.Unix()},
		} {
			tag, err := tx.Exec(ctx, q.sql, q.arg)
			if err != nil {
				return err
			}
			*q.count = tag.RowsAffected()
		}
		return nil
	})
	for err == nil && !auditBefore.IsZero() {
		var tag pgconn.CommandTag
		tag, err = s.pool.Exec(ctx, `DELETE FROM audit WHERE id IN
			(SELECT id FROM audit WHERE at < $1 ORDER BY id LIMIT $2)`, auditBefore.Unix(), auditBatch)
		n.Audit += tag.RowsAffected()
		if tag.RowsAffected() < auditBatch {
			break
		}
	}
	if err != nil {
		return n, fmt.Errorf("removing expired records: %w", err)
	}
	return n, nil
}
