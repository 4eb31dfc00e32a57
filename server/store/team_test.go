package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wardauth/ward/server/store"
	"github.com/wardauth/ward/server/store/storetest"
)

// The store's part of team administration, on every engine.

func users(t *testing.T, s store.Store, names ...string) []int64 {
	t.Helper()
	var ids []int64
	for _, n := range names {
		id, err := s.CreateUser(context.Background(), n, n+"@example.com", "hash", false, time.Unix(1000, 0))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

// A new database takes the defaults given (the command line's flags); once
// saved, the admins' policy wins over any later defaults.
func TestPolicySaved(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		d := e.New(t)
		s := d.Open(t)
		ctx := context.Background()
		def := store.Policy{MaxAttempts: 5, Lockout: 15 * time.Minute, Skew: 1, RememberDays: 30, BackupCodes: 10, Updated: time.Unix(1000, 0), UpdatedBy: "defaults"}
		p, err := s.Policy(ctx, def)
		if err != nil || p != def {
			t.Fatalf("a new database: %+v %v", p, err)
		}
		saved := store.Policy{Require2FA: true, Deadline: time.Unix(2_000_000, 0), MaxAttempts: 3, Lockout: time.Hour, Skew: 0,
			RememberDays: 7, BackupCodes: 12, Updated: time.Unix(3000, 0), UpdatedBy: "root"}
		if err := s.SetPolicy(ctx, saved, store.Mail{To: "a@example.com", Subject: "s", Body: "b"}); err != nil {
			t.Fatal(err)
		}
		if p, _ := s.Policy(ctx, def); p != saved {
			t.Fatalf("after saving: %+v", p)
		}
		if n := storetest.Count(t, d, `SELECT COUNT(*) FROM outbox`); n != 1 {
			t.Fatalf("%d mails queued with the policy", n)
		}
		// Reopened with other defaults: still the saved policy.
		if p, _ := d.Open(t).Policy(ctx, store.Policy{MaxAttempts: 99}); p != saved {
			t.Fatalf("reopened: %+v", p)
		}
	})
}

// The last enabled admin cannot be unmade, disabled or deleted, not even by two
// admins unmaking each other at the same moment.
func TestLastAdminKept(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := e.New(t).Open(t)
		ctx := context.Background()
		ids := users(t, s, "ann", "bob", "cat")
		for _, id := range ids[:2] {
			if err := s.SetAdmin(ctx, id, true); err != nil {
				t.Fatal(err)
			}
		}
		for range 10 {
			var wg sync.WaitGroup
			var refused atomic.Int32
			for i, id := range ids[:2] {
				wg.Go(func() {
					var err error
					switch i {
					case 0:
						err = s.SetAdmin(ctx, id, false)
					case 1:
						err = s.SetDisabled(ctx, id, true)
					}
					if errors.Is(err, store.ErrLastAdmin) {
						refused.Add(1)
					} else if err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			list, _ := s.AdminUsers(ctx)
			admins := 0
			for _, u := range list {
				if u.Admin && !u.Disabled {
					admins++
				}
			}
			if refused.Load() != 1 || admins != 1 {
				t.Fatalf("%d refused, %d enabled admins left", refused.Load(), admins)
			}
			// Back to two admins for the next round.
			s.SetAdmin(ctx, ids[0], true)
			s.SetDisabled(ctx, ids[1], false)
			s.SetAdmin(ctx, ids[1], true)
		}
		if err := s.DeleteUser(ctx, ids[2]); err != nil {
			t.Fatal("deleting a user who is no admin:", err)
		}
		s.SetAdmin(ctx, ids[1], false)
		if err := s.DeleteUser(ctx, ids[0]); !errors.Is(err, store.ErrLastAdmin) {
			t.Fatalf("deleting the last admin: %v", err)
		}
		if err := s.SetAdmin(ctx, 99999, true); !errors.Is(err, store.ErrNoUser) {
			t.Fatalf("no such user: %v", err)
		}
	})
}

// Disabling ends every session and remembered device of the user.
func TestDisabledEndsSessions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := e.New(t).Open(t)
		ctx := context.Background()
		id := users(t, s, "ann")[0]
		now := time.Unix(5000, 0)
		s.CreateSession(ctx, "s1", id, true, now.Add(time.Hour), "")
		s.RememberDevice(ctx, "d1", id, now.Add(time.Hour))
		if err := s.SetDisabled(ctx, id, true); err != nil {
			t.Fatal(err)
		}
		if _, ok, _ := s.SessionByHash(ctx, "s1", now); ok {
			t.Fatal("a disabled user's session lives on")
		}
		if ok, _ := s.DeviceRemembered(ctx, "d1", id, now); ok {
			t.Fatal("a disabled user's device is still remembered")
		}
		if u, _ := s.UserByID(ctx, id); !u.Disabled {
			t.Fatal("not disabled")
		}
	})
}

