package web

import (
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wardauth/ward/server/auth"
	"github.com/wardauth/ward/server/service"
	"github.com/wardauth/ward/server/store"
	"github.com/wardauth/ward/server/store/storetest"
)

// Two servers on one database behave as one (issue 14): each test runs two real
// service.Servers, each with its own store and HTTP server, on one database, as
// two instances behind a proxy do. The rules held by the database's statements
// hold on both engines (two processes may share a SQLite file); what PostgreSQL
// adds for several instances (the shared per-address limit, changes told at once)
// is tested there.

// twin is another server on e's database: its own store, service and HTTP
// server, the same key file (every instance has it) and clock.
func (e *env) twin(options ...func(*service.Config)) *env {
	e.t.Helper()
	t := &env{t: e.t, store: e.db.Open(e.t), db: e.db, keys: e.keys, clk: e.clk}
	t.start(options...)
	return t
}

// audits counts the events of a kind in the database, after both servers wrote
// what they hold.
func audits(a, b *env, event string) int {
	b.store.FlushAudit()
	return a.audit(event)
}

// One code, used 50 times at once across two servers, signs in once and verifies
// once.
func TestInstancesCodeOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, eng storetest.Engine) {
		roomy := func(c *service.Config) {
			c.Policy = auth.Policy{MaxAttempts: 1000, Lockout: time.Hour}
			c.AddrFailures = 1000
		}
		a := newEnv(t, eng, roomy)
		b := a.twin(roomy)
		secret, _ := a.enroll(a.client())
		a.clk.add(30 * time.Second)
		code := codeNow(secret, a.clk.now())
		var clients []*http.Client
		for range 50 {
			c := a.client()
			if st, _ := a.call(c, "/api/v1/login", map[string]string{"username": "alice", "password": "alice password"}); st != 200 {
				t.Fatalf("login: %d", st)
			}
			clients = append(clients, c)
		}
		var wins atomic.Int32
		var wg sync.WaitGroup
		for i, c := range clients {
			wg.Go(func() {
				if st, _ := []*env{a, b}[i%2].call(c, "/api/v1/login/code", map[string]any{"code": code}); st == 200 {
					wins.Add(1)
				}
			})
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Fatalf("%d sign-ins with one code across two servers, want 1", wins.Load())
		}

		token, _ := a.srv.AddToken(t.Context(), "app")
		a.clk.add(30 * time.Second)
		code = codeNow(secret, a.clk.now())
		var valid, answered atomic.Int32
		for i := range 50 {
			wg.Go(func() {
				st, out := []*env{a, b}[i%2].verify(token, "alice", code)
				if st == 200 {
					answered.Add(1)
				}
				if out["valid"] == true {
					valid.Add(1)
				}
			})
		}
		wg.Wait()
		if valid.Load() != 1 || answered.Load() != 50 {
			t.Fatalf("one code verified 50 times across two servers: %d valid of %d answers, want 1 of 50", valid.Load(), answered.Load())
		}
	})
}

// 50 wrong passwords at once, split across two servers, evaluate at most the
// limit: the rest are refused as locked, on either.
func TestInstancesOneLockout(t *testing.T) {
	storetest.Each(t, func(t *testing.T, eng storetest.Engine) {
		limits := func(c *service.Config) {
			c.Policy = auth.Policy{MaxAttempts: 5, Lockout: 15 * time.Minute}
			c.AddrFailures = 1000
		}
		a := newEnv(t, eng, limits)
		b := a.twin(limits)
		var wrong, locked atomic.Int32
		var wg sync.WaitGroup
		for i := range 50 {
			wg.Go(func() {
				e := []*env{a, b}[i%2]
				switch st, _ := e.call(e.client(), "/api/v1/login", map[string]string{"username": "alice", "password": "wrong password"}); st {
				case 401:
					wrong.Add(1)
				case 429:
					locked.Add(1)
				}
			})
		}
		wg.Wait()
		if wrong.Load() != 5 || locked.Load() != 45 {
			t.Fatalf("50 wrong passwords across two servers, limit 5: %d evaluated, %d locked", wrong.Load(), locked.Load())
		}
		if n := audits(a, b, "login_failed"); n != 5 {
			t.Fatalf("%d failures audited, want 5", n)
		}
		for _, e := range []*env{a, b} {
			if st, _ := e.call(e.client(), "/api/v1/login", map[string]string{"username": "alice", "password": "alice password"}); st != 429 {
				t.Fatalf("the right password during the lockout: %d", st)
			}
		}
	})
}

