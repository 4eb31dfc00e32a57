package web

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/wardauth/ward/server/access"
	"github.com/wardauth/ward/server/service"
	"github.com/wardauth/ward/server/store"
	"github.com/wardauth/ward/server/store/storetest"
)

// Forward-auth through its two endpoints, as nginx and as Caddy or Traefik ask,
// with a fake clock, on both engines: every kind of rule, groups, the policy's
// deadline, disabled users, headers from peers that are not trusted, the return
// after sign-in (rd) and its refusals, sign-out everywhere.

// testRules are the rules of these tests, and of the nginx and Caddy tests.
const testRules = `{
  "default": "two_factor",
  "rules": [
    {"domain": "wiki.example.test", "path": "^/public/", "policy": "bypass"},
    {"domain": "wiki.example.test", "path": "^/admin/", "policy": "deny"},
    {"domain": "wiki.example.test", "path": "^/staff/", "policy": "one_factor", "groups": ["staff"]},
    {"domain": "*.example.test", "path": "^/api/", "methods": ["GET", "HEAD"], "policy": "one_factor"},
    {"domain": "wiki.example.test", "policy": "one_factor"},
    {"domain": "secure.example.test", "policy": "two_factor"}
  ]
}`

func rulesFile(t testing.TB, text string) *access.File {
	t.Helper()
	rs, err := access.Parse([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return &access.File{Path: "/etc/ward/rules.json", Text: text, Rules: rs}
}

// hostsTransport dials every host under example.test on loopback, at the port
// asked: no DNS needed for the hosts of the tests.
func hostsTransport() *http.Transport {
	var d net.Dialer
	return &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		if host, port, err := net.SplitHostPort(addr); err == nil && (host == "example.test" || strings.HasSuffix(host, ".example.test")) {
			addr = net.JoinHostPort("127.0.0.1", port)
		}
		return d.DialContext(ctx, network, addr)
	}}
}

// forwardEnv is an env for forward-auth: the proxy on loopback trusted, the
// cookie domain example.test, Ward's pages at auth.example.test (the env's URL
// names that host), the rules testRules unless options change them.
func forwardEnv(t testing.TB, eng storetest.Engine, options ...func(*service.Config)) *env {
	t.Helper()
	e := newEnv(t, eng, append([]func(*service.Config){forwardConfig(t)}, options...)...)
	e.ts.URL = strings.Replace(e.ts.URL, "127.0.0.1", "auth.example.test", 1)
	return e
}

func forwardConfig(t testing.TB) func(*service.Config) {
	return func(c *service.Config) {
		_, loop, _ := net.ParseCIDR("127.0.0.0/8")
		c.TrustedProxies, c.CookieDomain, c.BaseURL = []*net.IPNet{loop}, "example.test", "https://auth.example.test"
		c.RulesFile = rulesFile(t, testRules)
	}
}

// browser is a client of the example.test hosts with its own cookies, following
// no redirect: the tests read each one.
func (e *env) browser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Transport: hostsTransport(),
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// proxy is how a reverse proxy asks.
type proxy bool

const (
	nginx proxy = true  // auth_request: X-Original-URL, the original method
	caddy proxy = false // forward_auth (and Traefik): GET, X-Forwarded-*
)

func (p proxy) String() string {
	if p == nginx {
		return "nginx"
	}
	return "caddy"
}

// decision is forward-auth's answer as a proxy reads it.
type decision struct {
	status int
	header http.Header
	body   string
}

// authz asks as the proxy p about a request (method, URL) carrying the session
// token ("" for none) and the headers extra.
func (e *env) authz(p proxy, method, target, session string, extra ...string) decision {
	e.t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		e.t.Fatal(err)
	}
	path := "/api/authz/forward-auth"
	req, _ := http.NewRequest("GET", strings.Replace(e.ts.URL, "auth.example.test", "127.0.0.1", 1)+path, nil)
	if p == nginx {
		req, _ = http.NewRequest(method, strings.Replace(e.ts.URL, "auth.example.test", "127.0.0.1", 1)+"/api/authz/auth-request", nil)
		req.Header.Set("X-Original-URL", target)
		req.Header.Set("X-Original-Method", method)
	} else {
		req.Header.Set("X-Forwarded-Method", method)
		req.Header.Set("X-Forwarded-Proto", u.Scheme)
		req.Header.Set("X-Forwarded-Host", u.Host)
		req.Header.Set("X-Forwarded-Uri", u.RequestURI())
	}
	if session != "" {
		req.Header.Set("Cookie", cookieName+"="+session)
	}
	for i := 0; i+1 < len(extra); i += 2 {
		req.Header.Set(extra[i], extra[i+1])
	}
	r, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	return decision{r.StatusCode, r.Header, string(b)}
}

// signInAs signs a user in through the API on a browser of the example.test
// hosts and returns the browser and its session token.
func (e *env) signInAs(name, secret string) (*http.Client, string) {
	e.t.Helper()
	c := e.browser()
	st, out := e.call(c, "/api/v1/login", map[string]string{"username": name, "password": name + " password"})
	if st != 200 {
		e.t.Fatalf("login %s: %d %v", name, st, out)
	}
	if out["next"] == "code" {
		e.clk.add(30 * time.Second)
		if st, out := e.call(c, "/api/v1/login/code", map[string]any{"code": codeNow(secret, e.clk.now())}); st != 200 {
			e.t.Fatalf("code: %d %v", st, out)
		}
	}
	return c, sessionCookie(e.t.(*testing.T), e, c)
}

// wantSignIn checks a refusal that sends the browser to page (/login or /enroll)
// to return to target.
func wantSignIn(t *testing.T, p proxy, d decision, page, target string) {
	t.Helper()
	want := http.StatusFound
	if p == nginx {
		want = http.StatusUnauthorized
	}
	loc := "https://auth.example.test" + page + "?rd=" + url.QueryEscape(target)
	if d.status != want || d.header.Get("Location") != loc {
		t.Fatalf("%s: %d to %q, want %d to %q", p, d.status, d.header.Get("Location"), want, loc)
	}
	if d.header.Get(hdrUser) != "" {
		t.Fatalf("%s: a refusal names the user %q", p, d.header.Get(hdrUser))
	}
}