// An invitation works once, not after it expires, and sets the password; of 20
// uses at once one passes.
func TestInviteOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		d := e.New(t)
		s := d.Open(t)
		ctx := context.Background()
		now := time.Unix(10_000, 0)
		id, err := s.CreateUser(ctx, "new", "new@example.com", "", false, now)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.CreateInvite(ctx, id, "inv", now, now.Add(72*time.Hour),
			store.Mail{Key: "invite:inv", To: "new@example.com", Subject: "Welcome", Body: "link"}); err != nil {
			t.Fatal(err)
		}
		if _, ok, _ := s.UseInvite(ctx, "inv", "h1", now.Add(73*time.Hour)); ok {
			t.Fatal("an expired invitation worked")
		}
		var wins atomic.Int32
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Go(func() {
				if uid, ok, err := s.UseInvite(ctx, "inv", fmt.Sprintf("hash %d", i), now.Add(time.Hour)); err != nil {
					t.Error(err)
				} else if ok && uid == id {
					wins.Add(1)
				}
			})
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Fatalf("%d uses of one invitation", wins.Load())
		}
		if u, _ := s.UserByID(ctx, id); u.PasswordHash == "" {
			t.Fatal("the invitation set no password")
		}
		if n := storetest.Count(t, d, `SELECT COUNT(*) FROM outbox WHERE key = 'invite:inv'`); n != 1 {
			t.Fatalf("%d invitation mails", n)
		}
	})
}