// A session made on one server is valid on the other; signed out on the other,
// it is refused on the first.
func TestInstancesSessionShared(t *testing.T) {
	storetest.Each(t, func(t *testing.T, eng storetest.Engine) {
		a := newEnv(t, eng)
		b := a.twin()
		c := a.client() // cookies go to both: one host, two ports
		a.enroll(c)
		if st, out := b.call(c, "/api/v1/me", nil); st != 200 || out["username"] != "alice" || out["mfa_enabled"] != true {
			t.Fatalf("the session made on the first server, on the second: %d %v", st, out)
		}
		u, _ := url.Parse(a.ts.URL)
		kept := c.Jar.Cookies(u)
		if st, _ := b.call(c, "/api/v1/logout", map[string]string{}); st != 204 {
			t.Fatalf("logout on the second: %d", st)
		}
		// The jar dropped the cookie at logout: send the old one as a thief would.
		thief := a.client()
		thief.Jar.SetCookies(u, kept)
		if len(thief.Jar.Cookies(u)) == 0 {
			t.Fatal("no cookie kept")
		}
		if st, _ := a.call(thief, "/api/v1/me", nil); st != 401 {
			t.Fatalf("after logout on the second server, the session's cookie on the first: %d", st)
		}
	})
}

// The per-address limit is one across servers (PostgreSQL): an address's
// failures on either count toward it, and then both refuse it.
func TestInstancesAddressLimitShared(t *testing.T) {
	storetest.Each(t, func(t *testing.T, eng storetest.Engine) {
		if eng.Name == "sqlite" {
			t.Skip("one SQLite file has one server: its limit is in memory")
		}
		const limit = 4
		opt := func(c *service.Config) { c.AddrFailures = limit }
		a := newEnv(t, eng, opt)
		b := a.twin(opt)
		for i := range limit {
			e := []*env{a, b}[i%2]
			// A name each: no account's budget is near its end.
			if st, _ := e.call(e.client(), "/api/v1/login", map[string]string{"username": "nobody" + itoa(int64(i)), "password": "x"}); st != 401 {
				t.Fatalf("failure %d of the address: %d", i+1, st)
			}
		}
		for _, e := range []*env{a, b} {
			if st, _ := e.call(e.client(), "/api/v1/login", map[string]string{"username": "alice", "password": "alice password"}); st != 429 {
				t.Fatalf("the address past its limit (%d failures across two servers): %d", limit, st)
			}
		}
		if n := audits(a, b, "address_limited"); n != 2 {
			t.Fatalf("%d refusals audited, want 2", n)
		}
		// A browser that signed in as alice before is not held by it, on either.
		known := a.client()
		a.clk.add(16 * time.Minute)
		if st, _ := a.call(known, "/api/v1/login", map[string]string{"username": "alice", "password": "alice password"}); st != 200 {
			t.Fatalf("sign-in after the window: %d", st)
		}
		for i := range limit {
			b.call(b.client(), "/api/v1/login", map[string]string{"username": "nobody" + itoa(int64(i)), "password": "x"})
		}
		if st, _ := b.call(known, "/api/v1/login", map[string]string{"username": "alice", "password": "alice password"}); st != 200 {
			t.Fatalf("a known browser, held by the address's limit on the other server: %d", st)
		}
	})
}

