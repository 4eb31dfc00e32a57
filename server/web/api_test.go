package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image/png"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wardauth/ward/server/auth"
	"github.com/wardauth/ward/server/service"
	"github.com/wardauth/ward/server/store"
	"github.com/wardauth/ward/server/store/storetest"
	"github.com/wardauth/ward/vault"
)

// verify calls POST /api/v1/verify with an application token; safe from any
// goroutine (a failed request is an Error, and answers 0).
func (e *env) verify(token, user, code string) (int, map[string]any) {
	b, _ := json.Marshal(map[string]string{"username": user, "code": code})
	req, _ := http.NewRequest("POST", e.ts.URL+"/api/v1/verify", bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+token)
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Error(err)
		return 0, nil
	}
	defer r.Body.Close()
	var out map[string]any
	json.NewDecoder(r.Body).Decode(&out)
	return r.StatusCode, out
}

// client is a browser-like client with its own cookies.
func (e *env) client() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar}
}

func (e *env) call(c *http.Client, path string, body any) (int, map[string]any) {
	e.t.Helper()
	var r *http.Response
	var err error
	if body == nil && path == "/api/v1/me" {
		r, err = c.Get(e.ts.URL + path)
	} else {
		b, _ := json.Marshal(body)
		r, err = c.Post(e.ts.URL+path, "application/json", bytes.NewReader(b))
	}
	if err != nil {
		e.t.Fatal(err)
	}
	defer r.Body.Close()
	var out map[string]any
	json.NewDecoder(r.Body).Decode(&out)
	if r.StatusCode == http.StatusTooManyRequests && r.Header.Get("Retry-After") == "" {
		e.t.Error("429 without Retry-After")
	}
	return r.StatusCode, out
}

func codeNow(secret string, t time.Time) string {
	sec, _ := vault.ParseSecret(secret)
	a := vault.Account{Type: vault.TOTP, Secret: sec, Algorithm: vault.SHA1, Digits: 6, Period: 30}
	c, _ := a.Code(t)
	return c
}

// enroll signs alice in and enrolls her; it returns her secret and backup codes.
func (e *env) enroll(c *http.Client) (string, []string) {
	e.t.Helper()
	if st, out := e.call(c, "/api/v1/login", map[string]string{"username": "alice", "password": "alice password"}); st != 200 || out["next"] != "enroll" {
		e.t.Fatalf("login: %d %v", st, out)
	}
	st, out := e.call(c, "/api/v1/enroll", map[string]string{})
	if st != 200 {
		e.t.Fatalf("enroll: %d %v", st, out)
	}
	secret := out["secret"].(string)
	if !strings.Contains(out["otpauth"].(string), "secret="+secret) {
		e.t.Fatal("the otpauth link lacks the secret")
	}
	qr, _ := base64.StdEncoding.DecodeString(out["qr_png"].(string))
	if _, err := png.Decode(bytes.NewReader(qr)); err != nil {
		e.t.Fatalf("the QR code is not a PNG: %v", err)
	}
	st, out = e.call(c, "/api/v1/enroll/confirm", map[string]string{"code": codeNow(secret, e.clk.now())})
	if st != 200 {
		e.t.Fatalf("confirm: %d %v", st, out)
	}
	var codes []string
	for _, c := range out["backup_codes"].([]any) {
		codes = append(codes, c.(string))
	}
	return secret, codes
}

