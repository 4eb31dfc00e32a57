package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wardauth/ward/server/store"
	"github.com/wardauth/ward/server/store/postgres"
	"github.com/wardauth/ward/server/store/sqlite"
	"github.com/wardauth/ward/server/store/storetest"
)

// Every test here runs on every engine (storetest.Engines).

// enrollDirect enrolls a user as a confirmed enrollment does, without the service.
func enrollDirect(t *testing.T, s store.Store, id int64, sealed []byte, step int64, hashes []string) {
	t.Helper()
	ctx := context.Background()
	if ok, err := s.SetPending(ctx, id, false, sealed, "session", time.Unix(1<<40, 0)); !ok || err != nil {
		t.Fatalf("pending: %v %v", ok, err)
	}
	ok, err := s.ConfirmEnrollment(ctx, false, store.Enrolled{UserID: id, SecretEnc: sealed, Step: step, CodeHashes: hashes,
		Session: fmt.Sprintf("session %d", step), Expires: time.Unix(1<<40, 0), At: time.Unix(1000, 0)})
	if !ok || err != nil {
		t.Fatalf("confirm: %v %v", ok, err)
	}
}

// testStore is a store of the engine with one user, alice.
func testStore(t *testing.T, e storetest.Engine) (store.Store, int64, storetest.DB) {
	t.Helper()
	d := e.New(t)
	s := d.Open(t)
	id, err := s.CreateUser(context.Background(), "alice", "", "hash", false, time.Unix(1000, 0))
	if err != nil {
		t.Fatal(err)
	}
	return s, id, d
}

// 50 parallel requests with one valid code: exactly one uses its step.
func TestUseStepOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s, id, _ := testStore(t, e)
		var wins atomic.Int32
		var wg sync.WaitGroup
		for range 50 {
			wg.Go(func() {
				ok, err := s.UseStep(context.Background(), id, 57)
				if err != nil {
					t.Error(err)
				}
				if ok {
					wins.Add(1)
				}
			})
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Fatalf("%d requests used step 57", wins.Load())
		}
		if ok, _ := s.UseStep(context.Background(), id, 56); ok {
			t.Fatal("an older step after a newer one")
		}
		if ok, _ := s.UseStep(context.Background(), id, 58); !ok {
			t.Fatal("the next step refused")
		}
	})
}

// 50 parallel wrong guesses against a limit of 5: at most 5 are evaluated; the
// lockout ends after its time, and a success gives the budget back. A budget
// belongs to a key, whether or not it names a user.
func TestAttemptBudget(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s, _, _ := testStore(t, e)
		ctx := context.Background()
		id := int64(1234567)
		now := time.Unix(10_000, 0)
		var allowed atomic.Int32
		var wg sync.WaitGroup
		for range 50 {
			wg.Go(func() {
				ok, _, err := s.BeginAttempt(ctx, id, 5, 15*time.Minute, now)
				if err != nil {
					t.Error(err)
				}
				if ok {
					allowed.Add(1)
				}
			})
		}
		wg.Wait()
		if allowed.Load() != 5 {
			t.Fatalf("%d of 50 parallel guesses were evaluated, limit 5", allowed.Load())
		}
		ok, left, _ := s.BeginAttempt(ctx, id, 5, 15*time.Minute, now.Add(time.Minute))
		if ok || left != 14*time.Minute {
			t.Fatalf("locked: %v, %v left", ok, left)
		}
		ok, _, _ = s.BeginAttempt(ctx, id, 5, 15*time.Minute, now.Add(16*time.Minute))
		if !ok {
			t.Fatal("still locked after the lockout")
		}
		s.ClearAttempts(ctx, id)
		for i := range 4 {
			if ok, _, _ := s.BeginAttempt(ctx, id, 5, 15*time.Minute, now.Add(17*time.Minute)); !ok {
				t.Fatalf("attempt %d after a success refused", i+1)
			}
		}
		// A streak ends after the lockout time without a failure: 4 failures, a pause of
		// 15 minutes, then 4 more pass.
		later := now.Add(33 * time.Minute)
		for i := range 4 {
			if ok, _, _ := s.BeginAttempt(ctx, id, 5, 15*time.Minute, later); !ok {
				t.Fatalf("attempt %d of a new streak refused", i+1)
			}
		}
		// Given back (a check that could not run): the budget is as before, one
		// attempt left.
		s.ReleaseAttempt(ctx, id)
		for i := range 2 {
			if ok, _, _ := s.BeginAttempt(ctx, id, 5, 15*time.Minute, later); !ok {
				t.Fatalf("attempt %d after the release refused", i+1)
			}
		}
		if ok, _, _ := s.BeginAttempt(ctx, id, 5, 15*time.Minute, later); ok {
			t.Fatal("a sixth attempt passed")
		}
	})
}

func TestBackupCodeOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s, id, _ := testStore(t, e)
		ctx := context.Background()
		enrollDirect(t, s, id, []byte("enc"), 5, []string{"h1", "h2"})
		var wins atomic.Int32
		var wg sync.WaitGroup
		for range 20 {
			wg.Go(func() {
				if ok, _ := s.UseBackupCode(ctx, id, "h1"); ok {
					wins.Add(1)
				}
			})
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Fatalf("a backup code used %d times", wins.Load())
		}
		if n, _ := s.BackupCodesLeft(ctx, id); n != 1 {
			t.Fatalf("%d codes left", n)
		}
		// Regenerating kills the old set.
		s.ReplaceBackupCodes(ctx, id, []string{"h3"})
		if ok, _ := s.UseBackupCode(ctx, id, "h2"); ok {
			t.Fatal("a code of the old set still works")
		}
		u, _ := s.UserByName(ctx, "alice")
		if !u.MFA || u.LastStep != 5 {
			t.Fatalf("after confirming: mfa %v, last step %d", u.MFA, u.LastStep)
		}
	})
}

// A pending enrollment lives 10 minutes, for the session that started it only; a
// first enrollment cannot start, nor be confirmed, once two-factor sign-in is on.
func TestPendingExpires(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s, id, _ := testStore(t, e)
		ctx := context.Background()
		now := time.Unix(50_000, 0)
		if ok, err := s.SetPending(ctx, id, false, []byte("pending"), "s1", now.Add(10*time.Minute)); !ok || err != nil {
			t.Fatal(ok, err)
		}
		if p, _ := s.Pending(ctx, id, "s1", now.Add(9*time.Minute)); string(p) != "pending" {
			t.Fatal("the pending enrollment is gone before 10 minutes")
		}
		if p, _ := s.Pending(ctx, id, "s2", now.Add(9*time.Minute)); p != nil {
			t.Fatal("another session sees the pending enrollment")
		}
		if p, _ := s.Pending(ctx, id, "s1", now.Add(10*time.Minute)); p != nil {
			t.Fatal("the pending enrollment lives past 10 minutes")
		}
		enrollDirect(t, s, id, []byte("first"), 1, nil)
		if ok, _ := s.SetPending(ctx, id, false, []byte("second"), "s1", now.Add(10*time.Minute)); ok {
			t.Fatal("a first enrollment started with two-factor sign-in on")
		}
		s.SetPending(ctx, id, true, []byte("move"), "s1", now.Add(10*time.Minute))
		if ok, _ := s.ConfirmEnrollment(ctx, false, store.Enrolled{UserID: id, SecretEnc: []byte("move"), Session: "x"}); ok {
			t.Fatal("a move confirmed as a first enrollment")
		}
		if ok, _ := s.ConfirmEnrollment(ctx, true, store.Enrolled{UserID: id, SecretEnc: []byte("other"), Session: "x"}); ok {
			t.Fatal("a secret that is not the pending one confirmed")
		}
		if ok, err := s.ConfirmEnrollment(ctx, true, store.Enrolled{UserID: id, SecretEnc: []byte("move"), Session: "x"}); !ok || err != nil {
			t.Fatal("the move refused", err)
		}
	})
}