// An admin's change on one server applies on the other at once (PostgreSQL tells
// of it at commit; a server's policy cache lives a second otherwise): the
// requirement of two-factor sign-in turned on at the first is enforced by the
// second's next requests within a few milliseconds, far inside the cache's
// second; a user disabled at the first is refused by the second's next request.
func TestInstancesAdminChangeAtOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, eng storetest.Engine) {
		if eng.Name == "sqlite" {
			t.Skip("one SQLite file has one server: a command's change applies within the policy cache's second")
		}
		a := newEnv(t, eng)
		b := a.twin()
		admin := a.adminClient()
		a.addUser("bob")
		bob := a.client()
		if st, out := b.call(bob, "/api/v1/login", map[string]string{"username": "bob", "password": "bob password"}); st != 200 || out["next"] != "enroll" {
			t.Fatalf("bob's sign-in on the second: %d %v", st, out)
		}
		member := func() int { // a call every member may make, refused past the requirement
			st, _ := b.call(bob, "/api/v1/password", map[string]string{"current": "x", "new": "short"})
			return st
		}
		if st := member(); st != 400 { // and the second server has just read the policy
			t.Fatalf("before the requirement: %d", st)
		}
		if st, out := a.send(admin, "PUT", "/api/v1/admin/policy", policyBody(true, nil)); st != 200 {
			t.Fatalf("policy: %d %s", st, out)
		}
		changed := time.Now()
		for member() != http.StatusForbidden {
			if time.Since(changed) > 250*time.Millisecond {
				t.Fatalf("the second server still lets bob through %s after the requirement was saved on the first", time.Since(changed))
			}
			time.Sleep(2 * time.Millisecond)
		}
		t.Logf("the requirement saved on the first server applied on the second after %s", time.Since(changed))
		if st, _ := a.send(admin, "POST", "/api/v1/admin/users/bob/disable", nil); st != 204 {
			t.Fatalf("disable: %d", st)
		}
		if st, _ := b.call(bob, "/api/v1/me", nil); st != 401 {
			t.Fatalf("bob disabled on the first server, his next request on the second: %d", st)
		}
	})
}

// The hourly sweep and the deadline's reminders run once across servers: of 20
// rounds started at one moment on two servers, one takes the turn (removing the
// expired rows, queueing one reminder a user); an hour later one takes it again,
// and the reminder, queued already, is not queued twice.
func TestInstancesSweepOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, eng storetest.Engine) {
		year := func(c *service.Config) { c.AuditDays = 365 }
		a := newEnv(t, eng, year)
		b := a.twin(year)
		storetest.Exec(t, a.db, `UPDATE users SET email = 'alice@example.com' WHERE name = 'alice'`)
		deadline := a.clk.now().Add(5 * 24 * time.Hour)
		a.setPolicy(func(p *store.Policy) { p.Require2FA, p.Deadline = true, deadline })
		a.store.Audit(t.Context(), a.clk.now().AddDate(-2, 0, 0), 0, "login_failed", "192.0.2.1", "")
		a.store.FlushAudit()
		rounds := func() int32 {
			var turns atomic.Int32
			var wg sync.WaitGroup
			for i := range 20 {
				wg.Go(func() {
					if []*env{a, b}[i%2].srv.SweepTurn(t.Context(), time.Hour) {
						turns.Add(1)
					}
				})
			}
			wg.Wait()
			return turns.Load()
		}
		reminders := func() int {
			return a.count(`SELECT COUNT(*) FROM outbox WHERE key LIKE 'deadline-7d:%'`)
		}
		if n := rounds(); n != 1 {
			t.Fatalf("%d of 20 rounds at one moment on two servers took the turn, want 1", n)
		}
		if n := reminders(); n != 1 {
			t.Fatalf("%d reminders queued for alice, want 1", n)
		}
		if n := a.count(`SELECT COUNT(*) FROM audit WHERE event = 'login_failed' AND addr = '192.0.2.1'`); n != 0 {
			t.Fatalf("the expired audit row is still there after the round")
		}
		a.clk.add(30 * time.Minute)
		if n := rounds(); n != 0 {
			t.Fatalf("%d rounds took the turn half an hour after the last", n)
		}
		a.clk.add(30 * time.Minute)
		if n := rounds(); n != 1 {
			t.Fatalf("%d of 20 rounds an hour later took the turn, want 1", n)
		}
		if n := reminders(); n != 1 {
			t.Fatalf("%d reminders queued for alice after two rounds, want 1", n)
		}
	})
}
