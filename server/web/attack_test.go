package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wardauth/ward/server/auth"
	"github.com/wardauth/ward/server/service"
	"github.com/wardauth/ward/server/store/storetest"
)

// The attacks of issue 10, one test each: the request sequence that broke a rule,
// now refused in the way the rule says, through the API and the pages.

// page posts a form as a browser does and returns the status, the page and where
// the redirects ended.
func (e *env) page(c *http.Client, path string, form url.Values) (int, string, string) {
	e.t.Helper()
	var r *http.Response
	var err error
	if form == nil {
		r, err = c.Get(e.ts.URL + path)
	} else {
		r, err = c.PostForm(e.ts.URL+path, form)
	}
	if err != nil {
		e.t.Fatal(err)
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	return r.StatusCode, string(b), r.Request.URL.Path
}

// signIn signs alice in on c with her password and a code of the next step.
func (e *env) signIn(c *http.Client, secret string) {
	e.t.Helper()
	e.clk.add(30 * time.Second)
	if st, out := e.call(c, "/api/v1/login", map[string]string{"username": "alice", "password": "alice password"}); out["next"] != "code" {
		e.t.Fatalf("login: %d %v", st, out)
	}
	if st, out := e.call(c, "/api/v1/login/code", map[string]any{"code": codeNow(secret, e.clk.now())}); st != 200 {
		e.t.Fatalf("code: %d %v", st, out)
	}
}

var keyOnPage = regexp.MustCompile(`<code id="key">([A-Z2-7 ]+)</code>`)

// 1. A full session cannot replace the authenticator without a code: enrolling
// again is refused on every path while 2FA is on; moving to a new phone needs a
// current code, ends every other session and remembered device, and is its own
// audit event.
func TestNoEnrollmentOverEnrollment(t *testing.T) {
	storetest.Each(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng, func(c *service.Config) { c.RememberDays = 30 })
		c := e.client()
		secret, _ := e.enroll(c)

		// The API: start and confirm refused.
		if st, out := e.call(c, "/api/v1/enroll", map[string]string{}); st != 409 {
			t.Fatalf("enroll with 2FA on: %d %v", st, out)
		}
		if st, out := e.call(c, "/api/v1/enroll/confirm", map[string]string{"code": "123456"}); st != 409 {
			t.Fatalf("confirm with 2FA on: %d %v", st, out)
		}
		// The pages: the attack was a wrong code on /enroll/confirm, which showed a
		// fresh key; now the account page says no, and shows no key.
		st, body, _ := e.page(c, "/enroll/confirm", url.Values{"code": {"000000"}})
		if st != 409 || keyOnPage.MatchString(body) || !strings.Contains(body, "Move to a new phone") {
			t.Fatalf("a wrong code on /enroll/confirm with 2FA on: %d\n%s", st, body)
		}
		if _, _, at := e.page(c, "/enroll", nil); at != "/account" {
			t.Fatalf("GET /enroll with 2FA on ended at %s", at)
		}
		// Still the same authenticator.
		e.signIn(e.client(), secret)

		// An enrollment started before 2FA was turned on (another tab) cannot be
		// confirmed after.
		bob := e.addUser("bob")
		tabA, tabB := e.client(), e.client()
		e.login(tabA, "bob")
		_, outA := e.call(tabA, "/api/v1/enroll", map[string]string{})
		e.login(tabB, "bob")
		_, outB := e.call(tabB, "/api/v1/enroll", map[string]string{})
		if st, _ := e.call(tabB, "/api/v1/enroll/confirm", map[string]string{"code": codeNow(outB["secret"].(string), e.clk.now())}); st != 200 {
			t.Fatal("bob's enrollment in tab B")
		}
		if st, _ := e.call(tabA, "/api/v1/enroll/confirm", map[string]string{"code": codeNow(outA["secret"].(string), e.clk.now())}); st != 401 {
			t.Fatalf("tab A's enrollment after tab B's: %d (its session ended at B's enrollment: want 401)", st)
		}
		_ = bob

		// Moving: a device remembered and another session first.
		e.clk.add(30 * time.Second)
		remembered := e.client()
		e.call(remembered, "/api/v1/login", map[string]string{"username": "alice", "password": "alice password"})
		if st, _ := e.call(remembered, "/api/v1/login/code", map[string]any{"code": codeNow(secret, e.clk.now()), "remember": true}); st != 200 {
			t.Fatal("sign-in remembering the device")
		}
		other := e.client()
		e.signIn(other, secret)
		if st, _ := e.call(c, "/api/v1/2fa/move", map[string]string{"code": "000000"}); st != 401 {
			t.Fatalf("a move with a wrong code: %d", st)
		}
		e.clk.add(30 * time.Second)
		st, out := e.call(c, "/api/v1/2fa/move", map[string]string{"code": codeNow(secret, e.clk.now())})
		if st != 200 || out["secret"] == secret {
			t.Fatalf("a move with a current code: %d %v", st, out)
		}
		newSecret := out["secret"].(string)
		// The other session, though signed in, cannot confirm this move.
		if st, _ := e.call(other, "/api/v1/2fa/move/confirm", map[string]string{"code": codeNow(newSecret, e.clk.now())}); st != 400 {
			t.Fatalf("another session confirmed the move: %d", st)
		}
		if st, _ := e.call(c, "/api/v1/2fa/move/confirm", map[string]string{"code": "000000"}); st != 401 {
			t.Fatalf("a move confirmed with a wrong code: %d", st)
		}
		old := sessionCookie(t, e, c)
		st, out = e.call(c, "/api/v1/2fa/move/confirm", map[string]string{"code": codeNow(newSecret, e.clk.now())})
		if st != 200 || len(out["backup_codes"].([]any)) != 10 {
			t.Fatalf("the move: %d %v", st, out)
		}
		if sessionCookie(t, e, c) == old {
			t.Fatal("the session token was not replaced at the move")
		}
		if st, _ := e.call(c, "/api/v1/me", nil); st != 200 {
			t.Fatal("the moving session was ended")
		}
		if st, _ := e.call(other, "/api/v1/me", nil); st != 401 {
			t.Fatal("another session survived the move")
		}
		e.call(remembered, "/api/v1/logout", map[string]string{})
		if _, out := e.call(remembered, "/api/v1/login", map[string]string{"username": "alice", "password": "alice password"}); out["next"] != "code" {
			t.Fatalf("the remembered device skipped the new authenticator's code: %v", out)
		}
		e.clk.add(30 * time.Second)
		if st, _ := e.call(remembered, "/api/v1/login/code", map[string]any{"code": codeNow(secret, e.clk.now())}); st != 401 {
			t.Fatal("the old authenticator still signs in")
		}
		if st, _ := e.call(remembered, "/api/v1/login/code", map[string]any{"code": codeNow(newSecret, e.clk.now())}); st != 200 {
			t.Fatal("the new authenticator does not sign in")
		}
		if e.audit("mfa_moved") != 1 || e.audit("mfa_move_started") != 1 || e.audit("enrolled") != 2 {
			t.Fatal("the move is not audited as its own event")
		}

		// The same move through the pages, reading the new key off the page.
		e.clk.add(30 * time.Second)
		st, body, _ = e.page(c, "/account/move", url.Values{"code": {codeNow(newSecret, e.clk.now())}})
		key := keyOnPage.FindStringSubmatch(body)
		if st != 200 || key == nil || !strings.Contains(body, `action="/account/move/confirm"`) {
			t.Fatalf("the move page: %d\n%s", st, body)
		}
		third := strings.ReplaceAll(key[1], " ", "")
		st, body, _ = e.page(c, "/account/move/confirm", url.Values{"code": {"000000"}})
		if st != 401 || !strings.Contains(body, key[1]) {
			t.Fatalf("a wrong code on the move page: %d (it must show the same key again)", st)
		}
		st, body, _ = e.page(c, "/account/move/confirm", url.Values{"code": {codeNow(third, e.clk.now())}})
		if st != 200 || strings.Count(body, "<li><code>") != 10 {
			t.Fatalf("the move confirmed on the page: %d", st)
		}
	})
}