func wantUser(t *testing.T, p proxy, d decision, user, email, groups string) {
	t.Helper()
	if d.status != http.StatusOK || d.header.Get(hdrUser) != user || d.header.Get(hdrName) != user ||
		d.header.Get(hdrEmail) != email || d.header.Get(hdrGroups) != groups {
		t.Fatalf("%s: %d user %q name %q email %q groups %q, want 200 %s %s %q", p, d.status, d.header.Get(hdrUser),
			d.header.Get(hdrName), d.header.Get(hdrEmail), d.header.Get(hdrGroups), user, email, groups)
	}
}

func wantStatus(t *testing.T, p proxy, d decision, status int) {
	t.Helper()
	if d.status != status || d.header.Get(hdrUser) != "" {
		t.Fatalf("%s: %d (user %q), want %d and no user", p, d.status, d.header.Get(hdrUser), status)
	}
}

// Every kind of rule, as both proxies ask.
func TestForwardAuthRules(t *testing.T) {
	storetest.Each(t, func(t *testing.T, eng storetest.Engine) {
		e := forwardEnv(t, eng)
		ctx := context.Background()
		storetest.Exec(t, e.db, `UPDATE users SET email = 'alice@example.test' WHERE name = 'alice'`)
		secret, _ := e.enroll(e.browser())
		e.addUser("bob") // no two-factor sign-in, none required
		admin, alice := e.signInAs("alice", secret)
		_, bob := e.signInAs("bob", "")
		// alice, password only: a half session
		half := e.browser()
		e.clk.add(30 * time.Second)
		e.call(half, "/api/v1/login", map[string]string{"username": "alice", "password": "alice password"})
		halfToken := sessionCookie(t, e, half)

		for _, p := range []proxy{nginx, caddy} {
			// bypass: nothing asked, no user named even when signed in
			wantStatus(t, p, e.authz(p, "GET", "https://wiki.example.test/public/logo.png", ""), 200)
			wantStatus(t, p, e.authz(p, "GET", "https://wiki.example.test/public/logo.png", alice), 200)
			// deny: refused, signed in or not
			wantStatus(t, p, e.authz(p, "GET", "https://wiki.example.test/admin/x", ""), 403)
			wantStatus(t, p, e.authz(p, "GET", "https://wiki.example.test/admin/x", alice), 403)
			wantStatus(t, p, e.authz(p, "GET", "https://wiki.example.test/%61dmin/x", alice), 403)
			wantStatus(t, p, e.authz(p, "GET", "https://wiki.example.test/public/../admin/x", ""), 403)
			// one_factor: a session that passed every step its user has
			page := "https://wiki.example.test/page?a=1&b=2"
			wantSignIn(t, p, e.authz(p, "GET", page, ""), "/login", page)
			wantSignIn(t, p, e.authz(p, "GET", page, "made-up-token"), "/login", page)
			wantSignIn(t, p, e.authz(p, "GET", page, halfToken), "/login", page)
			wantUser(t, p, e.authz(p, "GET", page, alice), "alice", "alice@example.test", "")
			wantUser(t, p, e.authz(p, "POST", page, bob), "bob", "", "") // bob has no 2FA: his password is every step he has
			// two_factor: enrolled, else sent to enrollment
			secure := "https://secure.example.test/"
			wantUser(t, p, e.authz(p, "GET", secure, alice), "alice", "alice@example.test", "")
			wantSignIn(t, p, e.authz(p, "GET", secure, bob), "/enroll", secure)
			wantSignIn(t, p, e.authz(p, "GET", secure, ""), "/login", secure)
			// the default (two_factor) for a host no rule names
			other := "http://other.test/x"
			wantSignIn(t, p, e.authz(p, "GET", other, bob), "/enroll", other)
			wantUser(t, p, e.authz(p, "GET", other, alice), "alice", "alice@example.test", "")
			// methods: GET and HEAD of /api/ on any host under example.test are one_factor,
			// a POST there falls to the next rules (wiki's one_factor; elsewhere the default)
			wantUser(t, p, e.authz(p, "HEAD", "https://app.example.test/api/x", bob), "bob", "", "")
			wantUser(t, p, e.authz(p, "GET", "https://a.b.example.test/api/x", bob), "bob", "", "")
			wantSignIn(t, p, e.authz(p, "POST", "https://app.example.test/api/x", bob), "/enroll", "https://app.example.test/api/x")
			wantUser(t, p, e.authz(p, "POST", "https://wiki.example.test/api/x", bob), "bob", "", "")
			// *.example.test is not example.test itself: the default
			wantSignIn(t, p, e.authz(p, "GET", "https://example.test/api/x", bob), "/enroll", "https://example.test/api/x")
		}

		// groups: in none of the rule's, 403; in one, through, and named
		staff := "https://wiki.example.test/staff/handbook"
		for _, p := range []proxy{nginx, caddy} {
			wantSignIn(t, p, e.authz(p, "GET", staff, ""), "/login", staff)
			wantStatus(t, p, e.authz(p, "GET", staff, alice), 403)
		}
		if err := e.store.SetAdmin(ctx, e.userID("alice"), true); err != nil {
			t.Fatal(err)
		}
		for _, g := range []string{"staff", "ops"} {
			if st, body := e.send(admin, "POST", "/api/v1/admin/users/bob/groups", map[string]string{"group": g}); st != 204 {
				t.Fatalf("add bob to %s: %d %s", g, st, body)
			}
		}
		for _, p := range []proxy{nginx, caddy} {
			wantUser(t, p, e.authz(p, "GET", staff, bob), "bob", "", "ops,staff")
			wantStatus(t, p, e.authz(p, "GET", staff, alice), 403)
		}
		if err := e.srv.RemoveGroup(ctx, service.CommandLine, "bob", "staff"); err != nil {
			t.Fatal(err)
		}
		wantStatus(t, nginx, e.authz(nginx, "GET", staff, bob), 403) // at once
		if n := e.audit("group_added"); n != 2 {
			t.Fatalf("%d group_added events", n)
		}
		events, _ := e.srv.Audit(ctx, service.CommandLine, store.AuditQuery{Event: "group_removed"})
		if len(events) != 1 || events[0].User != "bob" || events[0].Detail != "by ward admin group=staff" {
			t.Fatalf("the removal's audit: %+v", events)
		}
	})
}

