package web

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/wardauth/ward/server/service"
	"github.com/wardauth/ward/server/store/storetest"
)

// BenchmarkVerify is the server's own work for one POST /api/v1/verify with a
// wrong code (token check, user, attempt, TOTP, audit), without the network: what
// scripts/bench-server.sh measures over loopback, beside /healthz.
func BenchmarkVerify(b *testing.B) {
	for _, eng := range storetest.Engines {
		b.Run(eng.Name, func(b *testing.B) { benchVerify(b, eng) })
	}
}

func benchVerify(b *testing.B, eng storetest.Engine) {
	e := newEnv(b, eng, func(c *service.Config) { c.Policy.MaxAttempts = 1 << 30 })
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
				e := newEnv(b, eng, func(c *service.Config) { c.Policy.MaxAttempts = 1 << 30; c.AddrFailures = 1 << 30 })
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