// addUser adds a user whose password is "NAME password".
func (e *env) addUser(name string) int64 {
	e.t.Helper()
	hash, _ := e.srv.HashPassword(context.Background(), name+" password")
	id, err := e.store.CreateUser(context.Background(), name, "", hash, false, e.clk.now())
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

// login signs a user in with their password.
func (e *env) login(c *http.Client, name string) map[string]any {
	e.t.Helper()
	st, out := e.call(c, "/api/v1/login", map[string]string{"username": name, "password": name + " password"})
	if st != 200 {
		e.t.Fatalf("login %s: %d %v", name, st, out)
	}
	return out
}

func sessionCookie(t *testing.T, e *env, c *http.Client) string {
	u, _ := url.Parse(e.ts.URL)
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == cookieName {
			return ck.Value
		}
	}
	t.Fatal("no session cookie")
	return ""
}

// countingBody is a body of size bytes, the start of a JSON call and of a form
// followed by as many letters as it takes, that counts what the server reads.
type countingBody struct {
	n, size int64
}

const bodyStart = `{"username":"alice&password=`

func (b *countingBody) Read(p []byte) (int, error) {
	if b.n >= b.size {
		return 0, io.EOF
	}
	k := min(int64(len(p)), b.size-b.n)
	for i := range p[:k] {
		if at := b.n + int64(i); at < int64(len(bodyStart)) {
			p[i] = bodyStart[at]
		} else {
			p[i] = 'a'
		}
	}
	b.n += k
	return int(k), nil
}

