package server

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func testStore(t *testing.T) (*Store, int64) {
	t.Helper()
	s, err := OpenSQLite(filepath.Join(t.TempDir(), "ward.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	id, err := s.CreateUser(context.Background(), "alice", "", "hash", false, time.Unix(1000, 0))
	if err != nil {
		t.Fatal(err)
	}
	return s, id
}

// 50 parallel requests with one valid code: exactly one uses its step.
func TestUseStepOnce(t *testing.T) {
	s, id := testStore(t)
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
}

// 50 parallel wrong guesses against a limit of 5: at most 5 are evaluated; the
// lockout ends after its time, and a success gives the budget back.
func TestAttemptBudget(t *testing.T) {
	s, id := testStore(t)
	ctx := context.Background()
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
	s.EndAttempt(ctx, id, true)
	for i := range 4 {
		if ok, _, _ := s.BeginAttempt(ctx, id, 5, 15*time.Minute, now.Add(17*time.Minute)); !ok {
			t.Fatalf("attempt %d after a success refused", i+1)
		}
	}
}

func TestBackupCodeOnce(t *testing.T) {
	s, id := testStore(t)
	ctx := context.Background()
	if err := s.ConfirmEnrollment(ctx, id, []byte("enc"), 5, []string{"h1", "h2"}); err != nil {
		t.Fatal(err)
	}
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
}

func TestPendingExpires(t *testing.T) {
	s, id := testStore(t)
	ctx := context.Background()
	now := time.Unix(50_000, 0)
	s.SetPending(ctx, id, []byte("pending"), now.Add(10*time.Minute))
	if p, _ := s.Pending(ctx, id, now.Add(9*time.Minute)); string(p) != "pending" {
		t.Fatal("the pending enrollment is gone before 10 minutes")
	}
	if p, _ := s.Pending(ctx, id, now.Add(10*time.Minute)); p != nil {
		t.Fatal("the pending enrollment lives past 10 minutes")
	}
}

// Writes share commits: in a burst where some writes fail (a name already taken),
// every other write is committed, each failure is its caller's alone, and the
// audit events queued in the burst are all there.
func TestGroupCommitIsolation(t *testing.T) {
	s, _ := testStore(t)
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
	if n, err := s.AuditCount(ctx, "burst"); n != 200 || err != nil {
		t.Fatalf("%d audit events (%v), want 200", n, err)
	}
}

// Close writes the queued audit events; a write after Close is an error, not a
// panic or a hang.
func TestCloseKeepsQueuedWrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ward.db")
	s, err := OpenSQLite(path)
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
	s, err = OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n, _ := s.AuditCount(ctx, "queued"); n != 1000 {
		t.Fatalf("%d of 1000 queued audit events written", n)
	}
}