func TestEnrollAndSignIn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng)
		c := e.client()
		secret, codes := e.enroll(c)
		if len(codes) != 10 {
			t.Fatalf("%d backup codes", len(codes))
		}
		st, me := e.call(c, "/api/v1/me", nil)
		if st != 200 || me["mfa_enabled"] != true || me["backup_codes_left"].(float64) != 10 {
			t.Fatalf("me: %d %v", st, me)
		}
		e.call(c, "/api/v1/logout", map[string]string{})
		if st, _ := e.call(c, "/api/v1/me", nil); st != 401 {
			t.Fatalf("me after logout: %d", st)
		}

		// Password, then a code of the next step (the confirming one was used).
		e.clk.add(30 * time.Second)
		if st, out := e.call(c, "/api/v1/login", map[string]string{"username": "alice", "password": "alice password"}); out["next"] != "code" {
			t.Fatalf("login: %d %v", st, out)
		}
		if st, _ := e.call(c, "/api/v1/me", nil); st != 401 {
			t.Fatal("a half sign-in reaches /me")
		}
		code := codeNow(secret, e.clk.now())
		if st, out := e.call(c, "/api/v1/login/code", map[string]any{"code": code}); st != 200 || out["next"] != "done" {
			t.Fatalf("code: %d %v", st, out)
		}
		// The same code again (another sign-in): refused, replay.
		c2 := e.client()
		e.call(c2, "/api/v1/login", map[string]string{"username": "alice", "password": "alice password"})
		if st, out := e.call(c2, "/api/v1/login/code", map[string]any{"code": code}); st != 401 || out["error"] != service.WrongCredentials {
			t.Fatalf("replayed code: %d %v", st, out)
		}
		// A backup code works once.
		if st, _ := e.call(c2, "/api/v1/login/code", map[string]any{"code": strings.ToLower(codes[0])}); st != 200 {
			t.Fatalf("backup code: %d", st)
		}
		c3 := e.client()
		e.call(c3, "/api/v1/login", map[string]string{"username": "alice", "password": "alice password"})
		if st, _ := e.call(c3, "/api/v1/login/code", map[string]any{"code": codes[0]}); st != 401 {
			t.Fatal("a backup code worked twice")
		}
		if _, me := e.call(c2, "/api/v1/me", nil); me["backup_codes_left"].(float64) != 9 {
			t.Fatalf("codes left %v", me["backup_codes_left"])
		}
	})
}

// Wrong user and wrong password get the same sentence; after 5 failures the
// account locks (429, Retry-After), password and code alike.
func TestLockout(t *testing.T) {
	storetest.Each(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng)
		c := e.client()
		st1, out1 := e.call(c, "/api/v1/login", map[string]string{"username": "nobody", "password": "x"})
		st2, out2 := e.call(c, "/api/v1/login", map[string]string{"username": "alice", "password": "x"})
		if st1 != 401 || st2 != 401 || out1["error"] != out2["error"] {
			t.Fatalf("unknown user %d %v, wrong password %d %v", st1, out1, st2, out2)
		}
		for range 4 {
			e.call(c, "/api/v1/login", map[string]string{"username": "alice", "password": "x"})
		}
		if st, _ := e.call(c, "/api/v1/login", map[string]string{"username": "alice", "password": "alice password"}); st != 429 {
			t.Fatalf("the right password during a lockout: %d", st)
		}
		e.clk.add(16 * time.Minute)
		if st, _ := e.call(c, "/api/v1/login", map[string]string{"username": "alice", "password": "alice password"}); st != 200 {
			t.Fatalf("after the lockout: %d", st)
		}
		if n := e.audit("login_failed"); n != 6 {
			t.Errorf("%d failures audited, want 6", n)
		}
	})
}

// 50 parallel requests with one valid code get exactly one success.
func TestParallelCode(t *testing.T) {
	storetest.Each(t, func(t *testing.T, eng storetest.Engine) {
		// Each of the 50 sign-ins below spends an attempt until its code: a budget
		// large enough that only the replay check can refuse them.
		e := newEnv(t, eng, func(c *service.Config) {
			c.Policy = auth.Policy{MaxAttempts: 1000, Lockout: time.Hour}
			c.AddrFailures = 1000
		})
		secret, _ := e.enroll(e.client())
		e.clk.add(30 * time.Second)
		code := codeNow(secret, e.clk.now())
		var clients []*http.Client
		for range 50 {
			c := e.client()
			e.call(c, "/api/v1/login", map[string]string{"username": "alice", "password": "alice password"})
			clients = append(clients, c)
		}
		var wins atomic.Int32
		var wg sync.WaitGroup
		for _, c := range clients {
			wg.Go(func() {
				if st, _ := e.call(c, "/api/v1/login/code", map[string]any{"code": code}); st == 200 {
					wins.Add(1)
				}
			})
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Fatalf("%d sign-ins with one code", wins.Load())
		}
	})
}

