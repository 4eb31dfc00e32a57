package store_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wardauth/ward/server/store"
	"github.com/wardauth/ward/server/store/storetest"
)

// What several servers on one database share, each test with two stores opened on
// one database, as two instances have.

// 20 claims of the sweep's turn at one moment, split over two stores: one has it;
// no claim has it again until its time is over, then one does.
func TestClaimSweepOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		d := e.New(t)
		stores := []store.Store{d.Open(t), d.Open(t)}
		now := time.Unix(1_800_000_000, 0)
		claim := func(at time.Time) int32 {
			var won atomic.Int32
			var wg sync.WaitGroup
			for i := range 20 {
				wg.Go(func() {
					ok, err := stores[i%2].ClaimSweep(context.Background(), at, 54*time.Minute)
					if err != nil {
						t.Error(err)
					}
					if ok {
						won.Add(1)
					}
				})
			}
			wg.Wait()
			return won.Load()
		}
		if n := claim(now); n != 1 {
			t.Fatalf("%d of 20 parallel claims had the turn, want 1", n)
		}
		if n := claim(now.Add(53 * time.Minute)); n != 0 {
			t.Fatalf("%d claims had the turn while it was held", n)
		}
		if n := claim(now.Add(54 * time.Minute)); n != 1 {
			t.Fatalf("%d claims had the turn once it was over, want 1", n)
		}
	})
}

// A mail claimed and given back is due at once for any sender; a sent mail is not
// made due again.
func TestReleaseMail(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		d := e.New(t)
		a, b := d.Open(t), d.Open(t)
		ctx := context.Background()
		now := time.Now()
		if err := a.QueueMail(ctx, store.Mail{To: "a@example.com", Subject: "one", Body: "1"},
			store.Mail{To: "b@example.com", Subject: "two", Body: "2"}); err != nil {
			t.Fatal(err)
		}
		got, err := a.ClaimMails(ctx, now, 2*time.Minute, 10)
		if err != nil || len(got) != 2 {
			t.Fatalf("claimed %d mails (%v), want 2", len(got), err)
		}
		if again, _ := b.ClaimMails(ctx, now, 2*time.Minute, 10); len(again) != 0 {
			t.Fatalf("the other store claimed %d leased mails", len(again))
		}
		if err := a.MailSent(ctx, got[0].ID, now); err != nil {
			t.Fatal(err)
		}
		for _, m := range got {
			if err := a.ReleaseMail(ctx, m.ID, now); err != nil {
				t.Fatal(err)
			}
		}
		again, err := b.ClaimMails(ctx, now, 2*time.Minute, 10)
		if err != nil || len(again) != 1 || again[0].ID != got[1].ID || again[0].Attempts != 0 {
			t.Fatalf("after giving them back the other store claimed %+v (%v), want the unsent one, untried", again, err)
		}
	})
}