// The policy's deadline: before it, an unenrolled user reaches a one_factor app;
// from it, they are sent to enrollment, never to the app, and the sign-in page
// with their session leads there too.
func TestForwardAuthDeadline(t *testing.T) {
	storetest.Each(t, func(t *testing.T, eng storetest.Engine) {
		e := forwardEnv(t, eng, func(c *service.Config) { c.Session = 30 * 24 * time.Hour })
		e.addUser("bob")
		deadline := e.clk.now().Add(48 * time.Hour)
		e.setPolicy(func(p *store.Policy) { p.Require2FA, p.Deadline = true, deadline })
		c, bob := e.signInAs("bob", "")
		page := "https://wiki.example.test/page"
		for _, p := range []proxy{nginx, caddy} {
			wantUser(t, p, e.authz(p, "GET", page, bob), "bob", "", "")
		}
		e.clk.add(48 * time.Hour)
		for _, p := range []proxy{nginx, caddy} {
			wantSignIn(t, p, e.authz(p, "GET", page, bob), "/enroll", page)
		}
		// The sign-in page, with bob's session and the app to return to: enrollment.
		r, err := c.Get(e.ts.URL + "/login?rd=" + url.QueryEscape(page))
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		if loc := r.Header.Get("Location"); r.StatusCode != http.StatusSeeOther || loc != "/enroll?rd="+url.QueryEscape(page) {
			t.Fatalf("the sign-in page: %d to %q", r.StatusCode, loc)
		}
		// Once enrolled (the enrollment carries rd), back to the app.
		body := e.pageBody(c, "GET", "/enroll?rd="+url.QueryEscape(page), nil, 200)
		if !strings.Contains(body, `name="rd" value="`+page+`"`) {
			t.Fatal("the enrollment page does not carry rd")
		}
		key := strings.ReplaceAll(keyOnPage.FindStringSubmatch(body)[1], " ", "")
		body = e.pageBody(c, "POST", "/enroll/confirm", url.Values{"code": {codeNow(key, e.clk.now())}, "rd": {page}}, 200)
		if !strings.Contains(body, `id="continue" href="`+page+`"`) {
			t.Fatal("the backup codes page does not lead back to the app")
		}
		bob = sessionCookie(t, e, c) // enrollment replaced the token
		wantUser(t, nginx, e.authz(nginx, "GET", page, bob), "bob", "", "")
	})
}

// pageBody makes a page request on a browser of the example.test hosts and
// checks its status.
func (e *env) pageBody(c *http.Client, method, path string, form url.Values, status int) string {
	e.t.Helper()
	var r *http.Response
	var err error
	if method == "POST" {
		r, err = c.PostForm(e.ts.URL+path, form)
	} else {
		r, err = c.Get(e.ts.URL + path)
	}
	if err != nil {
		e.t.Fatal(err)
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	if r.StatusCode != status {
		e.t.Fatalf("%s %s: %d (to %q), want %d\n%s", method, path, r.StatusCode, r.Header.Get("Location"), status, b)
	}
	return string(b)
}

// Disabled users are refused at once: their sessions end, and a session row left
// behind (written behind the service's back) is refused all the same.
func TestForwardAuthDisabled(t *testing.T) {
	storetest.Each(t, func(t *testing.T, eng storetest.Engine) {
		e := forwardEnv(t, eng)
		e.addUser("bob")
		e.addUser("carol")
		_, bob := e.signInAs("bob", "")
		_, carol := e.signInAs("carol", "")
		page := "https://wiki.example.test/page"
		wantUser(t, nginx, e.authz(nginx, "GET", page, bob), "bob", "", "")
		if err := e.srv.SetDisabled(context.Background(), service.CommandLine, "bob", true); err != nil {
			t.Fatal(err)
		}
		for _, p := range []proxy{nginx, caddy} {
			wantSignIn(t, p, e.authz(p, "GET", page, bob), "/login", page)
		}
		storetest.Exec(t, e.db, `UPDATE users SET disabled = $1 WHERE name = 'carol'`, true)
		for _, p := range []proxy{nginx, caddy} {
			wantSignIn(t, p, e.authz(p, "GET", page, carol), "/login", page)
		}
	})
}

// A refusal a browser sees (a deny rule) is a page in Ward's style and the
// browser's language, its stylesheet and the way on from Ward's own host (the
// page shows on the app's), under a policy that allows Ward's origin only and no
// form; a client that does not ask for HTML, or a server with no base URL, gets
// the sentence as a line of text.
func TestForwardAuthRefusalPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, eng storetest.Engine) {
		e := forwardEnv(t, eng)
		e.addUser("bob")
		_, bob := e.signInAs("bob", "")
		page := "https://wiki.example.test/admin/settings"
		html := "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
		for _, p := range []proxy{nginx, caddy} {
			d := e.authz(p, "GET", page, bob, "Accept", html, "Accept-Language", "fr-FR,fr;q=0.9")
			if d.status != 403 || !strings.HasPrefix(d.header.Get("Content-Type"), "text/html") {
				t.Fatalf("%s: %d %q", p, d.status, d.header.Get("Content-Type"))
			}
			for _, want := range []string{`lang="fr"`, "Accès refusé", "Vous n&#39;avez pas accès à cette page",
				`href="https://auth.example.test/static/style.css"`, `href="https://auth.example.test/account"`} {
				if !strings.Contains(d.body, want) {
					t.Errorf("%s: the page lacks %s:\n%s", p, want, d.body)
				}
			}
			if strings.Contains(d.body, `"/static/`) || strings.Contains(d.body, "<form") || strings.Contains(d.body, "bob") {
				t.Errorf("%s: a path of the app's host, a form or the user's name on the page:\n%s", p, d.body)
			}
			csp := d.header.Get("Content-Security-Policy")
			if !strings.Contains(csp, "style-src https://auth.example.test;") || !strings.Contains(csp, "form-action 'none'") || strings.Contains(csp, "'self'") {
				t.Errorf("%s: policy %q", p, csp)
			}
			d = e.authz(p, "GET", page, bob, "Accept", "*/*")
			if d.status != 403 || !strings.HasPrefix(d.header.Get("Content-Type"), "text/plain") || d.body != "You have no access to this page: ask an admin.\n" {
				t.Errorf("%s without HTML asked: %d %q %q", p, d.status, d.header.Get("Content-Type"), d.body)
			}
		}

		e = forwardEnv(t, eng, func(c *service.Config) { c.BaseURL = "" })
		e.addUser("bob")
		_, bob = e.signInAs("bob", "")
		if d := e.authz(nginx, "GET", page, bob, "Accept", html); d.status != 403 || !strings.HasPrefix(d.header.Get("Content-Type"), "text/plain") {
			t.Errorf("no base URL: %d %q %q", d.status, d.header.Get("Content-Type"), d.body)
		}
	})
}