func TestEnrollmentExpires(t *testing.T) {
	storetest.Each(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng)
		c := e.client()
		e.call(c, "/api/v1/login", map[string]string{"username": "alice", "password": "alice password"})
		_, out := e.call(c, "/api/v1/enroll", map[string]string{})
		secret := out["secret"].(string)
		e.clk.add(11 * time.Minute)
		if st, out := e.call(c, "/api/v1/enroll/confirm", map[string]string{"code": codeNow(secret, e.clk.now())}); st != 400 {
			t.Fatalf("confirming after 11 minutes: %d %v", st, out)
		}
		if _, me := e.call(c, "/api/v1/me", nil); me["mfa_enabled"] != false {
			t.Fatal("an expired enrollment turned 2FA on")
		}
	})
}

// The database holds no TOTP secret in a readable form.
func TestNoSecretInDatabase(t *testing.T) {
	storetest.Each(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng)
		secret, _ := e.enroll(e.client())
		raw, _ := vault.ParseSecret(secret)
		var data []byte
		if eng.Name == "sqlite" { // the files themselves
			for _, f := range []string{e.db.URL, e.db.URL + "-wal"} {
				b, _ := os.ReadFile(f)
				data = append(data, b...)
			}
		} else { // every row of every table, as text
			for _, table := range []string{"users", "backup_codes", "sessions", "devices", "app_tokens", "audit", "attempts"} {
				rows, err := e.db.SQL.Query(`SELECT t::text FROM ` + table + ` t`)
				if err != nil {
					t.Fatal(err)
				}
				for rows.Next() {
					var row string
					rows.Scan(&row)
					data = append(data, row...)
				}
				rows.Close()
			}
		}
		if len(data) == 0 {
			t.Fatal("nothing read from the database")
		}
		if bytes.Contains(data, []byte(secret)) || bytes.Contains(data, raw) || bytes.Contains(bytes.ToLower(data), []byte(strings.ToLower(secret))) {
			t.Fatal("the secret is readable in the database")
		}
	})
}

func TestHostileRequests(t *testing.T) {
	storetest.Each(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng)
		for _, c := range []struct {
			name, body string
			want       int
		}{{"not json", "{{{", 400}, {"huge", `{"username":"` + strings.Repeat("a", 70000) + `"}`, 413}} {
			r, err := http.Post(e.ts.URL+"/api/v1/login", "application/json", strings.NewReader(c.body))
			if err != nil {
				t.Fatal(err)
			}
			var out map[string]string
			json.NewDecoder(r.Body).Decode(&out)
			r.Body.Close()
			if r.StatusCode != c.want || out["error"] == "" {
				t.Errorf("%s: %d %v, want %d", c.name, r.StatusCode, out, c.want)
			}
		}
		// A cross-origin browser request is refused.
		req, _ := http.NewRequest("POST", e.ts.URL+"/api/v1/login", strings.NewReader(`{}`))
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		r, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		if r.StatusCode != http.StatusForbidden {
			t.Errorf("cross-site POST: %d", r.StatusCode)
		}
		if r.Header.Get("Content-Security-Policy") == "" && r.StatusCode != 403 {
			t.Error("no CSP")
		}
	})
}

// Regenerating needs a current code and kills the old set; disabling needs a code.
func TestCodesAndDisable(t *testing.T) {
	storetest.Each(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng)
		c := e.client()
		secret, old := e.enroll(c)
		if st, _ := e.call(c, "/api/v1/backup-codes", map[string]string{"code": "000000"}); st != 401 {
			t.Fatalf("regenerate with a wrong code: %d", st)
		}
		e.clk.add(30 * time.Second)
		st, out := e.call(c, "/api/v1/backup-codes", map[string]string{"code": codeNow(secret, e.clk.now())})
		if st != 200 || len(out["backup_codes"].([]any)) != 10 {
			t.Fatalf("regenerate: %d %v", st, out)
		}
		c2 := e.client()
		e.call(c2, "/api/v1/login", map[string]string{"username": "alice", "password": "alice password"})
		if st, _ := e.call(c2, "/api/v1/login/code", map[string]any{"code": old[1]}); st != 401 {
			t.Fatal("a code of the old set works")
		}
		if st, _ := e.call(c, "/api/v1/2fa/disable", map[string]string{}); st != 401 {
			t.Fatal("disabled without a code")
		}
		e.clk.add(30 * time.Second)
		if st, _ := e.call(c, "/api/v1/2fa/disable", map[string]string{"code": codeNow(secret, e.clk.now())}); st != 204 {
			t.Fatalf("disable: %d", st)
		}
		if _, me := e.call(c, "/api/v1/me", nil); me["mfa_enabled"] != false {
			t.Fatal("still enrolled")
		}
	})
}