// The per-address limit shared through the database (PostgreSQL), over two
// stores: attempts one after another, alternating, pass exactly the limit, then
// both refuse, saying how long is left; 50 at once lose no count (each failure
// recorded, none left in flight); attempts that were no failure count nothing;
// in flight is bounded; the window ends and the address starts anew.
func TestAddrLimitsShared(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		d := e.New(t)
		a, b := d.Open(t), d.Open(t)
		la, ok := a.(store.AddrLimits)
		if !ok {
			t.Skipf("%s keeps the per-address limit in the server's memory: one file, one server", e.Name)
		}
		lb := b.(store.AddrLimits)
		both := []store.AddrLimits{la, lb}
		ctx := context.Background()
		const key, limit, window = 4242, 10, 15 * time.Minute
		now := time.Unix(1_800_000_000, 0)
		for i := range limit {
			if ok, _, err := both[i%2].BeginAddr(ctx, key, limit, 256, window, now); !ok || err != nil {
				t.Fatalf("failure %d of %d refused: %v", i+1, limit, err)
			}
			both[i%2].EndAddr(ctx, key, true)
		}
		for i, l := range both {
			ok, left, err := l.BeginAddr(ctx, key, limit, 256, window, now.Add(time.Minute))
			if ok || err != nil || left != window-time.Minute {
				t.Fatalf("store %d after the limit: passed %v, %s left (%v), want refused with %s left", i, ok, left, err, window-time.Minute)
			}
		}
		// 50 at once, all failing: every failure counted, none left in flight.
		const crowd = 4343
		var passed atomic.Int32
		var wg sync.WaitGroup
		for i := range 50 {
			wg.Go(func() {
				ok, _, err := both[i%2].BeginAddr(ctx, crowd, limit, 256, window, now)
				if err != nil {
					t.Error(err)
				}
				if ok {
					passed.Add(1)
					if err := both[i%2].EndAddr(ctx, crowd, true); err != nil {
						t.Error(err)
					}
				}
			})
		}
		wg.Wait()
		if n := storetest.Count(t, d, `SELECT failures FROM addr_limits WHERE key = $1`, crowd); n != int(passed.Load()) || n < limit {
			t.Fatalf("%d failures recorded for %d attempts that passed (at least the limit, %d)", n, passed.Load(), limit)
		}
		if n := storetest.Count(t, d, `SELECT inflight FROM addr_limits WHERE key = $1`, crowd); n != 0 {
			t.Fatalf("%d attempts left in flight", n)
		}
		if ok, _, _ := la.BeginAddr(ctx, key, limit, 256, window, now.Add(window-time.Second)); ok {
			t.Fatal("an address over its limit passed before its window ended")
		}
		// Begun and ended without a failure (a busy server, a client gone, a good
		// password): nothing counted, however many.
		const other = 4545
		for range 3 * limit {
			if ok, _, err := lb.BeginAddr(ctx, other, limit, 256, window, now); !ok || err != nil {
				t.Fatalf("an address with no failure was refused: %v", err)
			}
			lb.EndAddr(ctx, other, false)
		}
		if n := storetest.Count(t, d, `SELECT failures + inflight FROM addr_limits WHERE key = $1`, other); n != 0 {
			t.Fatalf("attempts that were no failures left %d counted", n)
		}
		// In flight: at most maxInflight at once, failures or not.
		const busy = 4444
		for i := range 3 {
			if ok, _, _ := la.BeginAddr(ctx, busy, limit, 3, window, now); !ok {
				t.Fatalf("attempt %d in flight refused under the bound", i+1)
			}
		}
		if ok, _, _ := lb.BeginAddr(ctx, busy, limit, 3, window, now); ok {
			t.Fatal("a 4th attempt in flight passed a bound of 3")
		}
		if ok, _, err := la.BeginAddr(ctx, key, limit, 256, window, now.Add(window)); !ok || err != nil {
			t.Fatalf("the window is over and the address still refused: %v", err)
		}
		// The sweep removes the counts whose window is over.
		sw, err := a.Sweep(ctx, now.Add(2*window), window, time.Time{})
		if err != nil || sw.Addrs != 4 {
			t.Fatalf("swept %d addresses (%v), want 4", sw.Addrs, err)
		}
	})
}

// A change that servers cache, committed by one store (or by anyone on the
// database), is told to the other's OnChange: the policy, a user's disabling or
// admin flag, the access rules; a change of what no cache holds (a last step used) is not.
func TestChangesTold(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		d := e.New(t)
		a, b := d.Open(t), d.Open(t)
		ch, ok := b.(store.Changes)
		if !ok {
			t.Skipf("%s is one server's: its caches live a second", e.Name)
		}
		told := make(chan string, 16)
		ch.OnChange(func(table string) { told <- table })
		ctx := context.Background()
		id, err := a.CreateUser(ctx, "alice", "", "hash", true, time.Unix(1000, 0))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.CreateUser(ctx, "bob", "", "hash", true, time.Unix(1000, 0)); err != nil {
			t.Fatal(err)
		}
		expect := func(what, table string) {
			t.Helper()
			start := time.Now()
			for {
				select {
				case got := <-told:
					if got != table {
						continue
					}
					if el := time.Since(start); el > 500*time.Millisecond {
						t.Errorf("%s told after %s", what, el)
					}
					return
				case <-time.After(5 * time.Second):
					t.Fatalf("%s: %q never told", what, table)
				}
			}
		}
		p, err := a.Policy(ctx, store.Policy{MaxAttempts: 5, Lockout: time.Minute, Skew: 1, RememberDays: 30, BackupCodes: 10})
		if err != nil {
			t.Fatal(err)
		}
		expect("the policy's defaults saved", "policy")
		p.Require2FA = true
		if err := a.SetPolicy(ctx, p); err != nil {
			t.Fatal(err)
		}
		expect("the policy changed", "policy")
		if err := a.SetDisabled(ctx, id, true); err != nil {
			t.Fatal(err)
		}
		expect("a user disabled", "users")
		storetest.Exec(t, d, `UPDATE users SET admin = false WHERE id = $1`, id) // behind the stores' backs
		expect("an admin flag changed by hand", "users")
		if err := a.SetAccessRules(ctx, store.AccessRules{Text: `{"default": "deny"}`, UpdatedBy: "alice", Updated: time.Now()}); err != nil {
			t.Fatal(err)
		}
		expect("the access rules saved", "access_rules")
		// The hot path's writes tell nothing.
		if _, err := a.UseStep(ctx, id, 99); err != nil {
			t.Fatal(err)
		}
		if err := a.SignedIn(ctx, id, time.Now(), ""); err != nil {
			t.Fatal(err)
		}
		select {
		case got := <-told:
			t.Fatalf("told %q after a step used and a sign-in", got)
		case <-time.After(200 * time.Millisecond):
		}
	})
}