// 2. Every body is capped at 64 KiB, and the pages take URL-encoded forms only:
// the multipart body that wrote 1.2 GB to /tmp is refused before a byte is read.
func TestBodiesCapped(t *testing.T) {
	storetest.Each(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng)
		tmp := t.TempDir()
		t.Setenv("TMPDIR", tmp) // where a multipart body would be spooled
		h := e.web.Handler()
		send := func(path, ctype string, size int64, declared bool) (int, int64) {
			body := &countingBody{size: size}
			r := httptest.NewRequest("POST", path, io.NopCloser(body))
			r.Header.Set("Content-Type", ctype)
			r.ContentLength = -1
			if declared {
				r.ContentLength = size
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			return w.Code, body.n
		}
		var mp bytes.Buffer
		mw := multipart.NewWriter(&mp)
		for _, c := range []struct {
			path, ctype string
			size        int64
			declared    bool
			want        int
			maxRead     int64
		}{
			{"/login", mw.FormDataContentType(), 1 << 30, false, 415, 0},
			{"/login", mw.FormDataContentType(), 1 << 30, true, 413, 0},
			{"/login", "text/plain", 1000, true, 415, 0},
			{"/login", "application/x-www-form-urlencoded", 1 << 30, true, 413, 0},
			{"/login", "application/x-www-form-urlencoded", 1 << 30, false, 413, maxBody + 1},
			{"/enroll/confirm", mw.FormDataContentType(), 1 << 20, false, 415, 0},
			{"/api/v1/login", "application/json", 1 << 30, false, 413, maxBody + 1},
			{"/api/v1/login", "application/json", 1 << 30, true, 413, 0},
			{"/api/v1/login", mw.FormDataContentType(), 1 << 20, false, 415, 0},
			{"/api/v1/verify", "application/x-www-form-urlencoded", 100, true, 401, 0},
		} {
			st, read := send(c.path, c.ctype, c.size, c.declared)
			if st != c.want || read > c.maxRead {
				t.Errorf("POST %s (%s, %d bytes, declared %v): %d after reading %d bytes, want %d after at most %d",
					c.path, c.ctype, c.size, c.declared, st, read, c.want, c.maxRead)
			}
		}
		if left, _ := os.ReadDir(tmp); len(left) != 0 {
			t.Fatalf("%d files spooled to the temporary folder", len(left))
		}
		// A real multipart upload over the network: refused, nothing on disk.
		mw.WriteField("username", "alice")
		fw, _ := mw.CreateFormFile("f", "big")
		fw.Write(bytes.Repeat([]byte("x"), 5<<20))
		mw.Close()
		r, err := http.Post(e.ts.URL+"/login", mw.FormDataContentType(), &mp)
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		if r.StatusCode != 413 && r.StatusCode != 415 {
			t.Fatalf("a 5 MB multipart sign-in: %d", r.StatusCode)
		}
		if left, _ := os.ReadDir(tmp); len(left) != 0 {
			t.Fatalf("%d files spooled to the temporary folder", len(left))
		}
	})
}

// answer is everything a client sees of a refusal.
type answer struct {
	status     int
	body       string
	retryAfter string
}

func (e *env) raw(c *http.Client, req *http.Request) answer {
	e.t.Helper()
	r, err := c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	return answer{r.StatusCode, string(b), r.Header.Get("Retry-After")}
}