// An application with a token checks codes; without one it is refused.
func TestVerifyAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng)
		secret, backup := e.enroll(e.client())
		token, err := e.srv.AddToken(context.Background(), "intranet")
		if err != nil {
			t.Fatal(err)
		}
		post := e.verify
		if st, _ := post("ward_not-a-token", "alice", "123456"); st != 401 {
			t.Fatalf("a wrong token: %d", st)
		}
		e.clk.add(30 * time.Second)
		code := codeNow(secret, e.clk.now())
		if st, out := post(token, "alice", code); st != 200 || out["valid"] != true {
			t.Fatalf("verify: %d %v", st, out)
		}
		if _, out := post(token, "alice", code); out["valid"] != false {
			t.Fatal("a code verified twice")
		}
		if _, out := post(token, "nobody", code); out["valid"] != false {
			t.Fatal("an unknown user verified")
		}
		hash, _ := e.srv.HashPassword(context.Background(), "bob password")
		e.store.CreateUser(context.Background(), "bob", "", hash, false, e.clk.now())
		if _, out := post(token, "bob", code); out["valid"] != false {
			t.Fatal("a user without two-factor sign-in verified")
		}
		// A backup code works through verify too, once.
		if _, out := post(token, "alice", backup[2]); out["valid"] != true {
			t.Fatal("a backup code refused")
		}
		if _, out := post(token, "alice", backup[2]); out["valid"] != false {
			t.Fatal("a backup code verified twice")
		}
		// The attempt budget holds here as on sign-in: a success clears the failures,
		// then 5 wrong codes in a row lock the account (429, Retry-After), even for
		// the right code, until the lockout ends.
		e.clk.add(30 * time.Second)
		if _, out := post(token, "alice", codeNow(secret, e.clk.now())); out["valid"] != true {
			t.Fatal("a fresh code refused")
		}
		for i := range 5 {
			if st, out := post(token, "alice", "000000"); st != 200 || out["valid"] != false {
				t.Fatalf("wrong code %d: %d %v", i, st, out)
			}
		}
		e.clk.add(30 * time.Second)
		if st, _ := post(token, "alice", codeNow(secret, e.clk.now())); st != 429 {
			t.Fatalf("the right code on a locked account: %d, want 429", st)
		}
		e.clk.add(15 * time.Minute)
		if st, out := post(token, "alice", codeNow(secret, e.clk.now())); st != 200 || out["valid"] != true {
			t.Fatalf("after the lockout: %d %v", st, out)
		}
		// 7 failures of alice, 2 for names without two-factor sign-in (nobody, bob).
		for event, want := range map[string]int{"verified": 4, "verify_failed": 7 + 2, "locked": 1} {
			if n := e.audit(event); n != want {
				t.Errorf("%d %s events in the audit table, want %d", n, event, want)
			}
		}
	})
}

// "Remember this device": the next sign-in on it needs the password only; changing
// the password forgets every device and ends every other session.
func TestRememberDeviceAndPasswordChange(t *testing.T) {
	storetest.Each(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng, func(c *service.Config) { c.RememberDays = 30 })
		c := e.client()
		secret, _ := e.enroll(c)
		e.call(c, "/api/v1/logout", map[string]string{})
		e.clk.add(30 * time.Second)
		e.call(c, "/api/v1/login", map[string]string{"username": "alice", "password": "alice password"})
		if st, _ := e.call(c, "/api/v1/login/code", map[string]any{"code": codeNow(secret, e.clk.now()), "remember": true}); st != 200 {
			t.Fatal("code")
		}
		e.call(c, "/api/v1/logout", map[string]string{})
		if _, out := e.call(c, "/api/v1/login", map[string]string{"username": "alice", "password": "alice password"}); out["next"] != "done" {
			t.Fatalf("a remembered device: next %v", out["next"])
		}
		other := e.client()
		e.clk.add(30 * time.Second)
		e.call(other, "/api/v1/login", map[string]string{"username": "alice", "password": "alice password"})
		e.call(other, "/api/v1/login/code", map[string]any{"code": codeNow(secret, e.clk.now())})
		if st, _ := e.call(other, "/api/v1/me", nil); st != 200 {
			t.Fatal("the other session is not signed in")
		}
		if st, _ := e.call(c, "/api/v1/password", map[string]string{"current": "wrong", "new": "a new long password"}); st != 401 {
			t.Fatal("password changed without the current one")
		}
		if st, _ := e.call(c, "/api/v1/password", map[string]string{"current": "alice password", "new": "a new long password"}); st != 204 {
			t.Fatal("password change refused")
		}
		if st, _ := e.call(other, "/api/v1/me", nil); st != 401 {
			t.Fatal("the other session survived the password change")
		}
		if st, _ := e.call(c, "/api/v1/me", nil); st != 200 {
			t.Fatal("the changing session was ended")
		}
		e.call(c, "/api/v1/logout", map[string]string{})
		if _, out := e.call(c, "/api/v1/login", map[string]string{"username": "alice", "password": "a new long password"}); out["next"] != "code" {
			t.Fatalf("the device is still remembered after the password change: %v", out["next"])
		}
	})
}

