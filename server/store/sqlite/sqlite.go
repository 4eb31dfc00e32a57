// Package sqlite is the enrollment server's embedded store: store.Store on SQLite
// (modernc.org/sqlite, pure Go) in WAL mode.
//
// Reads run in parallel on a small pool. Every write goes through one goroutine
// that owns the one writing connection and commits the writes queued at the
// moment together: each caller waits until its own write is committed (or
// failed; a write that fails is retried alone, so its failure is its own), but a
// burst of concurrent writes (failed attempts under a brute-force run, their audit
// events) shares a handful of commits instead of queueing for one each. The
// writer talks to the driver directly, with statements prepared once: what
// database/sql adds per statement (a goroutine per query inside a transaction,
// wrappers, locks) cost more than SQLite's own work on this path. Audit events join
// the next commit without their caller waiting; Close writes what is queued.
// Verify, the hot path, is one such write, with the tokens and users it reads
// kept by the writer between writes (see wtx).
package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"runtime"
	"sort"
	"sync"
	"time"

	_ "modernc.org/sqlite" // pure Go SQLite

	"github.com/wardauth/ward/server/store"
)

// Store is store.Store on SQLite.
type Store struct {
	db     *sql.DB  // reads, in parallel (WAL)
	w      *sql.DB  // the writer's connection (one)
	reads  sync.Map // query -> *sql.Stmt on db
	ops    chan *writeOp
	mu     sync.RWMutex // held for reading while queueing a write; Close takes it
	closed bool
	done   chan struct{}

	closeOnce sync.Once

	refusals *store.Refusals
}

// writeOp is one caller's write: f runs inside a group's transaction; done gets its
// outcome after the commit (nil done: nobody waits, as for audit events).
type writeOp struct {
	f    func(*wtx) error
	done chan error
	// keepsCache: f changes no user or token except through the writer's cache
	// (Verify), or none at all (audit events). Any other write empties the cache.
	keepsCache bool
}

// rawConn is what the writer needs of the driver's connection.
type rawConn interface {
	driver.ConnPrepareContext
	driver.ExecerContext
}

// wtx is the writer: its connection, its prepared statements, and the open
// transaction.
type wtx struct {
	c     rawConn
	stmts map[string]driver.Stmt
	err   error // the connection could not be had: every write fails with it

	// What Verify reads, kept between its writes: tokens by MAC, enrolled users by
	// name, exactly as committed. Emptied by any other write of this process, by
	// a rollback, and when another connection (ward admin, another process) has
	// committed since (PRAGMA data_version, read once the write lock is held, so
	// nothing can change under it).
	tokens  map[string]string
	users   map[string]*store.User
	version int64
}

func (t *wtx) forget() {
	clear(t.tokens)
	clear(t.users)
}

// maxGroup bounds how many writes share one commit.
const maxGroup = 512

// linger is how long the writer waits for more writes after a group of several:
// under load a commit shared by four times as many writes is worth far more than
// the fraction of a millisecond; a lone write (no load) never waits.
const linger = 200 * time.Microsecond

// errClosed: a write after Close.
var errClosed = errors.New("the database is closed")

//go:embed migrations/*.sql
var migrations embed.FS

// Open opens (creating if needed) the SQLite database at path, in WAL mode with
// a busy timeout, so another process's writes (ward admin) are waited for, and
// brings its schema up to date. The file is made (or put back) readable by its
// owner only; SQLite gives its WAL and shared-memory files the same mode.
func Open(path string) (*Store, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening the database: %w", err)
	}
	err = f.Chmod(0o600)
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("opening the database: %w", err)
	}
	for _, side := range []string{"-wal", "-shm"} { // left by an older Ward, maybe 0644
		if err := os.Chmod(path+side, 0o600); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("opening the database: %w", err)
		}
	}
	// WAL with synchronous=NORMAL: a commit is durable once the WAL is synced at a
	// checkpoint, not at every commit; an application crash loses nothing, a power
	// cut at most the last moments. Without it every failed attempt waits for a disk
	// flush, and a brute-force burst becomes a denial of service.
	dsn := "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("opening the database: %w", err)
	}
	if err := migrate(db); err != nil {
		db.Close()
		return nil, err
	}
	// Reads are CPU work: a few connections, kept open (database/sql keeps only two
	// idle by default, and opening a SQLite connection is costly).
	n := 2*runtime.GOMAXPROCS(0) + 2
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	db.SetConnMaxIdleTime(0)
	w, err := sql.Open("sqlite", dsn)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("opening the database: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	s := &Store{db: db, w: w, ops: make(chan *writeOp, 4096), done: make(chan struct{})}
	s.refusals = store.NewRefusals(func(r store.AuditRow) error {
		return s.auditRow(r.At.Unix(), r.UserID, r.Event, r.Addr, r.Detail, r.Count)
	})
	go s.writer()
	return s, nil
}

