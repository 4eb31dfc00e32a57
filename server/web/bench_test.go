package web

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/wardauth/ward/server/metrics"
	"github.com/wardauth/ward/server/service"
	"github.com/wardauth/ward/server/store/storetest"
)

// BenchmarkVerify is the server's own work for one POST /api/v1/verify with a
// wrong code (token check, user, attempt, TOTP, audit), without the network: what
// scripts/bench-server.sh measures over loopback, beside /healthz. The metrics are
// counted, as with --metrics-addr.
func BenchmarkVerify(b *testing.B) {
	for _, eng := range storetest.Engines {
		b.Run(eng.Name, func(b *testing.B) { benchVerify(b, eng) })
	}
}

func benchVerify(b *testing.B, eng storetest.Engine) {
	e := newEnv(b, eng, func(c *service.Config) { c.Policy.MaxAttempts = 1 << 30; c.Metrics = metrics.New(nil) })
	e.enroll(e.client())
	token, err := e.srv.AddToken(b.Context(), "bench")
	if err != nil {
		b.Fatal(err)
	}
	h := e.web.Handler()
	var n atomic.Int64
	b.SetParallelism(32) // 64 clients on 2 CPUs, as scripts/bench-server.sh runs it
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			body := fmt.Sprintf(`{"username":"alice","code":"%06d"}`, (i*7919)%1000000)
			r := httptest.NewRequest("POST", "/api/v1/verify", strings.NewReader(body))
			r.Header.Set("Authorization", "Bearer "+token)
			r.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != http.StatusOK {
				b.Fatalf("verify: %d %s", w.Code, w.Body)
			}
		}
	})
	b.StopTimer()
	e.store.FlushAudit()
}

// BenchmarkHealthz is the same path for GET /healthz, for comparison.
func BenchmarkHealthz(b *testing.B) {
	e := newEnv(b, storetest.Engines[0])
	h := e.web.Handler()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest("GET", "/healthz", nil))
			if w.Code != http.StatusOK {
				b.Fatalf("healthz: %d", w.Code)
			}
		}
	})
}

// BenchmarkLoginFailure is a wrong sign-in for a name that exists and for one that
// does not: the two must cost the same (no timing tells them apart).
func BenchmarkLoginFailure(b *testing.B) {
	for _, eng := range storetest.Engines {
		for _, name := range []string{"alice", "nobody"} {
			b.Run(eng.Name+"/"+name, func(b *testing.B) {
				e := newEnv(b, eng, func(c *service.Config) {
					c.Policy.MaxAttempts, c.AddrFailures, c.Metrics = 1<<30, 1<<30, metrics.New(nil)
				})
				h := e.web.Handler()
				body := fmt.Sprintf(`{"username":%q,"password":"wrong password"}`, name)
				for b.Loop() {
					r := httptest.NewRequest("POST", "/api/v1/login", strings.NewReader(body))
					r.Header.Set("Content-Type", "application/json")
					w := httptest.NewRecorder()
					h.ServeHTTP(w, r)
					if w.Code != http.StatusUnauthorized {
						b.Fatalf("login: %d %s", w.Code, w.Body)
					}
				}
			})
		}
	}
}

// BenchmarkAdminUsers10k is GET /api/v1/admin/users with 10,000 users, 500 of them
// locked out: the admins' table. Target: under 100 ms.
func BenchmarkAdminUsers10k(b *testing.B) {
	for _, eng := range storetest.Engines {
		b.Run(eng.Name, func(b *testing.B) {
			e := newEnv(b, eng)
			ctx := b.Context()
			var wg sync.WaitGroup
			work := make(chan int)
			for range 16 {
				wg.Go(func() {
					for i := range work {
						if _, err := e.store.CreateUser(ctx, fmt.Sprintf("user%05d", i), fmt.Sprintf("user%05d@example.com", i), "hash", false, e.clk.now()); err != nil {
							b.Error(err)
						}
					}
				})
			}
			for i := range 10_000 {
				work <- i
			}
			close(work)
			wg.Wait()
			// 500 users locked out by wrong codes through verify (a name spends its
			// budget whether or not it has 2FA).
			p, _ := e.srv.Policy(ctx, service.CommandLine)
			token, _ := e.srv.AddToken(ctx, "bench")
			lock := make(chan int)
			for range 16 {
				wg.Go(func() {
					for i := range lock {
						for range p.MaxAttempts {
							e.verify(token, fmt.Sprintf("user%05d", i*20), "000000")
						}
					}
				})
			}
			for i := range 500 {
				lock <- i
			}
			close(lock)
			wg.Wait()
			admin := e.adminClient()
			b.ResetTimer()
			for b.Loop() {
				st, body := e.send(admin, "GET", "/api/v1/admin/users", nil)
				if st != http.StatusOK || len(body) < 1_000_000 {
					b.Fatalf("users: %d, %d bytes", st, len(body))
				}
			}
			b.StopTimer()
			_, body := e.send(admin, "GET", "/api/v1/admin/users", nil)
			if n := strings.Count(string(body), `"locked_until":"`); n != 500 {
				b.Fatalf("%d users locked in the table, want 500", n)
			}
		})
	}
}