// 3. A name that does not exist answers exactly like one that does, at every count
// of failures, on sign-in (API and pages) and on verify.
func TestNoEnumeration(t *testing.T) {
	storetest.Each(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng)
		secret, _ := e.enroll(e.client())
		e.addUser("bob") // no two-factor sign-in: verify answers for him as for nobody
		token, _ := e.srv.AddToken(context.Background(), "app")
		apiLogin := func(name string) answer {
			req, _ := http.NewRequest("POST", e.ts.URL+"/api/v1/login", strings.NewReader(fmt.Sprintf(`{"username":%q,"password":"wrong"}`, name)))
			req.Header.Set("Content-Type", "application/json")
			return e.raw(e.client(), req)
		}
		pageLogin := func(name string) answer {
			req, _ := http.NewRequest("POST", e.ts.URL+"/login", strings.NewReader(url.Values{"username": {name}, "password": {"wrong"}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return e.raw(e.client(), req)
		}
		verify := func(name string) answer {
			req, _ := http.NewRequest("POST", e.ts.URL+"/api/v1/verify", strings.NewReader(fmt.Sprintf(`{"username":%q,"code":"000000"}`, name)))
			req.Header.Set("Authorization", "Bearer "+token)
			return e.raw(e.client(), req)
		}
		for _, path := range []struct {
			name string
			send func(string) answer
			real []string
		}{{"API sign-in", apiLogin, []string{"alice", "bob"}}, {"page sign-in", pageLogin, []string{"alice", "bob"}}, {"verify", verify, []string{"alice"}}} {
			for _, real := range path.real {
				ghost := "ghost-" + real + "-" + path.name
				for i := range 8 {
					a, b := path.send(real), path.send(ghost)
					if a != b {
						t.Fatalf("%s, failure %d: %s answers %+v, an unknown name %+v", path.name, i+1, real, a, b)
					}
					if i >= 5 && a.status != 429 {
						t.Fatalf("%s, attempt %d: %d, want 429", path.name, i+1, a.status)
					}
				}
				e.clk.add(16 * time.Minute) // the next account starts afresh, and so does the address
			}
		}
		_ = secret
	})
}

// 4. The per-address limit comes before any lookup, for unknown names too: past it,
// a name costs no budget, no lookup and no hash.
func TestAddressLimitBeforeLookup(t *testing.T) {
	storetest.Each(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng, func(c *service.Config) { c.AddrFailures = 10 })
		for i := range 10 {
			if st, _ := e.call(e.client(), "/api/v1/login", map[string]string{"username": fmt.Sprintf("ghost%d", i), "password": "x"}); st != 401 {
				t.Fatalf("guess %d: %d", i, st)
			}
		}
		for i := range 50 {
			if st, _ := e.call(e.client(), "/api/v1/login", map[string]string{"username": fmt.Sprintf("more%d", i), "password": "x"}); st != 429 {
				t.Fatalf("guess %d past the limit: %d", i, st)
			}
		}
		var budgets int
		e.db.SQL.QueryRow(`SELECT COUNT(*) FROM attempts`).Scan(&budgets)
		if budgets != 10 {
			t.Fatalf("%d attempt budgets touched, want the 10 evaluated: names past the limit reached the store", budgets)
		}
		if n := e.audit("address_limited"); n != 50 {
			t.Fatalf("%d refusals audited, want 50", n)
		}
	})
}

// 5. An attacker behind the team's address cannot lock the team out: a browser
// that signed in before is exempt from the per-address limit (its account's budget
// still applies); a new browser is refused until the limit lifts. X-Forwarded-For
// from an untrusted peer is logged once.
func TestTeamBehindOneAddress(t *testing.T) {
	storetest.Each(t, func(t *testing.T, eng storetest.Engine) {
		var log syncBuffer
		e := newEnv(t, eng, func(c *service.Config) { c.Log = slog.New(slog.NewTextHandler(&log, nil)); c.AddrFailures = 20 })
		secret, _ := e.enroll(e.client())
		colleague := e.client()
		e.signIn(colleague, secret) // this browser signed in before
		e.call(colleague, "/api/v1/logout", map[string]string{})
		bobsBrowser := e.client()
		e.addUser("bob")
		e.login(bobsBrowser, "bob") // not enrolled: signed in with the password
		e.call(bobsBrowser, "/api/v1/logout", map[string]string{})

		// The attacker, same address, spoofing X-Forwarded-For in vain.
		for i := range 25 {
			req, _ := http.NewRequest("POST", e.ts.URL+"/api/v1/login", strings.NewReader(fmt.Sprintf(`{"username":"guess%d","password":"x"}`, i)))
			req.Header.Set("X-Forwarded-For", fmt.Sprintf("198.51.100.%d", i))
			e.raw(e.client(), req)
		}
		if st, _ := e.call(e.client(), "/api/v1/login", map[string]string{"username": "alice", "password": "alice password"}); st != 429 {
			t.Fatalf("a new browser from the exhausted address: %d, want 429", st)
		}
		// The colleague's browser: password, then code, as if nothing happened.
		e.clk.add(30 * time.Second)
		if st, out := e.call(colleague, "/api/v1/login", map[string]string{"username": "alice", "password": "alice password"}); st != 200 || out["next"] != "code" {
			t.Fatalf("a known browser from the exhausted address: %d %v", st, out)
		}
		if st, _ := e.call(colleague, "/api/v1/login/code", map[string]any{"code": codeNow(secret, e.clk.now())}); st != 200 {
			t.Fatalf("the known browser's code: %d", st)
		}
		if st, out := e.call(bobsBrowser, "/api/v1/login", map[string]string{"username": "bob", "password": "bob password"}); st != 200 {
			t.Fatalf("bob's known browser: %d %v", st, out)
		}
		// Known as alice is not known as bob: the cookie is bound to its name.
		if st, _ := e.call(colleague, "/api/v1/login", map[string]string{"username": "bob", "password": "bob password"}); st != 429 {
			t.Fatalf("alice's browser signing in as bob: %d, want 429", st)
		}
		// A forged cookie is nobody's.
		forged := e.client()
		u, _ := url.Parse(e.ts.URL)
		forged.Jar.SetCookies(u, []*http.Cookie{{Name: knownCookie, Value: "YWxpY2U.99999999999.0000"}})
		if st, _ := e.call(forged, "/api/v1/login", map[string]string{"username": "alice", "password": "alice password"}); st != 429 {
			t.Fatalf("a forged known-browser cookie: %d, want 429", st)
		}
		// The account's own budget still holds the known browser.
		for range 5 {
			e.call(colleague, "/api/v1/login", map[string]string{"username": "alice", "password": "wrong"})
		}
		if st, _ := e.call(colleague, "/api/v1/login", map[string]string{"username": "alice", "password": "alice password"}); st != 429 {
			t.Fatalf("the known browser past the account's budget: %d", st)
		}
		// The limit lifts for the new browser after its time.
		e.clk.add(16 * time.Minute)
		if st, _ := e.call(e.client(), "/api/v1/login", map[string]string{"username": "bob", "password": "bob password"}); st != 200 {
			t.Fatalf("a new browser after the limit lifted: %d", st)
		}
		if n := strings.Count(log.String(), "X-Forwarded-For ignored"); n != 1 {
			t.Fatalf("the untrusted X-Forwarded-For was logged %d times, want once:\n%s", n, log.String())
		}
	})
}