// A reset request is decided once: approval resets two-factor sign-in in the same
// transaction; a second decision, or two at once, find it decided.
func TestResetDecidedOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := e.New(t).Open(t)
		ctx := context.Background()
		now := time.Unix(20_000, 0)
		id := users(t, s, "ann")[0]
		enrollDirect(t, s, id, []byte("sealed"), 3, []string{"c1"})
		s.CreateSession(ctx, "s1", id, true, now.Add(time.Hour), "")
		rid, err := s.RequestReset(ctx, id, "phone in the lake", now, store.Mail{To: "root@example.com", Subject: "reset", Body: "b"})
		if err != nil {
			t.Fatal(err)
		}
		// One pending request a user: a second is refused with its mail unqueued.
		if _, err := s.RequestReset(ctx, id, "again", now, store.Mail{To: "root@example.com", Subject: "again", Body: "b"}); !errors.Is(err, store.ErrExists) {
			t.Fatalf("a second pending request: %v", err)
		}
		if mails, _ := s.ClaimMails(ctx, now, time.Minute, 10); len(mails) != 1 {
			t.Fatalf("%d mails queued, want the first request's", len(mails))
		}
		var decided, refused atomic.Int32
		var wg sync.WaitGroup
		for i := range 10 {
			wg.Go(func() {
				_, err := s.DecideReset(ctx, rid, i%2 == 0, "root", now.Add(time.Minute))
				switch {
				case err == nil:
					decided.Add(1)
				case errors.Is(err, store.ErrNoReset):
					refused.Add(1)
				default:
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if decided.Load() != 1 || refused.Load() != 9 {
			t.Fatalf("%d decisions, %d refused", decided.Load(), refused.Load())
		}
		list, _ := s.Resets(ctx)
		if len(list) != 1 || list[0].Username != "ann" || list[0].Reason != "phone in the lake" || list[0].DecidedBy != "root" {
			t.Fatalf("resets: %+v", list)
		}
		u, _ := s.UserByID(ctx, id)
		if approved := list[0].State == "approved"; approved == u.MFA {
			t.Fatalf("state %s, 2FA on %v", list[0].State, u.MFA)
		}
		if list[0].State == "approved" {
			if _, ok, _ := s.SessionByHash(ctx, "s1", now); ok {
				t.Fatal("an approved reset left a session")
			}
		}
		// Once decided, the user may ask again.
		if _, err := s.RequestReset(ctx, id, "phone in the sea", now.Add(time.Hour)); err != nil {
			t.Fatalf("a request after the first was decided: %v", err)
		}
	})
}

// Mails are queued with their change or not at all, at most once per key, and
// each is claimed by one sender at a time.
func TestOutbox(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := e.New(t).Open(t)
		ctx := context.Background()
		now := time.Unix(30_000, 0)
		ids := users(t, s, "ann", "bob")
		s.SetAdmin(ctx, ids[0], true)
		// A change refused (the last admin) queues nothing.
		if err := s.SetDisabled(ctx, ids[0], true, store.Mail{To: "x@example.com", Subject: "s", Body: "b"}); !errors.Is(err, store.ErrLastAdmin) {
			t.Fatal(err)
		}
		if n, _ := s.Outbox(ctx); n != 0 {
			t.Fatalf("a refused change queued %d mails", n)
		}
		for range 3 {
			s.QueueMail(ctx, store.Mail{Key: "deadline-7d:1:bob", To: "bob@example.com", Subject: "7 days", Body: "b", Created: now})
		}
		for i := range 40 {
			s.QueueMail(ctx, store.Mail{To: fmt.Sprintf("u%d@example.com", i), Subject: "s", Body: "b", Created: now})
		}
		if n, _ := s.Outbox(ctx); n != 41 {
			t.Fatalf("%d mails queued, want 41 (one per key)", n)
		}
		// Four senders at once claim disjoint mails.
		var mu sync.Mutex
		seen := map[int64]int{}
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				for {
					ms, err := s.ClaimMails(ctx, now.Add(time.Minute), time.Minute, 5)
					if err != nil {
						t.Error(err)
						return
					}
					if len(ms) == 0 {
						return
					}
					mu.Lock()
					for _, m := range ms {
						seen[m.ID]++
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if len(seen) != 41 {
			t.Fatalf("%d mails claimed, want 41", len(seen))
		}
		for id, n := range seen {
			if n != 1 {
				t.Fatalf("mail %d claimed %d times", id, n)
			}
		}
		// A failed try comes back when due; a sent mail never.
		var first int64 = 1 << 62
		for id := range seen {
			first = min(first, id)
		}
		s.MailFailed(ctx, first, now.Add(10*time.Minute), "connection refused")
		for id := range seen {
			if id != first {
				s.MailSent(ctx, id, now.Add(2*time.Minute))
			}
		}
		if ms, _ := s.ClaimMails(ctx, now.Add(5*time.Minute), time.Minute, 100); len(ms) != 0 {
			t.Fatalf("%d mails claimed before their next try", len(ms))
		}
		ms, _ := s.ClaimMails(ctx, now.Add(11*time.Minute), time.Minute, 100)
		if len(ms) != 1 || ms[0].ID != first || ms[0].Attempts != 1 {
			t.Fatalf("after its next try: %+v", ms)
		}
		if n, _ := s.Outbox(ctx); n != 1 {
			t.Fatalf("%d mails unsent", n)
		}
	})
}

// Admins see every user with their state; the spent budgets say when they lift;
// the audit reads by user, event and time, newest first.
func TestAdminViews(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := e.New(t).Open(t)
		ctx := context.Background()
		now := time.Unix(40_000, 0)
		ids := users(t, s, "bob", "ann")
		enrollDirect(t, s, ids[1], []byte("sealed"), 1, []string{"a", "b", "c"})
		s.UseBackupCode(ctx, ids[1], "a")
		s.SignedIn(ctx, ids[1], now, "")
		list, err := s.AdminUsers(ctx)
		if err != nil || len(list) != 2 || list[0].Name != "ann" || !list[0].MFA || list[0].CodesLeft != 2 ||
			!list[0].LastSignIn.Equal(now) || list[0].EnrolledAt.IsZero() || list[1].MFA || !list[1].EnrolledAt.IsZero() {
			t.Fatalf("users: %+v %v", list, err)
		}
		for range 3 {
			s.BeginAttempt(ctx, 77, 3, time.Minute, now)
		}
		s.BeginAttempt(ctx, 78, 3, time.Minute, now)
		locked, err := s.LockedBudgets(ctx, 3, time.Minute, now.Add(10*time.Second))
		if err != nil || len(locked) != 1 || !locked[77].Equal(now.Add(time.Minute)) {
			t.Fatalf("locked: %v %v", locked, err)
		}
		for i := range 5 {
			s.Audit(ctx, now.Add(time.Duration(i)*time.Minute), ids[i%2], []string{"login", "login_failed"}[i%2], "192.0.2.1", "")
		}
		s.AuditRefused(now, 0, "locked", "192.0.2.9", "")
		evs, err := s.AuditEvents(ctx, store.AuditQuery{User: "ann"})
		if err != nil || len(evs) != 2 || evs[0].Event != "login_failed" || evs[0].User != "ann" || !evs[0].At.After(evs[1].At) {
			t.Fatalf("ann's events: %+v %v", evs, err)
		}
		evs, _ = s.AuditEvents(ctx, store.AuditQuery{Event: "login", Since: now.Add(90 * time.Second)})
		if len(evs) != 2 {
			t.Fatalf("logins since 90 s: %+v", evs)
		}
		evs, _ = s.AuditEvents(ctx, store.AuditQuery{Event: "locked"})
		if len(evs) != 1 || evs[0].Count != 1 || evs[0].User != "" {
			t.Fatalf("refusals: %+v", evs)
		}
		if evs, _ := s.AuditEvents(ctx, store.AuditQuery{Limit: 3}); len(evs) != 3 {
			t.Fatalf("limit 3: %d", len(evs))
		}
	})
}