// BenchmarkAuditOneUser1M is GET /api/v1/admin/audit?user=alice over an audit
// table of a million rows, alice's 20 of them among the verify events of 64
// other users: an admin looking up one user in a busy server's year.
func BenchmarkAuditOneUser1M(b *testing.B) {
	for _, eng := range storetest.Engines {
		b.Run(eng.Name, func(b *testing.B) {
			e := newEnv(b, eng)
			admin := e.adminClient()
			alice := e.userID("alice")
			storetest.Exec(b, e.db, `INSERT INTO audit (at, user_id, event, addr, detail, count)
				WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000)
				SELECT 1700000000 + i / 10, CASE WHEN i % 50000 = 0 THEN $1 ELSE 1000 + i % 64 END,
					CASE WHEN i % 50000 = 0 THEN 'signed_in' ELSE 'verify_failed' END, '192.0.2.1', 'bench', 1 FROM n`, alice)
			if eng.Name == "postgres" {
				storetest.Exec(b, e.db, `ANALYZE audit`)
			}
			b.ResetTimer()
			for b.Loop() {
				st, body := e.send(admin, "GET", "/api/v1/admin/audit?user=alice", nil)
				if n := strings.Count(string(body), `"signed_in"`); st != http.StatusOK || n < 20 {
					b.Fatalf("audit: %d, %d of alice's events", st, n)
				}
			}
		})
	}
}

// BenchmarkForwardAuth is the server's own work for one forward-auth check of a
// signed-in session (nginx's endpoint, a one_factor rule with groups, the user
// in one), without the network: the session, its user and their groups read,
// the rules matched, the headers written; and a bypass path, which reads no
// session. On every request of every protected app: scripts/bench-server.sh
// measures it through nginx.
func BenchmarkForwardAuth(b *testing.B) {
	for _, eng := range storetest.Engines {
		for _, path := range []string{"/staff/page", "/public/logo.png"} {
			b.Run(eng.Name+path, func(b *testing.B) { benchForwardAuth(b, eng, path) })
		}
	}
}

func benchForwardAuth(b *testing.B, eng storetest.Engine, path string) {
	_, doc, _ := net.ParseCIDR("192.0.2.0/24") // httptest.NewRequest's peer
	e := forwardEnv(b, eng, func(c *service.Config) { c.TrustedProxies = []*net.IPNet{doc} })
	e.addUser("bob")
	e.srv.AddGroup(b.Context(), service.CommandLine, "bob", "staff")
	e.srv.AddGroup(b.Context(), service.CommandLine, "bob", "ops")
	c := e.browser()
	if st, out := e.call(c, "/api/v1/login", map[string]string{"username": "bob", "password": "bob password"}); st != 200 {
		b.Fatalf("login: %d %v", st, out)
	}
	u, _ := url.Parse(e.ts.URL)
	cookie := c.Jar.Cookies(u)[0].String()
	h := e.web.Handler()
	want := "bob"
	if strings.HasPrefix(path, "/public/") {
		want = ""
	}
	b.SetParallelism(32) // 64 clients on 2 CPUs, as scripts/bench-server.sh runs it
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r := httptest.NewRequest("GET", "/api/authz/auth-request", nil)
			r.Header.Set("X-Original-URL", "https://wiki.example.test"+path)
			r.Header.Set("X-Original-Method", "GET")
			r.Header.Set("Cookie", cookie)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != http.StatusOK || w.Header().Get("Remote-User") != want {
				b.Fatalf("forward-auth: %d %q", w.Code, w.Header().Get("Remote-User"))
			}
		}
	})
}