// 6. Refused requests are audited in aggregate: 4,000 requests at a locked account
// and from a limited address make a handful of rows with their counts; every
// evaluated failure keeps its own row.
func TestRefusalsAuditedInAggregate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng, func(c *service.Config) { c.AddrFailures = 5 })
		secret, _ := e.enroll(e.client())
		token, _ := e.srv.AddToken(context.Background(), "app")
		for range 5 {
			e.verify(token, "alice", "000000") // evaluated: five rows
		}
		var wg sync.WaitGroup
		var refused atomic.Int32
		for w := range 8 {
			wg.Go(func() {
				for i := range 250 {
					name := "alice"
					if i%2 == 1 {
						name = fmt.Sprintf("ghost%d-%d", w, i)
					}
					b, _ := json.Marshal(map[string]string{"username": name, "password": "x"})
					if i%5 == 0 {
						if st, _ := e.verify(token, "alice", "000000"); st == 429 {
							refused.Add(1)
						}
						continue
					}
					r, err := http.Post(e.ts.URL+"/api/v1/login", "application/json", bytes.NewReader(b))
					if err != nil {
						t.Error(err)
						return
					}
					r.Body.Close()
					if r.StatusCode == 429 {
						refused.Add(1)
					}
				}
			})
		}
		wg.Wait()
		e.store.FlushAudit()
		var rows, events int
		e.db.SQL.QueryRow(`SELECT COUNT(*), COALESCE(SUM(count), 0) FROM audit WHERE event IN ('locked', 'address_limited')`).Scan(&rows, &events)
		// The address allows 5 failures (the unknown names evaluated before the limit),
		// then refuses; alice's budget is spent: every other request is refused.
		if int32(events) != refused.Load() || refused.Load() < 1970 || rows > 6 {
			t.Fatalf("%d refusals answered, %d audited in %d rows", refused.Load(), events, rows)
		}
		if n := e.audit("verify_failed"); n != 5 {
			t.Fatalf("%d evaluated verify failures audited, want 5", n)
		}
		var total int
		e.db.SQL.QueryRow(`SELECT COUNT(*) FROM audit`).Scan(&total)
		if total > 30 {
			t.Fatalf("%d audit rows after 2,005 requests", total)
		}
		_ = secret
	})
}