// Writes share commits: in a burst where some writes fail (a name already taken),
// every other write is committed, each failure is its caller's alone, and the
// audit events queued in the burst are all there.
func TestGroupCommitIsolation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s, _, d := testStore(t, e)
		ctx := context.Background()
		var wg sync.WaitGroup
		var added, refused atomic.Int32
		for i := range 200 {
			wg.Go(func() {
				name := fmt.Sprintf("user%d", i)
				if i%10 == 0 {
					name = "alice" // taken
				}
				if _, err := s.CreateUser(ctx, name, "", "hash", false, time.Unix(1000, 0)); err != nil {
					refused.Add(1)
					if !strings.Contains(err.Error(), "alice") {
						t.Errorf("user %s refused: %v", name, err)
					}
				} else {
					added.Add(1)
				}
				s.Audit(ctx, time.Unix(1000, 0), 0, "burst", "", name)
			})
		}
		wg.Wait()
		if added.Load() != 180 || refused.Load() != 20 {
			t.Fatalf("%d added, %d refused; want 180 and 20", added.Load(), refused.Load())
		}
		users, err := s.Users(ctx)
		if err != nil || len(users) != 181 {
			t.Fatalf("%d users in the database (%v), want 181", len(users), err)
		}
		if n := storetest.AuditCount(t, s, d, "burst"); n != 200 {
			t.Fatalf("%d audit events, want 200", n)
		}
	})
}

// Close writes the queued audit events; a write after Close is an error, not a
// panic or a hang.
func TestCloseKeepsQueuedWrites(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		d := e.New(t)
		s, err := storetest.Open(context.Background(), d.URL)
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		for i := range 1000 {
			s.Audit(ctx, time.Unix(int64(i), 0), 0, "queued", "", "")
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateUser(ctx, "late", "", "hash", false, time.Unix(1, 0)); err == nil {
			t.Fatal("a write after Close succeeded")
		}
		if err := s.Audit(ctx, time.Unix(1, 0), 0, "late", "", ""); err == nil {
			t.Fatal("an audit event after Close was taken")
		}
		s = d.Open(t)
		if n := storetest.AuditCount(t, s, d, "queued"); n != 1000 {
			t.Fatalf("%d of 1000 queued audit events written", n)
		}
	})
}

