package web

import (
	"io"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wardauth/ward/server/service"
	"github.com/wardauth/ward/server/store/storetest"
)

// The pages, driven as a browser would with forms: sign in, enroll by reading the
// key off the page, save the backup codes, sign out, sign in with a code, then with
// a backup code.
func TestPagesFlow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng)
		c := e.client()
		get := func(path string) (int, string) {
			r, err := c.Get(e.ts.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Body.Close()
			b, _ := io.ReadAll(r.Body)
			return r.StatusCode, string(b)
		}
		post := func(path string, form url.Values) (int, string, string) {
			r, err := c.PostForm(e.ts.URL+path, form)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Body.Close()
			b, _ := io.ReadAll(r.Body)
			return r.StatusCode, string(b), r.Request.URL.Path
		}
		if st, body := get("/login"); st != 200 || !strings.Contains(body, `autocomplete="current-password"`) {
			t.Fatalf("login page: %d", st)
		}
		st, body, at := post("/login", url.Values{"username": {"alice"}, "password": {"wrong"}})
		if st != 401 || !strings.Contains(body, service.WrongCredentials) || at != "/login" {
			t.Fatalf("wrong password: %d at %s", st, at)
		}
		st, body, at = post("/login", url.Values{"username": {"alice"}, "password": {"alice password"}})
		if st != 200 || at != "/enroll" {
			t.Fatalf("after sign-in: %d at %s", st, at)
		}
		key := regexp.MustCompile(`<code id="key">([A-Z2-7 ]+)</code>`).FindStringSubmatch(body)
		if key == nil || !strings.Contains(body, `src="data:image/png;base64,`) {
			t.Fatal("the enroll page shows no key or QR code")
		}
		secret := strings.ReplaceAll(key[1], " ", "")
		// Reloading keeps the same key.
		if _, again := get("/enroll"); !strings.Contains(again, key[1]) {
			t.Fatal("reloading the enroll page changed the key")
		}
		st, body, _ = post("/enroll/confirm", url.Values{"code": {"000000"}})
		if st != 401 || !strings.Contains(body, key[1]) {
			t.Fatalf("a wrong confirming code: %d", st)
		}
		st, body, _ = post("/enroll/confirm", url.Values{"code": {codeNow(secret, e.clk.now())}})
		codes := regexp.MustCompile(`<li><code>([A-Z0-9]{5}-[A-Z0-9]{5})</code></li>`).FindAllStringSubmatch(body, -1)
		if st != 200 || len(codes) != 10 || !strings.Contains(body, "Download (.txt)") {
			t.Fatalf("backup codes page: %d, %d codes", st, len(codes))
		}
		if _, acc := get("/account"); !strings.Contains(acc, `<dd id="status">On</dd>`) || !strings.Contains(acc, `<dd id="left">10</dd>`) {
			t.Fatal("the account page does not show 2FA on with 10 codes")
		}
		post("/logout", nil)

		e.clk.add(30 * time.Second)
		_, _, at = post("/login", url.Values{"username": {"alice"}, "password": {"alice password"}})
		if at != "/login/code" {
			t.Fatalf("after the password: at %s", at)
		}
		if _, _, at = post("/login/code", url.Values{"code": {codeNow(secret, e.clk.now())}}); at != "/account" {
			t.Fatalf("after the code: at %s", at)
		}
		post("/logout", nil)
		post("/login", url.Values{"username": {"alice"}, "password": {"alice password"}})
		if _, _, at = post("/login/code", url.Values{"code": {strings.ToLower(codes[0][1])}}); at != "/account" {
			t.Fatalf("after a backup code: at %s", at)
		}
		if _, acc := get("/account"); !strings.Contains(acc, `<dd id="left">9</dd>`) {
			t.Fatal("9 codes should be left")
		}
		// Every page carries the security headers.
		r, _ := c.Get(e.ts.URL + "/login")
		r.Body.Close()
		if !strings.Contains(r.Header.Get("Content-Security-Policy"), "default-src 'none'") || r.Header.Get("Cache-Control") != "no-store" {
			t.Fatal("missing security headers")
		}
		if st, css := get("/static/style.css"); st != 200 || !strings.Contains(css, "prefers-color-scheme: dark") {
			t.Fatal("no stylesheet")
		}
	})
}