// 7. Reset, disable and a new enrollment forget every remembered device: an old
// device cookie never skips the new authenticator's code.
func TestNoDeviceOutlivesItsAuthenticator(t *testing.T) {
	storetest.Each(t, func(t *testing.T, eng storetest.Engine) {
		for _, how := range []string{"admin reset", "disable"} {
			t.Run(how, func(t *testing.T) {
				e := newEnv(t, eng, func(c *service.Config) { c.RememberDays = 30 })
				c := e.client()
				secret, _ := e.enroll(c)
				e.call(c, "/api/v1/logout", map[string]string{})
				e.clk.add(30 * time.Second)
				e.call(c, "/api/v1/login", map[string]string{"username": "alice", "password": "alice password"})
				if st, _ := e.call(c, "/api/v1/login/code", map[string]any{"code": codeNow(secret, e.clk.now()), "remember": true}); st != 200 {
					t.Fatal("remembering the device")
				}
				other := e.client()
				e.signIn(other, secret)
				switch how {
				case "admin reset":
					if err := e.srv.ResetMFA(context.Background(), service.CommandLine, "alice", "test"); err != nil {
						t.Fatal(err)
					}
					if st, _ := e.call(c, "/api/v1/me", nil); st != 401 {
						t.Fatal("a session survived the admin's reset")
					}
				case "disable":
					e.clk.add(30 * time.Second)
					if st, _ := e.call(c, "/api/v1/2fa/disable", map[string]string{"code": codeNow(secret, e.clk.now())}); st != 204 {
						t.Fatal("disable")
					}
					if st, _ := e.call(c, "/api/v1/me", nil); st != 200 {
						t.Fatal("the session that turned 2FA off was ended")
					}
				}
				if st, _ := e.call(other, "/api/v1/me", nil); st != 401 {
					t.Fatalf("another session survived the %s", how)
				}
				var devices int
				e.db.SQL.QueryRow(`SELECT COUNT(*) FROM devices`).Scan(&devices)
				if devices != 0 {
					t.Fatalf("%d remembered devices left after the %s", devices, how)
				}
				// Enrolling a new authenticator: the old device cookie asks for its code.
				e.call(c, "/api/v1/logout", map[string]string{})
				newSecret, _ := e.enroll(c)
				e.call(c, "/api/v1/logout", map[string]string{})
				if _, out := e.call(c, "/api/v1/login", map[string]string{"username": "alice", "password": "alice password"}); out["next"] != "code" {
					t.Fatalf("the old device skipped the new authenticator: %v", out)
				}
				_ = newSecret
			})
		}
	})
}

// 9. Over TLS, cookies are Secure and responses carry HSTS, whatever the base URL.
func TestTLSWithoutBaseURL(t *testing.T) {
	storetest.Each(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng)
		ts := httptest.NewTLSServer(e.web.Handler())
		defer ts.Close()
		r, err := ts.Client().Post(ts.URL+"/api/v1/login", "application/json", strings.NewReader(`{"username":"alice","password":"alice password"}`))
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		if r.StatusCode != 200 || len(r.Cookies()) == 0 {
			t.Fatalf("sign-in over TLS: %d", r.StatusCode)
		}
		for _, c := range r.Cookies() {
			if !c.Secure || !c.HttpOnly {
				t.Errorf("cookie %s over TLS: Secure %v HttpOnly %v", c.Name, c.Secure, c.HttpOnly)
			}
		}
		if h := r.Header.Get("Strict-Transport-Security"); !strings.HasPrefix(h, "max-age=") {
			t.Fatalf("no HSTS over TLS: %q", h)
		}
		// Plain HTTP: neither (a browser would drop a Secure cookie sent over http).
		r, _ = http.Post(e.ts.URL+"/api/v1/login", "application/json", strings.NewReader(`{"username":"alice","password":"alice password"}`))
		r.Body.Close()
		if r.Header.Get("Strict-Transport-Security") != "" || r.Cookies()[0].Secure {
			t.Fatal("HSTS or a Secure cookie over plain HTTP without an https base URL")
		}
	})
}