// Headers that name the original request are believed only from a trusted
// proxy, and each endpoint reads only its own proxy's: the other kind could
// have come from the client through the proxy.
func TestForwardAuthUntrustedHeaders(t *testing.T) {
	storetest.Each(t, func(t *testing.T, eng storetest.Engine) {
		var logs syncBuffer
		e := forwardEnv(t, eng, func(c *service.Config) {
			c.TrustedProxies = nil
			c.Log = slog.New(slog.NewTextHandler(&logs, nil))
		})
		e.addUser("bob")
		_, bob := e.signInAs("bob", "")
		for _, p := range []proxy{nginx, caddy} {
			for range 3 {
				d := e.authz(p, "GET", "https://wiki.example.test/public/x", "")
				wantStatus(t, p, d, 403)
				if !strings.Contains(d.body, "--trusted-proxies") {
					t.Fatalf("%s: %q", p, d.body)
				}
				wantStatus(t, p, e.authz(p, "GET", "https://wiki.example.test/page", bob), 403)
			}
		}
		if n := strings.Count(logs.String(), "forward-auth refused: the peer is not in --trusted-proxies"); n != 1 {
			t.Fatalf("the log says it %d times:\n%s", n, logs.String())
		}

		e = forwardEnv(t, eng)
		e.addUser("bob")
		_, bob = e.signInAs("bob", "")
		// nginx's endpoint: X-Forwarded-* is no original URL (nginx passes the client's).
		d := e.authz(nginx, "GET", "", bob, "X-Original-URL", "", "X-Forwarded-Proto", "https", "X-Forwarded-Host", "wiki.example.test",
			"X-Forwarded-Uri", "/public/x")
		wantStatus(t, nginx, d, 403)
		// Caddy's: X-Original-URL, sent by the client, changes nothing.
		d = e.authz(caddy, "GET", "https://wiki.example.test/admin/x", bob, "X-Original-URL", "https://wiki.example.test/public/x")
		wantStatus(t, caddy, d, 403)
		d = e.authz(caddy, "GET", "https://secure.example.test/x", bob, "X-Original-URL", "https://wiki.example.test/public/x")
		wantSignIn(t, caddy, d, "/enroll", "https://secure.example.test/x")
		// Unreadable originals are refused, never guessed.
		for _, bad := range []string{"wiki.example.test/public/x", "ftp://wiki.example.test/public/x", "https://bob@wiki.example.test/public/x",
			"https://wiki.example.test/%zz", "https://wiki example.test/public/"} {
			wantStatus(t, nginx, e.authz(nginx, "GET", "", "", "X-Original-URL", bad), 403)
		}
		wantStatus(t, caddy, e.authz(caddy, "GET", "https://wiki.example.test/public/x", "", "X-Forwarded-Proto", "gopher"), 403)
		wantStatus(t, caddy, e.authz(caddy, "GET", "https://wiki.example.test/public/x", "", "X-Forwarded-Uri", "public/x"), 403)
	})
}

// On 200 the proxy gets the four headers and nothing else of the session: no
// cookie, no token, no body.
func TestForwardAuthLeaksNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, eng storetest.Engine) {
		e := forwardEnv(t, eng)
		e.addUser("bob")
		_, bob := e.signInAs("bob", "")
		for _, p := range []proxy{nginx, caddy} {
			for _, target := range []string{"https://wiki.example.test/page", "https://secure.example.test/", "https://wiki.example.test/admin/"} {
				d := e.authz(p, "GET", target, bob)
				if d.header.Get("Set-Cookie") != "" {
					t.Fatalf("%s %s: Set-Cookie %q", p, target, d.header.Get("Set-Cookie"))
				}
				for k, v := range d.header {
					if strings.Contains(strings.Join(v, " "), bob) {
						t.Fatalf("%s %s: the token in %s", p, target, k)
					}
				}
				if strings.Contains(d.body, bob) || d.status == 200 && d.body != "" {
					t.Fatalf("%s %s: body %q", p, target, d.body)
				}
			}
		}
	})
}

// Every method a proxy may ask with is answered, whatever the browser's
// Sec-Fetch-Site and Origin of a request to another app say: the checks change
// nothing, and cross-origin protection is not theirs.
func TestForwardAuthMethods(t *testing.T) {
	storetest.Each(t, func(t *testing.T, eng storetest.Engine) {
		e := forwardEnv(t, eng)
		e.addUser("bob")
		_, bob := e.signInAs("bob", "")
		for _, m := range []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "PROPFIND"} {
			for _, site := range []string{"same-origin", "same-site", "cross-site"} {
				d := e.authz(nginx, m, "https://wiki.example.test/page", bob, "Sec-Fetch-Site", site, "Origin", "https://other.example.test")
				if m == "HEAD" {
					if d.status != 200 || d.header.Get(hdrUser) != "bob" {
						t.Fatalf("HEAD: %d %q", d.status, d.header.Get(hdrUser))
					}
					continue
				}
				wantUser(t, nginx, d, "bob", "", "")
				wantSignIn(t, nginx, e.authz(nginx, m, "https://wiki.example.test/page", "", "Sec-Fetch-Site", site), "/login", "https://wiki.example.test/page")
			}
		}
	})
}