// A disabled user is answered by Verify as one with no two-factor sign-in (the
// attempt spent all the same), at once, also when another server (a second
// store on the database) disabled them after this one had the user in its cache;
// enabled again, the user verifies again.
func TestDisabledStopsVerifying(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		d := e.New(t)
		s := d.Open(t)
		other := d.Open(t)
		ctx := context.Background()
		now := time.Unix(50_000, 0)
		ids := users(t, s, "ann", "root")
		s.SetAdmin(ctx, ids[1], true)
		enrollDirect(t, s, ids[0], []byte("sealed"), 10, nil)
		s.AddToken(ctx, "app", "mac", now)
		check := func(step int64) store.VerifyCheck {
			return store.VerifyCheck{TokenMAC: "mac", Username: "ann", AttemptKey: 7, MaxAttempts: 5, Lockout: time.Minute, Now: now,
				TOTP: func(u store.User) (int64, bool, error) { return step, true, nil }}
		}
		if v, err := s.Verify(ctx, check(11)); err != nil || !v.Valid {
			t.Fatalf("before: %+v %v", v, err)
		}
		for i, disabler := range []store.Store{other, s} {
			if err := disabler.SetDisabled(ctx, ids[0], true); err != nil {
				t.Fatal(err)
			}
			v, err := s.Verify(ctx, check(int64(12+2*i)))
			if err != nil || v.Valid || v.User.ID != 0 || v.App != "app" {
				t.Fatalf("disabled by store %d: %+v %v", i, v, err)
			}
			if n := storetest.Count(t, d, `SELECT failures FROM attempts WHERE key = 7`); n != 1 {
				t.Fatalf("disabled by store %d: %d failures in the budget, want 1", i, n)
			}
			if err := disabler.SetDisabled(ctx, ids[0], false); err != nil {
				t.Fatal(err)
			}
			if v, err := s.Verify(ctx, check(int64(13+2*i))); err != nil || !v.Valid {
				t.Fatalf("enabled again by store %d: %+v %v", i, v, err)
			}
		}
	})
}

// Two servers (two stores on one database) unmaking each other's admin at once:
// one of them stays.
func TestLastAdminAcrossServers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		d := e.New(t)
		stores := []store.Store{d.Open(t), d.Open(t)}
		ctx := context.Background()
		ids := users(t, stores[0], "ann", "bob")
		deleted := 0
		for range 10 {
			for _, id := range ids {
				stores[0].SetDisabled(ctx, id, false)
				if err := stores[0].SetAdmin(ctx, id, true); err != nil {
					t.Fatal(err)
				}
			}
			var wg sync.WaitGroup
			var refused atomic.Int32
			for i, s := range stores {
				wg.Go(func() {
					var err error
					if i == 0 {
						err = s.SetDisabled(ctx, ids[1], true)
					} else {
						err = s.DeleteUser(ctx, ids[0])
					}
					if errors.Is(err, store.ErrLastAdmin) {
						refused.Add(1)
					} else if err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			if n := storetest.Count(t, d, `SELECT COUNT(*) FROM users WHERE admin AND NOT disabled`); refused.Load() != 1 || n != 1 {
				t.Fatalf("%d refused, %d enabled admins left", refused.Load(), n)
			}
			if _, err := stores[1].UserByID(ctx, ids[0]); errors.Is(err, store.ErrNoUser) {
				deleted++
				ids[0] = users(t, stores[0], fmt.Sprintf("ann%d", deleted))[0]
			}
		}
	})
}