// The per-address limit counts failures only, across accounts; behind a trusted
// proxy the client's address comes from X-Forwarded-For, otherwise it is ignored.
func TestAddressLimit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng, func(c *service.Config) { c.AddrFailures = 8 })
		ctx := context.Background()
		for i := range 10 {
			h, _ := e.srv.HashPassword(ctx, "pw")
			e.store.CreateUser(ctx, fmt.Sprintf("user%d", i), "", h, false, e.clk.now())
		}
		post := func(user, pass, xff string) int {
			req, _ := http.NewRequest("POST", e.ts.URL+"/api/v1/login", strings.NewReader(fmt.Sprintf(`{"username":%q,"password":%q}`, user, pass)))
			if xff != "" {
				req.Header.Set("X-Forwarded-For", xff)
			}
			r, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			r.Body.Close()
			return r.StatusCode
		}
		// Successes do not count: ten sign-ins from one address all pass.
		for i := range 10 {
			if st := post(fmt.Sprintf("user%d", i), "pw", ""); st != 200 {
				t.Fatalf("sign-in %d: %d", i, st)
			}
		}
		// Many correct sign-ins at once from one address (a team behind NAT): none is
		// refused, however many are in flight.
		var ok atomic.Int32
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Go(func() {
				if post(fmt.Sprintf("user%d", i%10), "pw", "") == 200 {
					ok.Add(1)
				}
			})
		}
		wg.Wait()
		if ok.Load() != 20 {
			t.Fatalf("%d of 20 simultaneous correct sign-ins passed", ok.Load())
		}
		// Eight wrong guesses over several accounts, then the address is refused, for
		// every account, even with the right password.
		for i := range 8 {
			if st := post(fmt.Sprintf("user%d", i), "wrong", ""); st != 401 {
				t.Fatalf("wrong guess %d: %d", i, st)
			}
		}
		if st := post("user9", "pw", ""); st != 429 {
			t.Fatalf("after 8 failures from the address: %d", st)
		}
		// X-Forwarded-For from an untrusted peer changes nothing.
		if st := post("user1", "pw", "203.0.113.9"); st != 429 {
			t.Fatalf("a spoofed X-Forwarded-For escaped the limit: %d", st)
		}
		// Behind a trusted proxy each client has its own address:
		// TestTrustedProxySeparatesClients.
	})
}