// A sign-out ends the session on the server: every app's next check refuses it,
// on this server and on another one on the same database; the cookie is removed
// with the domain it was set with.
func TestSignOutEverywhere(t *testing.T) {
	storetest.Each(t, func(t *testing.T, eng storetest.Engine) {
		e := forwardEnv(t, eng)
		secret, _ := e.enroll(e.browser())
		other := e.twin(forwardConfig(t)) // a second server, on the same database
		other.ts.URL = strings.Replace(other.ts.URL, "127.0.0.1", "auth.example.test", 1)
		c, alice := e.signInAs("alice", secret)
		pages := []string{"https://wiki.example.test/page", "https://secure.example.test/", "https://app.example.test/api/x"}
		for _, p := range pages {
			wantUser(t, nginx, e.authz(nginx, "GET", p, alice), "alice", "", "")
			wantUser(t, caddy, other.authz(caddy, "GET", p, alice), "alice", "", "")
		}
		r, err := c.PostForm(e.ts.URL+"/logout", url.Values{})
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		var domain, host bool
		for _, ck := range r.Cookies() {
			if ck.Name == cookieName && ck.MaxAge < 0 {
				domain = domain || ck.Domain == "example.test"
				host = host || ck.Domain == ""
			}
		}
		if r.StatusCode != http.StatusSeeOther || !domain || !host {
			t.Fatalf("sign-out: %d, cookies %v", r.StatusCode, r.Header["Set-Cookie"])
		}
		for _, p := range pages {
			wantSignIn(t, nginx, e.authz(nginx, "GET", p, alice), "/login", p)
			wantSignIn(t, caddy, other.authz(caddy, "GET", p, alice), "/login", p)
		}
		// And the other way round: signed out on the other server.
		c, alice = e.signInAs("alice", secret)
		if st, _ := other.call(c, "/api/v1/logout", map[string]string{}); st != 204 {
			t.Fatalf("sign-out on the other server: %d", st)
		}
		wantSignIn(t, nginx, e.authz(nginx, "GET", pages[0], alice), "/login", pages[0])
	})
}

// The session cookie covers the cookie domain; the remembered device and the
// known browser stay Ward's own host's.
func TestCookieDomain(t *testing.T) {
	storetest.Each(t, func(t *testing.T, eng storetest.Engine) {
		e := forwardEnv(t, eng, func(c *service.Config) { c.RememberDays = 30 })
		secret, _ := e.enroll(e.browser())
		c := e.browser()
		e.clk.add(30 * time.Second)
		e.call(c, "/api/v1/login", map[string]string{"username": "alice", "password": "alice password"})
		req, _ := http.NewRequest("POST", e.ts.URL+"/api/v1/login/code", strings.NewReader(`{"code":"`+codeNow(secret, e.clk.now())+`","remember":true}`))
		req.Header.Set("Content-Type", "application/json")
		r, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		got := map[string]string{}
		for _, ck := range r.Cookies() {
			if ck.MaxAge >= 0 {
				got[ck.Name] = ck.Domain
			}
		}
		if len(got) != 3 || got[cookieName] != "example.test" || got[deviceCookie] != "" || got[knownCookie] != "" {
			t.Fatalf("cookies and their domains: %v", got)
		}
		wiki, _ := url.Parse("https://wiki.example.test/")
		var names []string
		for _, ck := range c.Jar.Cookies(wiki) {
			names = append(names, ck.Name)
		}
		if len(names) != 1 || names[0] != cookieName {
			t.Fatalf("an app under the domain is sent %v", names)
		}
	})
}

// hostileRD are return URLs that must never be followed: other hosts, however
// written, and other schemes.
var hostileRD = []string{
	"https://evil.test/",
	"//evil.test/",
	"///evil.test/",
	"/\\evil.test/",
	"https:evil.test",
	"https:/evil.test",
	"https://example.test.evil.test/",
	"https://evilexample.test/",
	"https://wiki.example.test.evil.test/x",
	"https://wiki.example.test@evil.test/",
	"https://user:pass@wiki.example.test/",
	"https://evil.test\\@wiki.example.test/",
	"https://evil.test\\.example.test/",
	"https://evil.test#@wiki.example.test/",
	"https://evil.test?.example.test",
	"https://evil.test/.example.test",
	"https://%65vil.test/",
	"https://evil.test%2f.example.test/",
	"https://evil.test%00.example.test/",
	"https://wiki.example.test%2F@evil.test/",
	"https://wiki.example.test./",
	"https://xn--wiki-example-test.evil.test/",
	"https://wіki.example.test/", // a Cyrillic і
	"javascript:alert(document.cookie)//wiki.example.test",
	"JavaScript://wiki.example.test/%0aalert(1)",
	"data:text/html,<script>alert(1)</script>",
	"ftp://wiki.example.test/",
	"https://wiki.example.test /",
	"https://wiki.example.test\t/",
	"https://wiki.example.test/\nLocation: https://evil.test/",
	"https%3A%2F%2Fevil.test%2F",
	"https%253A%252F%252Fevil.test",
	"https://[::1]/",
	"https://127.0.0.1/",
	"/account",
	"wiki.example.test/page",
	"https://" + strings.Repeat("a", 5000) + ".example.test/",
}