// Verify keeps users and tokens between its writes: what it keeps must follow
// every other write, of this process (a disabled 2FA, a sign-in's failures) and of
// another (ward admin on the same database).
func TestVerifyCacheFollowsOtherWrites(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		d := e.New(t)
		s := d.Open(t)
		ctx := context.Background()
		now := time.Unix(100_000, 0)
		id, _ := s.CreateUser(ctx, "alice", "", "hash", false, now)
		enrollDirect(t, s, id, []byte("sealed"), 10, nil)
		s.AddToken(ctx, "app", "mac", now)
		var seen int64 // the last step Verify was told
		check := func(step int64) store.VerifyCheck {
			return store.VerifyCheck{TokenMAC: "mac", Username: "alice", AttemptKey: 42, MaxAttempts: 3, Lockout: time.Minute, Now: now,
				TOTP: func(u store.User) (int64, bool, error) { seen = u.LastStep; return step, step > 0, nil }}
		}
		verify := func(what string, c store.VerifyCheck, valid bool) store.VerifyResult {
			t.Helper()
			v, err := s.Verify(ctx, c)
			if err != nil || v.App != "app" || v.Valid != valid {
				t.Fatalf("%s: %+v %v, want valid %v", what, v, err, valid)
			}
			return v
		}
		verify("step 11", check(11), true)
		verify("step 11 again", check(11), false)
		if seen != 11 {
			t.Fatalf("the second check saw last step %d, want 11", seen)
		}

		// Another process disables alice's 2FA: the next check knows.
		other, err := storetest.Open(ctx, d.URL)
		if err != nil {
			t.Fatal(err)
		}
		if err := other.DisableMFA(ctx, id, ""); err != nil {
			t.Fatal(err)
		}
		if v := verify("after ward admin reset-2fa", check(12), false); v.User.ID != 0 {
			t.Fatalf("a user without 2FA still checked: %+v", v.User)
		}
		// And enrolls her again: last step 20.
		enrollDirect(t, other, id, []byte("sealed2"), 20, nil)
		other.Close()
		verify("step 20 after re-enrollment", check(20), false)
		if seen != 20 {
			t.Fatalf("saw last step %d, want 20", seen)
		}

		// This process: after a success, two failed sign-in attempts, then one failed
		// check, locks (limit 3); the cache must not think there were fewer failures.
		// (The checks above for a user without 2FA spent the budget too: cleared.)
		s.ClearAttempts(ctx, 42)
		verify("step 21", check(21), true)
		for range 2 {
			if ok, _, _ := s.BeginAttempt(ctx, 42, 3, time.Minute, now); !ok {
				t.Fatal("an attempt refused early")
			}
		}
		verify("third failure", check(0), false)
		if v, _ := s.Verify(ctx, check(22)); v.Locked == 0 || v.Valid {
			t.Fatalf("a fourth attempt past a limit of 3: %+v", v)
		}
		// This process disables 2FA: no more checks.
		s.DisableMFA(ctx, id, "")
		s.ClearAttempts(ctx, 42)
		if v, _ := s.Verify(ctx, check(23)); v.User.ID != 0 || v.Valid {
			t.Fatalf("a check after 2FA was turned off here: %+v", v)
		}
		// A token made later works at once; an unknown one never.
		s.AddToken(ctx, "later", "mac2", now)
		c := check(0)
		c.TokenMAC = "mac2"
		if v, _ := s.Verify(ctx, c); v.App != "later" {
			t.Fatalf("a new token: %+v", v)
		}
		c.TokenMAC = "nope"
		if v, _ := s.Verify(ctx, c); v.App != "" {
			t.Fatalf("an unknown token: %+v", v)
		}
	})
}

// A database keeps its schema version: a new one gets every migration; one whose
// version is newer than this Ward is refused with a sentence, not opened.
func TestSchemaVersion(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		d := e.New(t)
		want := map[string]int{"sqlite": sqlite.SchemaVersion(), "postgres": postgres.SchemaVersion()}[e.Name]
		if n := storetest.Count(t, d, `SELECT MAX(version) FROM schema_migrations`); n != want || want < 1 {
			t.Fatalf("schema version %d, want %d", n, want)
		}
		storetest.Exec(t, d, `INSERT INTO schema_migrations (version, applied) VALUES ($1, 0)`, want+1)
		_, err := storetest.Open(context.Background(), d.URL)
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("schema version %d, newer than this Ward knows (%d): update Ward", want+1, want)) {
			t.Fatalf("a newer database: %v", err)
		}
	})
}

// A SQLite database made before versions were recorded (the schema of the first
// server, with a user, a session and failures) is brought up to date with its
// data; its file is then readable by its owner only.
func TestSQLiteUpgrade(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ward.db")
	old, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	first, err := os.ReadFile("testdata/sqlite-before-versions.sql")
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{string(first),
		`INSERT INTO users (id, name, password_hash, failures, created) VALUES (7, 'alice', 'hash', 3, 1000)`,
		`INSERT INTO sessions (hash, user_id, full, expires) VALUES ('s1', 7, 1, 99999999999)`} {
		if _, err := old.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	old.Close()
	os.Chmod(path, 0o644)
	s, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	if u, err := s.UserByName(ctx, "alice"); err != nil || u.ID != 7 {
		t.Fatalf("alice after the upgrade: %+v %v", u, err)
	}
	if se, ok, err := s.SessionByHash(ctx, "s1", time.Unix(1000, 0)); !ok || !se.Full || err != nil {
		t.Fatalf("the session after the upgrade: %+v %v %v", se, ok, err)
	}
	if info, _ := os.Stat(path); info.Mode().Perm() != 0o600 {
		t.Fatalf("the database is %v after the upgrade", info.Mode())
	}
}