// The same two concurrency rules through POST /api/v1/verify: 50 parallel checks
// with one valid code get one "valid"; 50 parallel wrong codes against a limit of 5
// evaluate 5 (audited as failures) and refuse 45 with 429.
func TestParallelVerify(t *testing.T) {
	storetest.Each(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng)
		secret, _ := e.enroll(e.client())
		token, _ := e.srv.AddToken(context.Background(), "app")
		post := func(code string) (int, bool) {
			st, out := e.verify(token, "alice", code)
			return st, out["valid"] == true
		}
		parallel := func(code string) (valid, ok200, locked int32) {
			var v, o, l atomic.Int32
			var wg sync.WaitGroup
			for range 50 {
				wg.Go(func() {
					st, good := post(code)
					if good {
						v.Add(1)
					}
					switch st {
					case 200:
						o.Add(1)
					case 429:
						l.Add(1)
					}
				})
			}
			wg.Wait()
			return v.Load(), o.Load(), l.Load()
		}
		// A budget large enough that only the replay check refuses: the same
		// database, served again with another policy.
		e.setPolicy(func(p *store.Policy) { p.MaxAttempts = 100 })
		e.clk.add(30 * time.Second)
		if valid, ok200, _ := parallel(codeNow(secret, e.clk.now())); valid != 1 || ok200 != 50 {
			t.Fatalf("one code 50 times at once: %d valid of %d answers", valid, ok200)
		}
		// The 49 replays were failures: a success clears them.
		e.clk.add(30 * time.Second)
		if _, good := post(codeNow(secret, e.clk.now())); !good {
			t.Fatal("the next code refused")
		}
		e.setPolicy(func(p *store.Policy) { p.MaxAttempts = 5 })
		if valid, ok200, locked := parallel("000000"); valid != 0 || ok200 != 5 || locked != 45 {
			t.Fatalf("50 wrong codes at once, limit 5: %d evaluated, %d refused", ok200, locked)
		}
		if n := e.audit("verify_failed"); n != 49+5 {
			t.Fatalf("%d failures audited, want 54 (49 replays and 5 wrong codes)", n)
		}
		if n := e.audit("locked"); n != 45 {
			t.Fatalf("%d refusals audited, want 45", n)
		}
	})
}

// Sweep removes what has expired and nothing else: sessions after their 12 hours,
// pending enrollments after 10 minutes (their encrypted secret with them),
// remembered devices after their days, audit events after AuditDays, a backlog
// of them in batches.
func TestSweep(t *testing.T) {
	storetest.Each(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng, func(c *service.Config) { c.RememberDays = 30; c.AuditDays = 60 })
		ctx := context.Background()
		count := func(q string) int {
			t.Helper()
			var n int
			if err := e.db.SQL.QueryRow(q).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		c := e.client()
		secret, codes := e.enroll(c)
		e.clk.add(30 * time.Second)
		e.call(c, "/api/v1/logout", map[string]string{})
		e.call(c, "/api/v1/login", map[string]string{"username": "alice", "password": "alice password"})
		if st, _ := e.call(c, "/api/v1/login/code", map[string]any{"code": codeNow(secret, e.clk.now()), "remember": true}); st != 200 {
			t.Fatal("sign-in with a code")
		}
		hash, _ := e.srv.HashPassword(ctx, "bob password")
		e.store.CreateUser(ctx, "bob", "", hash, false, e.clk.now())
		b := e.client()
		e.call(b, "/api/v1/login", map[string]string{"username": "bob", "password": "bob password"})
		if st, _ := e.call(b, "/api/v1/enroll", map[string]string{}); st != 200 {
			t.Fatal("bob's enrollment")
		}
		// 12,345 events from 61 days ago: older than AuditDays.
		old := e.clk.now().AddDate(0, 0, -61)
		for range 12_345 {
			e.store.Audit(ctx, old, 0, "verify_failed", "192.0.2.1", "")
		}
		e.store.FlushAudit()
		recent := count(`SELECT COUNT(*) FROM audit`) - 12_345
		sessions := count(`SELECT COUNT(*) FROM sessions`)
		if recent < 3 || sessions != 2 || count(`SELECT COUNT(*) FROM devices`) != 1 {
			t.Fatalf("before: %d recent events, %d sessions", recent, sessions)
		}

		n, err := e.srv.Sweep(ctx)
		if err != nil || n != (store.Swept{Audit: 12_345}) {
			t.Fatalf("first sweep: %+v, %v", n, err)
		}
		if got := count(`SELECT COUNT(*) FROM audit`); got != recent {
			t.Fatalf("%d events left, want the %d recent ones", got, recent)
		}

		// 11 minutes: bob's pending enrollment has expired, nothing else.
		e.clk.add(11 * time.Minute)
		if n, err := e.srv.Sweep(ctx); err != nil || n != (store.Swept{Pending: 1}) {
			t.Fatalf("after 11 minutes: %+v, %v", n, err)
		}
		if count(`SELECT COUNT(*) FROM users WHERE pending_enc IS NOT NULL OR pending_expires <> 0`) != 0 {
			t.Fatal("an expired enrollment's secret is still stored")
		}
		if count(`SELECT COUNT(*) FROM users WHERE secret_enc IS NOT NULL`) != 1 {
			t.Fatal("alice's secret was removed")
		}

		// 13 hours: both sessions have ended; alice's device is still remembered.
		// Where the store keeps the per-address counts (PostgreSQL, shared by
		// several servers), the sign-ins' address row is past its window too.
		e.clk.add(13 * time.Hour)
		want := store.Swept{Sessions: 2}
		if _, shared := e.store.(store.AddrLimits); shared {
			want.Addrs = 1
		}
		if n, err := e.srv.Sweep(ctx); err != nil || n != want {
			t.Fatalf("after 13 hours: %+v, %v", n, err)
		}
		if st, _ := e.call(c, "/api/v1/me", nil); st != 401 {
			t.Fatal("a swept session still signs in")
		}
		if _, out := e.call(c, "/api/v1/login", map[string]string{"username": "alice", "password": "alice password"}); out["next"] != "done" {
			t.Fatalf("the remembered device was forgotten: next %v", out["next"])
		}

		// 31 days: the device has expired (the sign-in just now made a session, which
		// has expired too); 61 days: the events of the first day go.
		e.clk.add(31 * 24 * time.Hour)
		if n, err := e.srv.Sweep(ctx); err != nil || n != (store.Swept{Sessions: 1, Devices: 1}) {
			t.Fatalf("after 31 days: %+v, %v", n, err)
		}
		before := count(`SELECT COUNT(*) FROM audit`)
		e.clk.add(30 * 24 * time.Hour)
		if n, err := e.srv.Sweep(ctx); err != nil || n != (store.Swept{Audit: int64(before)}) {
			t.Fatalf("after 61 days: %+v, %v (%d events)", n, err, before)
		}
		if count(`SELECT COUNT(*) FROM users`) != 2 || count(`SELECT COUNT(*) FROM backup_codes`) != len(codes) {
			t.Fatal("a sweep removed users or backup codes")
		}

		// AuditDays 0 keeps every event.
		e.start(func(c *service.Config) { c.RememberDays = 30 })
		e.store.Audit(ctx, time.Unix(0, 0), 0, "verify_failed", "", "")
		e.store.FlushAudit()
		if n, err := e.srv.Sweep(ctx); err != nil || n.Audit != 0 {
			t.Fatalf("AuditDays 0: %+v, %v", n, err)
		}
	})
}