// Where the browser returns after signing in: only to the apps under the cookie
// domain (or Ward's own host), checked at every step; anything else is said so
// on the page and never followed.
func TestReturnAfterSignIn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, eng storetest.Engine) {
		e := forwardEnv(t, eng)
		secret, _ := e.enroll(e.browser())
		for _, rd := range hostileRD {
			c := e.browser()
			body := e.pageBody(c, "GET", "/login?rd="+url.QueryEscape(rd), nil, http.StatusBadRequest)
			if !strings.Contains(body, "is not one of the apps this server protects") || strings.Contains(body, `name="rd"`) {
				t.Fatalf("rd %q: the sign-in page\n%s", rd, body)
			}
			// A hand-made form with it, at each step: dropped, never followed.
			e.clk.add(30 * time.Second)
			r, err := c.PostForm(e.ts.URL+"/login", url.Values{"username": {"alice"}, "password": {"alice password"}, "rd": {rd}})
			if err != nil {
				t.Fatal(err)
			}
			r.Body.Close()
			if loc := r.Header.Get("Location"); loc != "/login/code" {
				t.Fatalf("rd %q: the password step leads to %q", rd, loc)
			}
			r, err = c.PostForm(e.ts.URL+"/login/code", url.Values{"code": {codeNow(secret, e.clk.now())}, "rd": {rd}})
			if err != nil {
				t.Fatal(err)
			}
			r.Body.Close()
			if loc := r.Header.Get("Location"); loc != "/account" {
				t.Fatalf("rd %q: the code step leads to %q", rd, loc)
			}
			// Signed in: the sign-in page still refuses to go there.
			e.pageBody(c, "GET", "/login?rd="+url.QueryEscape(rd), nil, http.StatusBadRequest)
		}
		// The apps under the domain, and Ward's own host, are where it returns.
		for _, rd := range []string{"https://wiki.example.test/page?a=1&b=%2F#top", "http://app.example.test:8080/", "https://example.test/",
			"HTTPS://WIKI.Example.TEST/x", "https://auth.example.test/account", "https://a.b.example.test/"} {
			c := e.browser()
			body := e.pageBody(c, "GET", "/login?rd="+url.QueryEscape(rd), nil, 200)
			u, _ := url.Parse(rd)
			want := u.String()
			if !strings.Contains(body, `name="rd" value="`+htmlEscape(want)+`"`) || !strings.Contains(body, u.Host) {
				t.Fatalf("rd %q: the sign-in page does not carry it\n%s", rd, body)
			}
			e.clk.add(30 * time.Second)
			r, _ := c.PostForm(e.ts.URL+"/login", url.Values{"username": {"alice"}, "password": {"alice password"}, "rd": {want}})
			r.Body.Close()
			if loc := r.Header.Get("Location"); loc != "/login/code?rd="+url.QueryEscape(want) {
				t.Fatalf("rd %q: the password step leads to %q", rd, loc)
			}
			body = e.pageBody(c, "GET", "/login/code?rd="+url.QueryEscape(want), nil, 200)
			if !strings.Contains(body, `name="rd" value="`+htmlEscape(want)+`"`) {
				t.Fatalf("rd %q: the code page does not carry it", rd)
			}
			r, _ = c.PostForm(e.ts.URL+"/login/code", url.Values{"code": {codeNow(secret, e.clk.now())}, "rd": {want}})
			r.Body.Close()
			if loc := r.Header.Get("Location"); r.StatusCode != http.StatusSeeOther || loc != want {
				t.Fatalf("rd %q: the code step leads to %d %q", rd, r.StatusCode, loc)
			}
			// Signed in already, the sign-in page sends it straight back.
			r, _ = c.Get(e.ts.URL + "/login?rd=" + url.QueryEscape(want))
			r.Body.Close()
			if loc := r.Header.Get("Location"); loc != want {
				t.Fatalf("rd %q: signed in, the sign-in page leads to %q", rd, loc)
			}
		}
		// Without a cookie domain, Ward's own host only.
		e = newEnv(t, eng, func(c *service.Config) { c.BaseURL = "https://auth.example.test" })
		e.ts.URL = strings.Replace(e.ts.URL, "127.0.0.1", "auth.example.test", 1)
		e.pageBody(e.browser(), "GET", "/login?rd="+url.QueryEscape("https://wiki.example.test/"), nil, http.StatusBadRequest)
		e.pageBody(e.browser(), "GET", "/login?rd="+url.QueryEscape("https://auth.example.test/account"), nil, 200)
	})
}

func htmlEscape(s string) string { return strings.ReplaceAll(s, "&", "&amp;") }

// A browser sent to sign in by the proxy: password, code, and back to the app;
// an unenrolled user of a two_factor app: password, enrollment (the app's rule
// sends there), the backup codes, back to the app.
func TestSignInFromAnApp(t *testing.T) {
	storetest.Each(t, func(t *testing.T, eng storetest.Engine) {
		e := forwardEnv(t, eng)
		e.addUser("bob")
		page := "https://secure.example.test/wiki/Main_Page?action=edit"
		d := e.authz(caddy, "GET", page, "")
		loc, _ := url.Parse(d.header.Get("Location"))
		c := e.browser()
		e.pageBody(c, "GET", loc.RequestURI(), nil, 200)
		r, _ := c.PostForm(e.ts.URL+"/login", url.Values{"username": {"bob"}, "password": {"bob password"}, "rd": {page}})
		r.Body.Close()
		// Enrollment only suggested by the policy: the sign-in page decides, and goes back to the app.
		if got := r.Header.Get("Location"); got != "/login?rd="+url.QueryEscape(page) {
			t.Fatalf("after the password: %q", got)
		}
		r, _ = c.Get(e.ts.URL + r.Header.Get("Location"))
		r.Body.Close()
		if got := r.Header.Get("Location"); got != page {
			t.Fatalf("the sign-in page, signed in: %q", got)
		}
		// The app is two_factor: bob goes to enrollment.
		bob := sessionCookie(t, e, c)
		d = e.authz(caddy, "GET", page, bob)
		wantSignIn(t, caddy, d, "/enroll", page)
		loc, _ = url.Parse(d.header.Get("Location"))
		body := e.pageBody(c, "GET", loc.RequestURI(), nil, 200)
		key := strings.ReplaceAll(keyOnPage.FindStringSubmatch(body)[1], " ", "")
		body = e.pageBody(c, "POST", "/enroll/confirm", url.Values{"code": {codeNow(key, e.clk.now())}, "rd": {page}}, 200)
		if !strings.Contains(body, `id="continue" href="`+htmlEscape(page)+`"`) || !strings.Contains(body, "continue to secure.example.test") {
			t.Fatalf("the backup codes page:\n%s", body)
		}
		wantUser(t, caddy, e.authz(caddy, "GET", page, sessionCookie(t, e, c)), "bob", "", "")
		// A wrong code keeps rd; the right one returns.
		c = e.browser()
		e.clk.add(30 * time.Second)
		r, _ = c.PostForm(e.ts.URL+"/login", url.Values{"username": {"bob"}, "password": {"bob password"}, "rd": {page}})
		r.Body.Close()
		body = e.pageBody(c, "POST", "/login/code", url.Values{"code": {"000000"}, "rd": {page}}, http.StatusUnauthorized)
		if !strings.Contains(body, `name="rd" value="`+htmlEscape(page)+`"`) {
			t.Fatal("a wrong code drops rd")
		}
		r, _ = c.PostForm(e.ts.URL+"/login/code", url.Values{"code": {codeNow(key, e.clk.now())}, "rd": {page}})
		r.Body.Close()
		if got := r.Header.Get("Location"); got != page {
			t.Fatalf("after the code: %q", got)
		}
	})
}