// Two servers (two stores on one database) claiming mails at once never get the
// same one; a key queued by both is queued once.
func TestClaimAcrossServers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		d := e.New(t)
		stores := []store.Store{d.Open(t), d.Open(t)}
		ctx := context.Background()
		now := time.Unix(60_000, 0)
		var wg sync.WaitGroup
		for _, s := range stores {
			wg.Go(func() {
				for i := range 100 {
					if err := s.QueueMail(ctx, store.Mail{Key: fmt.Sprintf("k%d", i), To: "a@example.com", Subject: "s", Body: "b", Created: now}); err != nil {
						t.Error(err)
					}
				}
			})
		}
		wg.Wait()
		if n, _ := stores[0].Outbox(ctx); n != 100 {
			t.Fatalf("%d mails queued, want 100 (one per key)", n)
		}
		var mu sync.Mutex
		seen := map[int64]int{}
		for _, s := range stores {
			for range 3 {
				wg.Go(func() {
					for {
						ms, err := s.ClaimMails(ctx, now, 2*time.Minute, 3)
						if err != nil {
							t.Error(err)
							return
						}
						if len(ms) == 0 {
							return
						}
						mu.Lock()
						for _, m := range ms {
							seen[m.ID]++
						}
						mu.Unlock()
					}
				})
			}
		}
		wg.Wait()
		if len(seen) != 100 {
			t.Fatalf("%d mails claimed, want 100", len(seen))
		}
		for id, n := range seen {
			if n != 1 {
				t.Fatalf("mail %d claimed %d times", id, n)
			}
		}
		// The lease over, they are due again.
		if ms, _ := stores[1].ClaimMails(ctx, now.Add(2*time.Minute), time.Minute, 1000); len(ms) != 100 {
			t.Fatalf("%d mails due after the lease, want 100", len(ms))
		}
	})
}

// The changes that tell the user of them queue their mails in their own
// transaction: enrollment (and when), new backup codes, a remembered device,
// two-factor sign-in turned off; a user's language is kept.
func TestMailsWithChanges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		d := e.New(t)
		s := d.Open(t)
		ctx := context.Background()
		id := users(t, s, "ann")[0]
		mail := func(key string) store.Mail {
			return store.Mail{Key: key, To: "ann@example.com", Subject: key, Body: "b"}
		}
		at := time.Unix(70_000, 0)
		if ok, _ := s.SetPending(ctx, id, false, []byte("sealed"), "s", at.Add(time.Hour)); !ok {
			t.Fatal("no pending enrollment")
		}
		if ok, err := s.ConfirmEnrollment(ctx, false, store.Enrolled{UserID: id, SecretEnc: []byte("sealed"), Step: 1,
			CodeHashes: []string{"c"}, Session: "s2", Expires: at.Add(time.Hour), At: at}, mail("enabled")); !ok || err != nil {
			t.Fatalf("confirm: %v %v", ok, err)
		}
		if list, _ := s.AdminUsers(ctx); !list[0].EnrolledAt.Equal(at) {
			t.Fatalf("enrolled at %v, want %v", list[0].EnrolledAt, at)
		}
		if err := s.ReplaceBackupCodes(ctx, id, []string{"d"}, mail("codes")); err != nil {
			t.Fatal(err)
		}
		if err := s.RememberDevice(ctx, "dev", id, at.Add(time.Hour), mail("device")); err != nil {
			t.Fatal(err)
		}
		if err := s.DisableMFA(ctx, id, "", mail("disabled")); err != nil {
			t.Fatal(err)
		}
		if list, _ := s.AdminUsers(ctx); !list[0].EnrolledAt.IsZero() || list[0].MFA {
			t.Fatalf("after disabling: %+v", list[0])
		}
		// A confirmation that fails (no pending enrollment) queues nothing.
		if ok, _ := s.ConfirmEnrollment(ctx, false, store.Enrolled{UserID: id, SecretEnc: []byte("x"), At: at}, mail("not")); ok {
			t.Fatal("confirmed without a pending enrollment")
		}
		if n := storetest.Count(t, d, `SELECT COUNT(*) FROM outbox WHERE key IN ('enabled', 'codes', 'device', 'disabled')`); n != 4 {
			t.Fatalf("%d of 4 mails queued", n)
		}
		if n, _ := s.Outbox(ctx); n != 4 {
			t.Fatalf("%d mails queued, want 4", n)
		}
		s.SetLang(ctx, id, "fr")
		if u, _ := s.UserByID(ctx, id); u.Lang != "fr" || u.Disabled {
			t.Fatalf("user: %+v", u)
		}
	})
}