// A secret the server key cannot open (a key file from another server) is the
// server's fault, not the user's: verify and sign-in answer 500 with one sentence
// and log it. Neither spends an attempt nor audits a failure: verify's check is one
// transaction, rolled back; sign-in spent its attempt before the check (that is
// what bounds parallel guesses) and gives it back, since no credential was
// evaluated.
func TestSecretKeyMismatch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, eng storetest.Engine) {
		var log syncBuffer
		e := newEnv(t, eng, func(c *service.Config) { c.Log = slog.New(slog.NewTextHandler(&log, nil)) })
		secret, _ := e.enroll(e.client())
		token, err := e.srv.AddToken(context.Background(), "intranet")
		if err != nil {
			t.Fatal(err)
		}
		// Sixty random bytes where the sealed secret was: a key file from another server.
		storetest.Exec(t, e.db, `UPDATE users SET secret_enc = $1 WHERE name = 'alice'`, []byte(rand.Text()+rand.Text()+rand.Text()[:8]))
		e.clk.add(30 * time.Second)
		code := codeNow(secret, e.clk.now())
		if st, out := e.verify(token, "alice", code); st != 500 || out["error"] != "Something went wrong on the server; try again." {
			t.Fatalf("verify: %d %v", st, out)
		}
		c := e.client()
		e.call(c, "/api/v1/login", map[string]string{"username": "alice", "password": "alice password"})
		if st, out := e.call(c, "/api/v1/login/code", map[string]any{"code": code}); st != 500 {
			t.Fatalf("sign-in: %d %v", st, out)
		}
		var failures int
		e.db.SQL.QueryRow(`SELECT COALESCE(SUM(failures), 0) FROM attempts`).Scan(&failures)
		if n := e.audit("verify_failed"); n != 0 || failures != 0 {
			t.Fatalf("%d verify_failed events, %d failures counted", n, failures)
		}
		if strings.Count(log.String(), `msg="request failed"`) != 2 || strings.Contains(log.String(), secret) {
			t.Fatalf("the log:\n%s", log.String())
		}
	})
}