// 11. A client that gives up while waiting for a hashing slot is no failure: the
// load run that stopped with 64 sign-ins queued left its address over the limit
// and locked everyone out.
func TestCancelledIsNoFailure(t *testing.T) {
	storetest.Each(t, func(t *testing.T, eng storetest.Engine) {
		// Every hashing slot busy, as under a burst: checks wait until the client
		// gives up.
		gate, ended := make(chan struct{}), make(chan struct{}, 100)
		e := newEnv(t, eng, func(c *service.Config) {
			c.AddrFailures = 3
			c.Hasher = gatedHasher{auth.NewHasher(2), gate, ended}
		})
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Go(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
				defer cancel()
				name := "alice" // 4 times, within her budget; then names of no one
				if i >= 4 {
					name = fmt.Sprintf("ghost%d", i)
				}
				req, _ := http.NewRequestWithContext(ctx, "POST", e.ts.URL+"/api/v1/login",
					strings.NewReader(fmt.Sprintf(`{"username":%q,"password":"alice password"}`, name)))
				if r, err := http.DefaultClient.Do(req); err == nil {
					r.Body.Close()
				}
			})
		}
		wg.Wait()
		// The server notices each client gone: all 20 checks end.
		for range 20 {
			select {
			case <-ended:
			case <-time.After(10 * time.Second):
				t.Fatal("the cancelled checks did not end")
			}
		}
		close(gate)
		time.Sleep(100 * time.Millisecond) // the handlers' last writes after their checks
		if n := e.count(`SELECT COALESCE(SUM(failures), 0) FROM attempts`); n != 0 {
			t.Fatalf("20 cancelled sign-ins left %d failures in the accounts' budgets", n)
		}
		// The address has its whole budget: a sign-in, then 3 wrong ones evaluated,
		// and only the fourth refused.
		if st, _ := e.call(e.client(), "/api/v1/login", map[string]string{"username": "alice", "password": "alice password"}); st != 200 {
			t.Fatalf("a sign-in after the cancelled ones: %d", st)
		}
		for i := range 4 {
			st, _ := e.call(e.client(), "/api/v1/login", map[string]string{"username": fmt.Sprintf("guess%d", i), "password": "x"})
			if want := map[bool]int{true: 401, false: 429}[i < 3]; st != want {
				t.Fatalf("wrong sign-in %d after the cancelled ones: %d, want %d (the cancelled ones counted as failures)", i+1, st, want)
			}
		}
	})
}

// 12. The session token is replaced when the code step completes and at
// enrollment; sessions opened before the enrollment end with it.
func TestSessionTokensReplaced(t *testing.T) {
	storetest.Each(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng)
		c, before := e.client(), e.client()
		e.login(before, "alice") // a full session on the password alone (not enrolled)
		e.login(c, "alice")
		half := sessionCookie(t, e, c)
		secret, _ := e.enroll(c)
		if sessionCookie(t, e, c) == half {
			t.Fatal("the session token was not replaced at enrollment")
		}
		if st, _ := e.call(before, "/api/v1/me", nil); st != 401 {
			t.Fatal("a session opened before the enrollment is still signed in")
		}
		e.call(c, "/api/v1/logout", map[string]string{})
		e.clk.add(30 * time.Second)
		e.call(c, "/api/v1/login", map[string]string{"username": "alice", "password": "alice password"})
		stolen := sessionCookie(t, e, c) // the half session's token, seen by someone
		e.call(c, "/api/v1/login/code", map[string]any{"code": codeNow(secret, e.clk.now())})
		if sessionCookie(t, e, c) == stolen {
			t.Fatal("the session token was not replaced at the code step")
		}
		thief := e.client()
		u, _ := url.Parse(e.ts.URL)
		thief.Jar.SetCookies(u, []*http.Cookie{{Name: cookieName, Value: stolen}})
		if st, _ := e.call(thief, "/api/v1/me", nil); st != 401 {
			t.Fatal("the half session's token signs in after the code")
		}
	})
}

// 12. Smaller: /static/ serves files, not its folder; the database and its WAL are
// readable by their owner only; an application token can be revoked.
func TestSmallerHoles(t *testing.T) {
	storetest.Each(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng)
		noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		for _, p := range []string{"/static/", "/static", "/static/./", "/static/web/", "/static/index.html"} {
			r, err := noRedirect.Get(e.ts.URL + p)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(r.Body)
			r.Body.Close()
			if r.StatusCode == 200 || strings.Contains(string(b), `href="style.css"`) {
				t.Errorf("GET %s: %d, a listing: %v", p, r.StatusCode, strings.Contains(string(b), `href="style.css"`))
			}
		}
		if r, _ := http.Get(e.ts.URL + "/static/style.css"); r.StatusCode != 200 {
			t.Fatal("the stylesheet is not served")
		}
		e.enroll(e.client())      // writes: the WAL exists
		if eng.Name == "sqlite" { // (an old database made 0644: TestSQLiteUpgrade)
			for _, f := range []string{e.db.URL, e.db.URL + "-wal", e.db.URL + "-shm"} {
				info, err := os.Stat(f)
				if err != nil || info.Mode().Perm() != 0o600 {
					t.Errorf("%s: %v %v, want mode 0600", f, info.Mode(), err)
				}
			}
		}

		token, _ := e.srv.AddToken(context.Background(), "intranet")
		if st, _ := e.verify(token, "alice", "000000"); st != 200 {
			t.Fatal("the token does not work")
		}
		if err := e.srv.RevokeToken(context.Background(), "intranet"); err != nil {
			t.Fatal(err)
		}
		if st, _ := e.verify(token, "alice", "000000"); st != 401 {
			t.Fatal("a revoked token still works")
		}
		if err := e.srv.RevokeToken(context.Background(), "intranet"); err == nil || !strings.Contains(err.Error(), "no application token intranet") {
			t.Fatalf("revoking twice: %v", err)
		}
		if tokens, _ := e.store.Tokens(context.Background()); len(tokens) != 0 {
			t.Fatalf("tokens left: %v", tokens)
		}
	})
}