// The admins' rules, when the server has no --rules file: saved through the API
// or the page, checked as the file is (a sentence with the line and column, and
// nothing saved), audited with who saved them, in force from the next request;
// with a file, shown and never changed.
func TestAccessRulesByAdmins(t *testing.T) {
	storetest.Each(t, func(t *testing.T, eng storetest.Engine) {
		e := forwardEnv(t, eng, func(c *service.Config) { c.RulesFile = nil })
		secret, _ := e.enroll(e.browser())
		e.addUser("bob")
		e.store.SetAdmin(context.Background(), e.userID("alice"), true)
		admin, _ := e.signInAs("alice", secret)
		_, bob := e.signInAs("bob", "")
		page := "https://wiki.example.test/page"
		// None saved: two_factor for every request.
		wantSignIn(t, nginx, e.authz(nginx, "GET", page, bob), "/enroll", page)
		st, body := e.send(admin, "GET", "/api/v1/admin/access", nil)
		got := decode[map[string]any](t, body)
		if st != 200 || got["source"] != "admins" || got["default"] != "two_factor" || len(got["rules"].([]any)) != 0 {
			t.Fatalf("none saved: %d %s", st, body)
		}
		// A bad text: the sentence says where, and nothing changes.
		bad := "{\n  \"rules\": [\n    {\"domain\": \"wiki.example.test\", \"path\": \"^(/a\", \"policy\": \"bypass\"}\n  ]\n}"
		req, _ := http.NewRequest("PUT", e.ts.URL+"/api/v1/admin/access", strings.NewReader(bad))
		req.Header.Set("Content-Type", "application/json")
		a := e.raw(admin, req)
		if a.status != 400 || !strings.Contains(a.body, `line 3, column 45: rule 1's path \"^(/a\" is not a regular expression (missing closing ))`) {
			t.Fatalf("bad rules: %d %s", a.status, a.body)
		}
		if n := e.audit("access_rules_changed"); n != 0 {
			t.Fatalf("%d changes audited for a refusal", n)
		}
		// Good ones apply at the next request.
		req, _ = http.NewRequest("PUT", e.ts.URL+"/api/v1/admin/access", strings.NewReader(testRules))
		req.Header.Set("Content-Type", "application/json")
		if a := e.raw(admin, req); a.status != 200 || !strings.Contains(a.body, `"source":"admins"`) || !strings.Contains(a.body, `"updated_by":"alice"`) {
			t.Fatalf("saving: %d %s", a.status, a.body)
		}
		wantUser(t, nginx, e.authz(nginx, "GET", page, bob), "bob", "", "")
		// On another server on the database, too (told at once on PostgreSQL, within a second on SQLite).
		other := e.twin(func(c *service.Config) { forwardConfig(t)(c); c.RulesFile = nil })
		wantUser(t, caddy, other.authz(caddy, "GET", page, bob), "bob", "", "")
		// The page shows them, edits them, and refuses a bad text with the sentence, keeping it typed.
		body = []byte(e.pageBody(admin, "GET", "/admin/access", nil, 200))
		if !strings.Contains(string(body), `<code>*.example.test</code>`) || !strings.Contains(string(body), `name="rules"`) {
			t.Fatalf("the access page:\n%s", body)
		}
		page2 := e.pageBody(admin, "POST", "/admin/access", url.Values{"rules": {bad}}, 400)
		if !strings.Contains(page2, "line 3, column 45") || !strings.Contains(page2, "^(/a") {
			t.Fatalf("the page's refusal:\n%s", page2)
		}
		e.pageBody(admin, "POST", "/admin/access", url.Values{"rules": {`{"default": "deny"}`}}, 200)
		wantStatus(t, nginx, e.authz(nginx, "GET", page, bob), 403)
		events, _ := e.srv.Audit(context.Background(), service.CommandLine, store.AuditQuery{Event: "access_rules_changed"})
		if len(events) != 2 || events[0].Detail != "by alice rules=0 default=deny" || events[1].Detail != "by alice rules=6 default=two_factor" {
			t.Fatalf("the audit: %+v", events)
		}
		// Empty: back to the default.
		e.pageBody(admin, "POST", "/admin/access", url.Values{"rules": {"  "}}, 200)
		wantSignIn(t, nginx, e.authz(nginx, "GET", page, bob), "/enroll", page)

		// A --rules file: in force, shown, not changed.
		f := forwardEnv(t, eng)
		fsecret, _ := f.enroll(f.browser())
		f.store.SetAdmin(context.Background(), f.userID("alice"), true)
		fadmin, _ := f.signInAs("alice", fsecret)
		body = []byte(f.pageBody(fadmin, "GET", "/admin/access", nil, 200))
		if !strings.Contains(string(body), "set by the server&#39;s --rules file /etc/ward/rules.json") || strings.Contains(string(body), `name="rules"`) {
			t.Fatalf("the access page with a file:\n%s", body)
		}
		req, _ = http.NewRequest("PUT", f.ts.URL+"/api/v1/admin/access", strings.NewReader(`{"default": "bypass"}`))
		if a := f.raw(fadmin, req); a.status != http.StatusConflict || !strings.Contains(a.body, "--rules file /etc/ward/rules.json") {
			t.Fatalf("saving over a file: %d %s", a.status, a.body)
		}
		f.pageBody(fadmin, "POST", "/admin/access", url.Values{"rules": {`{"default": "bypass"}`}}, http.StatusConflict)
		if st, body := f.send(fadmin, "GET", "/api/v1/admin/access", nil); st != 200 || !strings.Contains(string(body), `"source":"file","file":"/etc/ward/rules.json"`) {
			t.Fatalf("the file's rules: %d %s", st, body)
		}
		// Nobody but an admin reads or changes them.
		f.addUser("carol")
		carol, _ := f.signInAs("carol", "")
		for _, m := range []string{"GET", "PUT"} {
			if st, _ := f.send(carol, m, "/api/v1/admin/access", map[string]string{}); st != 403 {
				t.Fatalf("%s by a user: %d", m, st)
			}
		}
	})
}