// SchemaVersion is the schema version this Ward writes: the number of the last
// file in migrations/.
func SchemaVersion() int {
	names, _ := fs.Glob(migrations, "migrations/*.sql")
	return len(names)
}

// migrate applies the numbered files of migrations/ that the database has
// not had yet, each in its own transaction with its number recorded in
// schema_migrations; two processes opening one database at once apply each once
// (the write lock is taken first). A database newer than this Ward is refused.
func migrate(db *sql.DB) error {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("opening the database: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, applied INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("reading the schema version: %w", err)
	}
	for {
		done, err := migrateOne(ctx, conn, names)
		if err != nil || done {
			return err
		}
	}
}

// migrateOne applies the next migration; done when there is none.
func migrateOne(ctx context.Context, conn *sql.Conn, names []string) (done bool, err error) {
	tx, err := conn.BeginTx(ctx, nil) // BEGIN IMMEDIATE (_txlock): the write lock first
	if err != nil {
		return false, fmt.Errorf("updating the database schema: %w", err)
	}
	defer tx.Rollback()
	var version int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&version); err != nil {
		return false, fmt.Errorf("reading the schema version: %w", err)
	}
	if version > len(names) {
		return false, fmt.Errorf("the database has schema version %d, newer than this Ward knows (%d): update Ward", version, len(names))
	}
	if version == len(names) {
		return true, nil
	}
	q, err := fs.ReadFile(migrations, names[version])
	if err != nil {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, string(q)); err != nil {
		return false, fmt.Errorf("updating the database schema to version %d: %w", version+1, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied) VALUES ($1, $2)`,
		version+1, time.Now().Unix()); err != nil {
		return false, err
	}
	return false, tx.Commit()
}

// Close commits the writes still queued (audit events and the refusals counted),
// then closes the database.
func (s *Store) Close() error {
	var err error
	s.closeOnce.Do(func() {
		s.refusals.Close()
		s.mu.Lock()
		s.closed = true
		close(s.ops)
		s.mu.Unlock()
		<-s.done
		s.reads.Range(func(_, st any) bool { st.(*sql.Stmt).Close(); return true })
		s.w.Close()
		err = s.db.Close()
	})
	return err
}

// FlushAudit waits until every audit event queued before it is written, the
// refusals counted so far included.
func (s *Store) FlushAudit() {
	s.refusals.Flush(time.Time{})
	s.write(context.Background(), func(*wtx) error { return nil })
}

// write runs f in the writer goroutine, in a transaction shared with the other
// writes queued at the same time, and returns once it is committed. When f fails,
// nothing it did is kept (the group is rolled back and each write retried alone), so
// f must only set its results, never act on them.
func (s *Store) write(ctx context.Context, f func(*wtx) error) error {
	return s.await(ctx, &writeOp{f: f})
}

// await queues op and waits for its outcome.
func (s *Store) await(ctx context.Context, op *writeOp) error {
	op.done = make(chan error, 1)
	if err := s.queue(ctx, op); err != nil {
		return err
	}
	return <-op.done // once queued it runs, even if ctx ends: wait for the truth
}

func (s *Store) queue(ctx context.Context, op *writeOp) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return errClosed
	}
	select {
	case s.ops <- op:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// writer commits the queued writes, in groups, on its own connection.
func (s *Store) writer() {
	defer close(s.done)
	t := &wtx{stmts: map[string]driver.Stmt{}, tokens: map[string]string{}, users: map[string]*store.User{}}
	conn, err := s.w.Conn(context.Background())
	if err != nil {
		t.err = fmt.Errorf("opening the database for writing: %w", err)
		s.loop(t)
		return
	}
	defer conn.Close()
	err = conn.Raw(func(dc any) error {
		c, ok := dc.(rawConn)
		if !ok {
			t.err = errors.New("the SQLite driver cannot prepare statements")
		}
		t.c = c
		s.loop(t)
		for _, st := range t.stmts {
			st.Close()
		}
		return nil
	})
	if err != nil { // Raw could not run: answer what is queued
		t.err = err
		s.loop(t)
	}
}

func (s *Store) loop(t *wtx) {
	group := make([]*writeOp, 0, maxGroup)
	drain := func() bool {
		for len(group) < maxGroup {
			select {
			case op, ok := <-s.ops:
				if !ok {
					return false
				}
				group = append(group, op)
			default:
				return true
			}
		}
		return true
	}
	prev := 0
	for op := range s.ops {
		group = append(group[:0], op)
		if drain() && prev > 1 && len(group) < maxGroup {
			time.Sleep(linger)
			drain()
		}
		prev = len(group)
		s.commit(t, group)
	}
}

var errRetryAlone = errors.New("retry alone")

func (s *Store) commit(t *wtx, group []*writeOp) {
	var failed error
	err := t.run(func(t *wtx) error {
		for _, op := range group {
			if failed = t.apply(op); failed != nil {
				return errRetryAlone
			}
		}
		return nil
	})
	switch {
	case err == nil:
		for _, op := range group {
			reply(op, nil)
		}
	case len(group) == 1:
		if err == errRetryAlone {
			err = failed
		}
		reply(group[0], err)
	default: // one write failed, or the commit did: each alone, so a failure is its own
		for _, op := range group {
			reply(op, t.run(func(t *wtx) error { return t.apply(op) }))
		}
	}
}

func reply(op *writeOp, err error) {
	if op.done != nil {
		op.done <- err
	} else if err != nil {
		slog.Error("an audit event could not be written", "err", err)
	}
}

// run is one transaction.
func (t *wtx) run(f func(*wtx) error) error {
	if t.err != nil {
		return t.err
	}
	if _, err := t.exec(`BEGIN IMMEDIATE`); err != nil {
		return err
	}
	var version int64
	err := t.queryRow(`PRAGMA data_version`, []any{&version})
	if err == nil {
		if version != t.version {
			t.forget()
			t.version = version
		}
		err = f(t)
	}
	if err == nil {
		if _, err = t.exec(`COMMIT`); err == nil {
			return nil
		}
	}
	t.exec(`ROLLBACK`)
	t.forget()
	return err
}

// apply runs one write, emptying the cache after a write that may change what it holds.
func (t *wtx) apply(op *writeOp) error {
	err := op.f(t)
	if !op.keepsCache {
		t.forget()
	}
	return err
}

func named(args []any) ([]driver.NamedValue, error) {
	nv := make([]driver.NamedValue, len(args))
	for i, a := range args {
		v, err := driver.DefaultParameterConverter.ConvertValue(a)
		if err != nil {
			return nil, err
		}
		nv[i] = driver.NamedValue{Ordinal: i + 1, Value: v}
	}
	return nv, nil
}

// prepared returns the statement for q, prepared once per connection, and args as
// the driver takes them.
func (t *wtx) prepared(q string, args []any) (driver.Stmt, []driver.NamedValue, error) {
	st := t.stmts[q]
	if st == nil {
		var err error
		if st, err = t.c.PrepareContext(context.Background(), q); err != nil {
			return nil, nil, err
		}
		t.stmts[q] = st
	}
	nv, err := named(args)
	return st, nv, err
}

func (t *wtx) exec(q string, args ...any) (driver.Result, error) {
	st, nv, err := t.prepared(q, args)
	if err != nil {
		return nil, err
	}
	return st.(driver.StmtExecContext).ExecContext(context.Background(), nv)
}

// affected runs q and returns how many rows it changed.
func (t *wtx) affected(q string, args ...any) (int64, error) {
	r, err := t.exec(q, args...)
	if err != nil {
		return 0, err
	}
	return r.RowsAffected()
}

// queryRow runs q and scans its first row into dest (sql.ErrNoRows when none).
func (t *wtx) queryRow(q string, dest []any, args ...any) error {
	st, nv, err := t.prepared(q, args)
	if err != nil {
		return err
	}
	rows, err := st.(driver.StmtQueryContext).QueryContext(context.Background(), nv)
	if err != nil {
		return err
	}
	defer rows.Close()
	vals := make([]driver.Value, len(rows.Columns()))
	if err := rows.Next(vals); errors.Is(err, io.EOF) {
		return sql.ErrNoRows
	} else if err != nil {
		return err
	}
	if len(dest) != len(vals) {
		return fmt.Errorf("%d columns into %d values", len(vals), len(dest))
	}
	for i, v := range vals {
		if err := assign(dest[i], v); err != nil {
			return fmt.Errorf("column %d: %w", i, err)
		}
	}
	return nil
}

// query runs q inside the write and calls row for each row, its columns stored in
// dest first.
func (t *wtx) query(q string, dest []any, row func() error, args ...any) error {
	st, nv, err := t.prepared(q, args)
	if err != nil {
		return err
	}
	rows, err := st.(driver.StmtQueryContext).QueryContext(context.Background(), nv)
	if err != nil {
		return err
	}
	defer rows.Close()
	vals := make([]driver.Value, len(rows.Columns()))
	for {
		if err := rows.Next(vals); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return err
		}
		for i, v := range vals {
			if err := assign(dest[i], v); err != nil {
				return fmt.Errorf("column %d: %w", i, err)
			}
		}
		if err := row(); err != nil {
			return err
		}
	}
}

// assign stores a driver value in one of the few kinds of destination the writer uses.
func assign(dest any, v driver.Value) error {
	if sc, ok := dest.(sql.Scanner); ok { // sql.NullInt64 and kin
		return sc.Scan(v)
	}
	switch d := dest.(type) {
	case *int64:
		if x, ok := v.(int64); ok {
			*d = x
			return nil
		}
	case *int:
		if x, ok := v.(int64); ok {
			*d = int(x)
			return nil
		}
	case *bool:
		switch x := v.(type) {
		case int64:
			*d = x != 0
			return nil
		case bool:
			*d = x
			return nil
		}
	case *string:
		switch x := v.(type) {
		case nil:
			*d = ""
			return nil
		case string:
			*d = x
			return nil
		case []byte:
			*d = string(x)
			return nil
		}
	case *[]byte:
		switch x := v.(type) {
		case nil:
			*d = nil
			return nil
		case []byte:
			*d = bytes.Clone(x)
			return nil
		case string:
			*d = []byte(x)
			return nil
		}
	}
	return fmt.Errorf("cannot store %T in %T", v, dest)
}

// queryRow runs a read on the pool, prepared once per connection.
func (s *Store) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	st, ok := s.reads.Load(q)
	if !ok {
		p, err := s.db.PrepareContext(ctx, q)
		if err != nil {
			return s.db.QueryRowContext(ctx, q, args...) // carries the error
		}
		var loaded bool
		if st, loaded = s.reads.LoadOrStore(q, p); loaded {
			p.Close()
		}
	}
	return st.(*sql.Stmt).QueryRowContext(ctx, args...)
}

// CreateUser adds a user; store.ErrExists when the name is taken.
func (s *Store) CreateUser(ctx context.Context, name, email, passwordHash string, admin bool, now time.Time) (int64, error) {
	var id int64
	err := s.write(ctx, func(t *wtx) error {
		id = 0
		r, err := t.exec(`INSERT INTO users (name, email, password_hash, admin, created) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (name) DO NOTHING`, name, email, passwordHash, admin, now.Unix())
		if err != nil {
			return err
		}
		if n, err := r.RowsAffected(); err != nil || n == 0 {
			return err
		}
		id, err = r.LastInsertId()
		return err
	})
	if err == nil && id == 0 {
		err = store.ErrExists
	}
	if err != nil {
		return 0, fmt.Errorf("adding user %s: %w", name, err)
	}
	return id, nil
}

const userColumns = `SELECT id, name, email, password_hash, admin, disabled, mfa, secret_enc, last_step, lang, browser_lang FROM users`

func scanUser(r *sql.Row) (store.User, error) {
	var u store.User
	err := r.Scan(&u.ID, &u.Name, &u.Email, &u.PasswordHash, &u.Admin, &u.Disabled, &u.MFA, &u.SecretEnc, &u.LastStep, &u.Lang, &u.BrowserLang)
	if errors.Is(err, sql.ErrNoRows) {
		return u, store.ErrNoUser
	}
	return u, err
}

// UserByName returns a user, or store.ErrNoUser.
func (s *Store) UserByName(ctx context.Context, name string) (store.User, error) {
	return scanUser(s.queryRow(ctx, userColumns+` WHERE name = $1`, name))
}

// UserByID returns a user, or store.ErrNoUser.
func (s *Store) UserByID(ctx context.Context, id int64) (store.User, error) {
	return scanUser(s.queryRow(ctx, userColumns+` WHERE id = $1`, id))
}

// attemptSpend spends one attempt of the budget kept under key $1 (the MAC of
// the name typed), now $3, unless $4 failures follow each other, each less than
// the lockout before the next, and the last is less than the lockout old ($2 is
// now minus the lockout). One statement for every name, known or not: a name
// that does not exist is refused exactly like one that does. It changes no row
// when the budget is spent.
const attemptSpend = `INSERT INTO attempts (key, failures, last_failure) VALUES ($1, 1, $3)
	ON CONFLICT (key) DO UPDATE SET
		failures = CASE WHEN attempts.last_failure <= $2 THEN 1 ELSE attempts.failures + 1 END,
		last_failure = $3
	WHERE attempts.failures < $4 OR attempts.last_failure <= $2`

// BeginAttempt spends one attempt of the budget under key (the MAC of a name)
// before a password or code is checked: it fails (locked, with the time left) when
// maxAttempts attempts failed, each within lockout of the one before, and the
// last is less than lockout old. Parallel guesses each spend their own attempt, so
// no more than maxAttempts are ever evaluated. ClearAttempts gives the budget back
// after a success, ReleaseAttempt one attempt that was no failure.
func (s *Store) BeginAttempt(ctx context.Context, key int64, maxAttempts int, lockout time.Duration, now time.Time) (bool, time.Duration, error) {
	var left time.Duration
	err := s.write(ctx, func(t *wtx) error {
		var err error
		left, err = t.spend(key, maxAttempts, lockout, now)
		return err
	})
	return err == nil && left == 0, left, err
}

// spend is BeginAttempt inside a write: 0, or the time the budget stays spent.
func (t *wtx) spend(key int64, maxAttempts int, lockout time.Duration, now time.Time) (time.Duration, error) {
	n, err := t.affected(attemptSpend, key, now.Add(-lockout).Unix(), now.Unix(), maxAttempts)
	if err != nil || n == 1 {
		return 0, err
	}
	var last int64
	if err := t.queryRow(`SELECT last_failure FROM attempts WHERE key = $1`, []any{&last}, key); err != nil {
		return 0, err
	}
	return max(time.Unix(last, 0).Add(lockout).Sub(now), time.Second), nil
}

// ReleaseAttempt gives back one attempt that was no failure: a correct password
// (the sign-in is not complete until the code), or a check that could not run
// (the server busy, the client gone).
func (s *Store) ReleaseAttempt(ctx context.Context, key int64) error {
	return s.exec(ctx, `UPDATE attempts SET failures = MAX(failures - 1, 0) WHERE key = $1`, key)
}

// ClearAttempts ends a streak of failures: the sign-in or check succeeded.
func (s *Store) ClearAttempts(ctx context.Context, key int64) error {
	return s.exec(ctx, attemptsClear, key)
}

// Verify is the hot path of applications checking codes, all of it one write
// shared with the writes of the moment: the token and the user (from the writer's
// cache, or one SELECT each), one attempt of the budget spent (for a name that
// does not exist or is not enrolled too, so that it answers alike), the code
// checked (a TOTP step used once, or a backup code spent), the failures cleared on
// success, and the audit event of a real user, atomically. A refusal (Locked) is
// audited by the caller, in aggregate.
func (s *Store) Verify(ctx context.Context, c store.VerifyCheck) (store.VerifyResult, error) {
	var v store.VerifyResult
	err := s.await(ctx, &writeOp{keepsCache: true, f: func(t *wtx) error {
		var err error
		v, err = t.verify(c)
		return err
	}})
	return v, err
}

func (t *wtx) verify(c store.VerifyCheck) (v store.VerifyResult, err error) {
	if v.App, err = t.token(c.TokenMAC); v.App == "" || err != nil {
		return v, err
	}
	u, err := t.user(c.Username)
	if err != nil {
		return v, err
	}
	if u != nil {
		v.User = *u
	}
	if v.Locked, err = t.spend(c.AttemptKey, c.MaxAttempts, c.Lockout, c.Now); v.Locked > 0 || err != nil || u == nil {
		return v, err
	}
	var n, step int64
	var totp bool
	if c.BackupHash != "" {
		n, err = t.affected(backupUse, u.ID, c.BackupHash)
	} else if step, totp, err = c.TOTP(*u); totp {
		n, err = t.affected(stepUse, step, u.ID)
	}
	if err != nil {
		return v, err
	}
	event := "verify_failed"
	if v.Valid = n == 1; v.Valid {
		if totp {
			u.LastStep = step
		}
		if _, err := t.exec(attemptsClear, c.AttemptKey); err != nil {
			return v, err
		}
		event = "verified"
	}
	_, err = t.exec(auditInsert, c.Now.Unix(), u.ID, event, c.Addr, v.App, 1)
	return v, err
}

// token is the name of the application token with this MAC, "" if none.
func (t *wtx) token(mac string) (string, error) {
	if name, ok := t.tokens[mac]; ok {
		return name, nil
	}
	var name string
	err := t.queryRow(`SELECT name FROM app_tokens WHERE hash = $1`, []any{&name}, mac)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil // not kept: a token made later must work at once
	} else if err != nil {
		return "", err
	}
	if len(t.tokens) < maxCached {
		t.tokens[mac] = name
	}
	return name, nil
}

// user is the enrolled user of this name, nil if none.
func (t *wtx) user(name string) (*store.User, error) {
	if u := t.users[name]; u != nil {
		return u, nil
	}
	u := &store.User{}
	err := t.queryRow(`SELECT id, name, mfa AND NOT disabled, secret_enc, last_step FROM users WHERE name = $1`,
		[]any{&u.ID, &u.Name, &u.MFA, &u.SecretEnc, &u.LastStep}, name)
	if errors.Is(err, sql.ErrNoRows) || err == nil && !u.MFA {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	if len(t.users) >= maxCached {
		t.forget()
	}
	t.users[name] = u
	return u, nil
}

// maxCached bounds the writer's cache of users and tokens.
const maxCached = 100_000

// The statements shared by several writes.
const (
	auditInsert   = `INSERT INTO audit (at, user_id, event, addr, detail, count) VALUES ($1, $2, $3, $4, $5, $6)`
	backupUse     = `UPDATE backup_codes SET used = 1 WHERE user_id = $1 AND hash = $2 AND used = 0`
	stepUse       = `UPDATE users SET last_step = $1 WHERE id = $2 AND last_step < $1`
	attemptsClear = `DELETE FROM attempts WHERE key = $1`
)

// exec is a write of one statement.
func (s *Store) exec(ctx context.Context, q string, args ...any) error {
	return s.write(ctx, func(t *wtx) error {
		_, err := t.exec(q, args...)
		return err
	})
}

// once runs a conditional write and reports whether it changed exactly one row.
func (s *Store) once(ctx context.Context, q string, args ...any) (bool, error) {
	var n int64
	err := s.write(ctx, func(t *wtx) error {
		var err error
		n, err = t.affected(q, args...)
		return err
	})
	return n == 1, err
}

// UseStep records that a TOTP step was used, only if it is later than the last one:
// of two requests with one code, exactly one gets true.
func (s *Store) UseStep(ctx context.Context, userID, step int64) (bool, error) {
	return s.once(ctx, stepUse, step, userID)
}

// UseBackupCode spends a backup code (by its hash), once.
func (s *Store) UseBackupCode(ctx context.Context, userID int64, hash string) (bool, error) {
	return s.once(ctx, backupUse, userID, hash)
}

// BackupCodesLeft counts a user's unused backup codes.
func (s *Store) BackupCodesLeft(ctx context.Context, userID int64) (int, error) {
	var n int
	err := s.queryRow(ctx, `SELECT COUNT(*) FROM backup_codes WHERE user_id = $1 AND used = 0`, userID).Scan(&n)
	return n, err
}

// SetPending stores an enrollment's secret, for the session (by its MAC) that
// started it, until it is confirmed or expires. It changes nothing and returns
// false unless the user's two-factor state is mfa: a first enrollment needs it
// off, a move to a new phone on.
func (s *Store) SetPending(ctx context.Context, userID int64, mfa bool, secretEnc []byte, session string, expires time.Time) (bool, error) {
	return s.once(ctx, `UPDATE users SET pending_enc = $1, pending_expires = $2, pending_session = $3
		WHERE id = $4 AND mfa = $5`, secretEnc, expires.Unix(), session, userID, mfa)
}

// Pending returns the user's unexpired pending enrollment secret if the session
// (by its MAC) started it, or nil.
func (s *Store) Pending(ctx context.Context, userID int64, session string, now time.Time) ([]byte, error) {
	var enc []byte
	var expires int64
	var owner string
	err := s.queryRow(ctx, `SELECT pending_enc, pending_expires, pending_session FROM users WHERE id = $1`, userID).Scan(&enc, &expires, &owner)
	if err != nil || now.Unix() >= expires || owner != session {
		return nil, err
	}
	return enc, nil
}

// ConfirmEnrollment makes the pending secret the user's, in one transaction: only
// if it is still the pending one and the two-factor state is still wasMFA (off for
// a first enrollment, on for a move to a new phone), else it changes nothing and
// returns false. The old backup codes die with every session and remembered
// device of the user; e.Session is the one session left.
func (s *Store) ConfirmEnrollment(ctx context.Context, wasMFA bool, e store.Enrolled, mails ...store.Mail) (bool, error) {
	var ok bool
	err := s.write(ctx, func(t *wtx) error {
		n, err := t.affected(`UPDATE users SET mfa = 1, secret_enc = $1, last_step = $2,
			pending_enc = NULL, pending_expires = 0, pending_session = '', enrolled_at = $5
			WHERE id = $3 AND mfa = $4 AND pending_enc = $1`, e.SecretEnc, e.Step, e.UserID, wasMFA, e.At.Unix())
		if ok = n == 1; err != nil || !ok {
			return err
		}
		if err := t.replaceCodes(e.UserID, e.CodeHashes); err != nil {
			return err
		}
		if err := t.endSessions(e.UserID, ""); err != nil {
			return err
		}
		if _, err = t.exec(`INSERT INTO sessions (hash, user_id, complete, expires) VALUES ($1, $2, 1, $3)`,
			e.Session, e.UserID, e.Expires.Unix()); err != nil {
			return err
		}
		return t.queueMails(e.At, mails)
	})
	return ok, err
}

// ReplaceBackupCodes kills the old set and stores the new one.
func (s *Store) ReplaceBackupCodes(ctx context.Context, userID int64, codeHashes []string, mails ...store.Mail) error {
	return s.write(ctx, func(t *wtx) error {
		if err := t.replaceCodes(userID, codeHashes); err != nil {
			return err
		}
		return t.queueMails(time.Now(), mails)
	})
}

// DisableMFA forgets the secret, a pending enrollment, the backup codes, the
// remembered devices, and every session but keep (the MAC of the session that
// turned it off; "" for an admin's reset): the next enrollment starts from
// nothing, and nothing that was trusted with the old authenticator stays.
func (s *Store) DisableMFA(ctx context.Context, userID int64, keep string, mails ...store.Mail) error {
	return s.write(ctx, func(t *wtx) error {
		if err := t.disableMFA(userID, keep); err != nil {
			return err
		}
		return t.queueMails(time.Now(), mails)
	})
}

func (t *wtx) disableMFA(userID int64, keep string) error {
	if _, err := t.exec(`UPDATE users SET mfa = 0, secret_enc = NULL, last_step = -1, enrolled_at = 0,
		pending_enc = NULL, pending_expires = 0, pending_session = '' WHERE id = $1`, userID); err != nil {
		return err
	}
	if err := t.replaceCodes(userID, nil); err != nil {
		return err
	}
	return t.endSessions(userID, keep)
}

// endSessions deletes the user's remembered devices and every session but keep.
func (t *wtx) endSessions(userID int64, keep string) error {
	if _, err := t.exec(`DELETE FROM devices WHERE user_id = $1`, userID); err != nil {
		return err
	}
	_, err := t.exec(`DELETE FROM sessions WHERE user_id = $1 AND hash <> $2`, userID, keep)
	return err
}

func (t *wtx) replaceCodes(userID int64, hashes []string) error {
	if _, err := t.exec(`DELETE FROM backup_codes WHERE user_id = $1`, userID); err != nil {
		return err
	}
	for _, h := range hashes {
		if _, err := t.exec(`INSERT INTO backup_codes (user_id, hash) VALUES ($1, $2)`, userID, h); err != nil {
			return err
		}
	}
	return nil
}

// Audit records a security event. It is queued and committed with the writes of the
// moment (a burst of failures shares a few commits) without waiting; FlushAudit and
// Close wait for it. Nothing is dropped: Audit blocks while the queue is full.
func (s *Store) Audit(_ context.Context, now time.Time, userID int64, event, addr, detail string) error {
	return s.auditRow(now.Unix(), userID, event, addr, detail, 1)
}

func (s *Store) auditRow(at, userID int64, event, addr, detail string, count int64) error {
	var uid any
	if userID != 0 {
		uid = userID
	}
	return s.queue(context.Background(), &writeOp{keepsCache: true, f: func(t *wtx) error {
		_, err := t.exec(auditInsert, at, uid, event, addr, detail, count)
		return err
	}})
}

// AuditRefused counts a refused request in aggregate (store.Refusals).
func (s *Store) AuditRefused(now time.Time, userID int64, event, addr, detail string) {
	s.refusals.Add(now, userID, event, addr, detail)
}

// CreateSession stores a session by the hash of its token; replacing, when given,
// the session with the MAC old, in one write: a token changes when the sign-in
// moves a step.
func (s *Store) CreateSession(ctx context.Context, hash string, userID int64, full bool, expires time.Time, old string) error {
	return s.write(ctx, func(t *wtx) error {
		if old != "" {
			if _, err := t.exec(`DELETE FROM sessions WHERE hash = $1`, old); err != nil {
				return err
			}
		}
		_, err := t.exec(`INSERT INTO sessions (hash, user_id, complete, expires) VALUES ($1, $2, $3, $4)`,
			hash, userID, full, expires.Unix())
		return err
	})
}

// SessionByHash returns an unexpired session.
func (s *Store) SessionByHash(ctx context.Context, hash string, now time.Time) (store.Session, bool, error) {
	var se store.Session
	var expires int64
	err := s.queryRow(ctx, `SELECT user_id, complete, expires FROM sessions WHERE hash = $1`, hash).Scan(&se.UserID, &se.Full, &expires)
	if errors.Is(err, sql.ErrNoRows) || err == nil && now.Unix() >= expires {
		return se, false, nil
	}
	return se, err == nil, err
}

// DeleteSession signs a session out.
func (s *Store) DeleteSession(ctx context.Context, hash string) error {
	return s.exec(ctx, `DELETE FROM sessions WHERE hash = $1`, hash)
}

// AddToken stores an application token (by its MAC) under a name.
func (s *Store) AddToken(ctx context.Context, name, hash string, now time.Time) error {
	var exists bool
	err := s.write(ctx, func(t *wtx) error {
		n, err := t.affected(`INSERT INTO app_tokens (name, hash, created) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING`,
			name, hash, now.Unix())
		exists = n == 0
		return err
	})
	if err == nil && exists {
		err = store.ErrExists
	}
	if err != nil {
		return fmt.Errorf("adding token %s: %w", name, err)
	}
	return nil
}

// Tokens lists the application tokens by name.
func (s *Store) Tokens(ctx context.Context) ([]store.Token, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT name, created FROM app_tokens ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []store.Token{}
	for rows.Next() {
		var tk store.Token
		var created int64
		if err := rows.Scan(&tk.Name, &created); err != nil {
			return nil, err
		}
		tk.Created = time.Unix(created, 0).UTC()
		out = append(out, tk)
	}
	return out, rows.Err()
}

// RevokeToken deletes an application token: the next verify with it is refused
// (the writer's cache forgets it with this write, or, from another process, when
// it sees the database changed).
func (s *Store) RevokeToken(ctx context.Context, name string) error {
	ok, err := s.once(ctx, `DELETE FROM app_tokens WHERE name = $1`, name)
	if err == nil && !ok {
		err = store.ErrNoToken
	}
	return err
}

// Users lists every user with their enrollment state and codes left.
func (s *Store) Users(ctx context.Context) ([]store.UserSummary, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT u.name, u.email, u.admin, u.mfa,
		(SELECT COUNT(*) FROM backup_codes b WHERE b.user_id = u.id AND b.used = 0) FROM users u ORDER BY u.name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.UserSummary
	for rows.Next() {
		var u store.UserSummary
		if err := rows.Scan(&u.Name, &u.Email, &u.Admin, &u.MFA, &u.CodesLeft); err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// RememberDevice stores a remembered device (by its token's MAC) until expires.
func (s *Store) RememberDevice(ctx context.Context, hash string, userID int64, expires time.Time, mails ...store.Mail) error {
	return s.write(ctx, func(t *wtx) error {
		if _, err := t.exec(`INSERT INTO devices (hash, user_id, expires) VALUES ($1, $2, $3)`, hash, userID, expires.Unix()); err != nil {
			return err
		}
		return t.queueMails(time.Now(), mails)
	})
}

// DeviceRemembered reports whether the device with this MAC is remembered for userID.
func (s *Store) DeviceRemembered(ctx context.Context, hash string, userID int64, now time.Time) (bool, error) {
	var n int
	err := s.queryRow(ctx, `SELECT COUNT(*) FROM devices WHERE hash = $1 AND user_id = $2 AND expires > $3`,
		hash, userID, now.Unix()).Scan(&n)
	return n == 1, err
}

// SetPassword replaces a user's password hash and ends every other session and
// every remembered device.
func (s *Store) SetPassword(ctx context.Context, userID int64, hash, keepSession string) error {
	return s.write(ctx, func(t *wtx) error {
		if _, err := t.exec(`UPDATE users SET password_hash = $1 WHERE id = $2`, hash, userID); err != nil {
			return err
		}
		return t.endSessions(userID, keepSession)
	})
}

// auditBatch is how many audit events one write of Sweep deletes: a large backlog
// goes in many short writes, so sign-ins and verifies queue behind none of them long.
const auditBatch = 5000

// Sweep removes what has expired by now: sessions, remembered devices and pending
// enrollments (their encrypted secrets with them), attempt budgets untouched for
// longer than lockout (the next failure would start a new streak anyway), and the
// audit events from before auditBefore (none when it is zero).
func (s *Store) Sweep(ctx context.Context, now time.Time, lockout time.Duration, auditBefore time.Time) (store.Swept, error) {
	var n store.Swept
	err := s.write(ctx, func(t *wtx) error {
		var err error
		if n.Sessions, err = t.affected(`DELETE FROM sessions WHERE expires <= $1`, now.Unix()); err != nil {
			return err
		}
		if n.Devices, err = t.affected(`DELETE FROM devices WHERE expires <= $1`, now.Unix()); err != nil {
			return err
		}
		if n.Attempts, err = t.affected(`DELETE FROM attempts WHERE last_failure <= $1`, now.Add(-lockout).Unix()); err != nil {
			return err
		}
		n.Pending, err = t.affected(`UPDATE users SET pending_enc = NULL, pending_expires = 0, pending_session = ''
			WHERE pending_enc IS NOT NULL AND pending_expires <= $1`, now.Unix())
		return err
	})
	for err == nil && !auditBefore.IsZero() {
		var k int64
		err = s.write(ctx, func(t *wtx) error {
			var err error
			k, err = t.affected(`DELETE FROM audit WHERE id IN
				(SELECT id FROM audit WHERE at < $1 ORDER BY id LIMIT $2)`, auditBefore.Unix(), auditBatch)
			return err
		})
		n.Audit += k
		if k < auditBatch {
			break
		}
	}
	if err != nil {
		return n, fmt.Errorf("removing expired records: %w", err)
	}
	return n, nil
}

var _ store.Store = (*Store)(nil)
