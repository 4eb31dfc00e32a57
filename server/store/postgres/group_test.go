package postgres_test

import (
	"context"
	"fmt"

	"sync"
	"testing"
	"time"

	"github.com/wardauth/ward/server/store"
	"github.com/wardauth/ward/server/store/storetest"
)

// Verify's statements go to PostgreSQL in groups, one transaction each: a
// statement that fails (here: an address PostgreSQL cannot store, a NUL byte)
// must fail alone, the others of its group answered and kept, under load from
// many goroutines at once.
func TestGroupFailureIsItsOwn(t *testing.T) {
	d := storetest.Engines[1].New(t)
	s := d.Open(t)
	ctx := context.Background()
	now := time.Unix(1_000_000, 0)

	for i := range 8 {
		id, err := s.CreateUser(ctx, fmt.Sprintf("u%d", i), "", "h", false, now)
		if err != nil {
			t.Fatal(err)
		}
		sealed := []byte(fmt.Sprintf("sealed %d", i))
		s.SetPending(ctx, id, false, sealed, "s", now.Add(time.Hour))
		if ok, err := s.ConfirmEnrollment(ctx, false, store.Enrolled{UserID: id, SecretEnc: sealed, Step: 1,
			Session: fmt.Sprintf("s%d", i), Expires: now.Add(time.Hour)}); !ok || err != nil {
			t.Fatal(ok, err)
		}

	}
	s.AddToken(ctx, "app", "mac", now)
	var wg sync.WaitGroup
	var mu sync.Mutex
	failed, answered := 0, 0
	for i := range 400 {
		wg.Go(func() {
			addr := "192.0.2.1"
			if i%50 == 0 {
				addr = "bad\x00address"
			}
			v, err := s.Verify(ctx, store.VerifyCheck{TokenMAC: "mac", Username: fmt.Sprintf("u%d", i%8), AttemptKey: int64(i % 8),
				MaxAttempts: 1 << 30, Lockout: time.Minute, Now: now, Addr: addr,
				TOTP: func(store.User) (int64, bool, error) { return 0, false, nil }})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil && i%50 == 0:
				failed++
			case err != nil:
				t.Errorf("check %d failed with a bad neighbour: %v", i, err)
			case v.App != "app" || v.Valid:
				t.Errorf("check %d: %+v", i, v)
			default:
				answered++
			}
		})
	}
	wg.Wait()
	if failed != 8 || answered != 392 {
		t.Fatalf("%d failed (want the 8 bad ones), %d answered (want 392)", failed, answered)
	}
	if n := storetest.AuditCount(t, s, d, "verify_failed"); n != 392 {
		t.Fatalf("%d audit rows, want 392: one per answered check, none of the failed", n)
	}
	if n := storetest.Count(t, d, `SELECT COALESCE(SUM(failures), 0) FROM attempts`); n != 392 {
		t.Fatalf("%d attempts spent, want 392", n)
	}
}