// Groups from the admins' page: shown in the users' table, added, refused when
// malformed or already held, removed; each change audited with its admin.
func TestGroupsPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, eng storetest.Engine) {
		e := forwardEnv(t, eng)
		secret, _ := e.enroll(e.browser())
		e.addUser("bob")
		e.store.SetAdmin(context.Background(), e.userID("alice"), true)
		admin, _ := e.signInAs("alice", secret)
		body := e.pageBody(admin, "GET", "/admin/users/bob/groups", nil, 200)
		if !strings.Contains(body, `id="no-groups"`) {
			t.Fatalf("bob's groups:\n%s", body)
		}
		body = e.pageBody(admin, "POST", "/admin/users/bob/groups", url.Values{"group": {"staff"}}, 200)
		if !strings.Contains(body, "bob is now in staff.") || !strings.Contains(body, `data-group="staff"`) {
			t.Fatalf("added:\n%s", body)
		}
		e.pageBody(admin, "POST", "/admin/users/bob/groups", url.Values{"group": {"ops"}}, 200)
		body = e.pageBody(admin, "POST", "/admin/users/bob/groups", url.Values{"group": {"staff"}}, http.StatusConflict)
		if !strings.Contains(body, "bob is in staff already.") {
			t.Fatalf("twice:\n%s", body)
		}
		body = e.pageBody(admin, "POST", "/admin/users/bob/groups", url.Values{"group": {"a,b"}}, http.StatusBadRequest)
		if !strings.Contains(body, "A group&#39;s name has 1 to 64") || !strings.Contains(body, `value="a,b"`) {
			t.Fatalf("a bad name:\n%s", body)
		}
		e.pageBody(admin, "POST", "/admin/users/nobody/groups", url.Values{"group": {"staff"}}, http.StatusNotFound)
		users := e.pageBody(admin, "GET", "/admin/users", nil, 200)
		if row := userRow(users, "bob"); !strings.Contains(row, `<span class="mark group">ops</span> <span class="mark group">staff</span>`) ||
			!strings.Contains(row, `href="/admin/users/bob/groups"`) {
			t.Fatalf("bob's row:\n%s", row)
		}
		body = e.pageBody(admin, "POST", "/admin/users/bob/groups/staff/remove", url.Values{}, 200)
		if !strings.Contains(body, "bob is no longer in staff.") || strings.Contains(body, `data-group="staff"`) {
			t.Fatalf("removed:\n%s", body)
		}
		e.pageBody(admin, "POST", "/admin/users/bob/groups/staff/remove", url.Values{}, http.StatusConflict)
		st, out := e.send(admin, "GET", "/api/v1/admin/groups", nil)
		if st != 200 || string(out) != `{"ops":["bob"]}`+"\n" {
			t.Fatalf("the groups: %d %s", st, out)
		}
		st, out = e.send(admin, "GET", "/api/v1/admin/users", nil)
		if st != 200 || !strings.Contains(string(out), `"username":"bob"`) || !strings.Contains(string(out), `"groups":["ops"]`) || !strings.Contains(string(out), `"groups":[]`) {
			t.Fatalf("the users: %d %s", st, out)
		}
		if st, out := e.send(admin, "DELETE", "/api/v1/admin/users/bob/groups/ops", nil); st != 204 {
			t.Fatalf("delete: %d %s", st, out)
		}
		events, _ := e.srv.Audit(context.Background(), service.CommandLine, store.AuditQuery{User: "bob"})
		var changes []string
		for _, ev := range events {
			if strings.HasPrefix(ev.Event, "group_") {
				changes = append(changes, ev.Event+" "+ev.Detail)
			}
		}
		if strings.Join(changes, "; ") != "group_removed by alice group=ops; group_removed by alice group=staff; group_added by alice group=ops; group_added by alice group=staff" {
			t.Fatalf("the audit: %v", changes)
		}
	})
}

// A form's CSP also governs where its submission may be redirected: with a
// cookie domain, form-action names the apps under it (where returnTo lets a
// sign-in step send the browser), and nothing else; without one, Ward alone.
// TestBrowserForwardAuth is the same in Chromium, which stays on the code page
// without it.
func TestFormActionCoversApps(t *testing.T) {
	eng := storetest.Engines[0]
	for _, c := range []struct {
		name string
		e    *env
		want string
	}{
		{"cookie domain", forwardEnv(t, eng), "; form-action 'self' http://example.test:* https://example.test:* http://*.example.test:* https://*.example.test:*;"},
		{"none", newEnv(t, eng), "; form-action 'self';"},
	} {
		for _, path := range []string{"/login", "/login/code?rd=" + url.QueryEscape("https://wiki.example.test/"), "/healthz"} {
			r, err := http.Get(strings.Replace(c.e.ts.URL, "auth.example.test", "127.0.0.1", 1) + path)
			if err != nil {
				t.Fatal(err)
			}
			r.Body.Close()
			if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, c.want) || !strings.HasPrefix(csp, "default-src 'none';") {
				t.Errorf("%s, %s: CSP %q, want %q in it", c.name, path, csp, c.want)
			}
		}
	}
}