// The trusted-proxy case of 5: behind a proxy that is trusted, each client has its
// own address, so the attacker's failures are his alone.
func TestTrustedProxySeparatesClients(t *testing.T) {
	storetest.Each(t, func(t *testing.T, eng storetest.Engine) {
		_, loop, _ := net.ParseCIDR("127.0.0.0/8")
		e := newEnv(t, eng, func(c *service.Config) { c.AddrFailures = 3; c.TrustedProxies = []*net.IPNet{loop} })
		post := func(xff, name, pw string) int {
			req, _ := http.NewRequest("POST", e.ts.URL+"/api/v1/login", strings.NewReader(fmt.Sprintf(`{"username":%q,"password":%q}`, name, pw)))
			req.Header.Set("X-Forwarded-For", xff)
			return e.raw(e.client(), req).status
		}
		for i := range 5 {
			post("203.0.113.66", fmt.Sprintf("guess%d", i), "x")
		}
		if st := post("203.0.113.66", "alice", "alice password"); st != 429 {
			t.Fatalf("the attacker's address: %d", st)
		}
		if st := post("203.0.113.7", "alice", "alice password"); st != 200 {
			t.Fatalf("a colleague's own address: %d", st)
		}
	})
}

// A replayed code is a failure like a wrong one, on sign-in and on verify: it
// never ends a streak of failures (were it to, one known old code between guesses
// would make the budget endless).
func TestReplayIsAFailure(t *testing.T) {
	storetest.Each(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng)
		secret, _ := e.enroll(e.client())
		token, _ := e.srv.AddToken(context.Background(), "app")
		e.clk.add(30 * time.Second)
		used := codeNow(secret, e.clk.now())
		if _, out := e.verify(token, "alice", used); out["valid"] != true {
			t.Fatal("the first use of a code refused")
		}
		for i := range 2 {
			e.verify(token, "alice", "000000")
			if st, out := e.verify(token, "alice", used); st != 200 || out["valid"] != false {
				t.Fatalf("replay %d: %d %v", i, st, out)
			}
		}
		e.verify(token, "alice", "000000")
		// 3 wrong codes and 2 replays: the budget of 5 is spent.
		e.clk.add(30 * time.Second)
		if st, _ := e.verify(token, "alice", codeNow(secret, e.clk.now())); st != 429 {
			t.Fatalf("the right code after 4 wrong ones and 4 replays: %d, want 429", st)
		}
	})
}

// countingHasher counts the password hashes a server computes.
type countingHasher struct {
	service.Hasher
	hashes atomic.Int32
}

func (h *countingHasher) Hash(ctx context.Context, password string) (string, error) {
	h.hashes.Add(1)
	return h.Hasher.Hash(ctx, password)
}

// Invitation links are open to anyone: a made-up, used or expired token is
// refused after one lookup, before its password is hashed (argon2id, tens of
// milliseconds a try), so guessing links costs the server less than the client.
func TestMadeUpInvitationCostsNoHash(t *testing.T) {
	storetest.Each(t, func(t *testing.T, eng storetest.Engine) {
		h := &countingHasher{Hasher: auth.NewHasher(2)}
		e := newEnv(t, eng, func(c *service.Config) { c.Hasher = h })
		link, err := e.srv.Invite(context.Background(), service.CommandLine, "carol", "", false)
		if err != nil {
			t.Fatal(err)
		}
		before := h.hashes.Load()
		for i := range 20 {
			st, b := e.send(e.client(), "POST", "/api/v1/invite/made-up-"+strconv.Itoa(i), map[string]string{"password": "a long enough password"})
			if st != 410 {
				t.Fatalf("a made-up invitation: %d %s", st, b)
			}
		}
		if n := h.hashes.Load() - before; n != 0 {
			t.Fatalf("20 made-up invitations cost %d password hashes", n)
		}
		token := link[strings.LastIndex(link, "/")+1:]
		if st, _ := e.send(e.client(), "POST", "/api/v1/invite/"+token, map[string]string{"password": "carol's password"}); st != 200 {
			t.Fatal("the real invitation refused")
		}
		if n := h.hashes.Load() - before; n != 1 {
			t.Fatalf("the real invitation cost %d hashes, want 1", n)
		}
	})
}
