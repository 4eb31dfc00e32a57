package web

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/wardauth/ward/server/service"
	"github.com/wardauth/ward/server/store"
	"github.com/wardauth/ward/server/store/storetest"
)

// Forward-auth through real proxies, each run from its deploy/ example as it is
// (ports, addresses and the domain substituted): Debian's nginx (auth_request)
// and Debian's Caddy (forward_auth), on loopback, in front of Ward and of a
// small app that answers with the request it received. Hosts under example.test
// reach them through hostsTransport; no DNS.

// echoApp is the protected app: it answers with what it received (JSON), or,
// to a browser, a page that says who Ward says the user is.
func echoApp(t *testing.T) *httptest.Server {
	t.Helper()
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.URL.Path == "/wiki/app-refuses" {
			http.Error(w, "the app's own refusal", http.StatusForbidden)
			return
		}
		if strings.Contains(r.Header.Get("Accept"), "text/html") {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, appPage(r))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(echoed{Method: r.Method, Host: r.Host, URI: r.RequestURI, Header: r.Header, Body: string(body)})
	}))
	t.Cleanup(app.Close)
	return app
}

// echoed is what the app received.
type echoed struct {
	Method, Host, URI, Body string
	Header                  http.Header
}

// appPage is the app's page for a browser: the user as the proxy passed it, and
// every Remote- header.
func appPage(r *http.Request) string {
	var rows []string
	for k, v := range r.Header {
		if strings.HasPrefix(k, "Remote-") {
			rows = append(rows, fmt.Sprintf("<tr><th>%s</th><td id=%q>%s</td></tr>", k, strings.ToLower(k), html.EscapeString(strings.Join(v, ", "))))
		}
	}
	sort.Strings(rows)
	return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Team wiki</title><style>
:root { color-scheme: light dark; --bg: #fbfaf7; --fg: #222; --line: #ddd; --accent: #6a4c93; }
@media (prefers-color-scheme: dark) { :root { --bg: #1d1b22; --fg: #eee; --line: #444; --accent: #c3a6ee; } }
body { margin: 0; font: 16px/1.5 Georgia, serif; background: var(--bg); color: var(--fg); }
header { padding: .8rem 1.2rem; border-bottom: 1px solid var(--line); display: flex; justify-content: space-between; }
header b { color: var(--accent); } main { padding: 1.2rem; max-width: 40rem; }
table { border-collapse: collapse; } th, td { text-align: left; padding: .3rem .8rem .3rem 0; border-bottom: 1px solid var(--line); }
th { font: 600 .85rem system-ui, sans-serif; } td { font-family: ui-monospace, monospace; }
</style></head><body><header><b>Team wiki</b><span>Signed in as <span id="who">` + html.EscapeString(r.Header.Get("Remote-User")) + `</span></span></header>
<main><h1>Main page</h1><p>The proxy let this request through; the app reads who the user is from the headers Ward gave it:</p>
<table>` + strings.Join(rows, "\n") + `</table><p><small>` + html.EscapeString(r.Method+" "+r.Host+r.RequestURI) + `</small></p></main></body></html>`
}

// freePort is a loopback port nobody listens on now.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// needTool is the path of a proxy's binary; without it the test is skipped, or
// fails under WARD_TEST_ALL (scripts/test.sh installs it).
func needTool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		for _, dir := range []string{"/usr/sbin", "/usr/bin"} {
			if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
				return filepath.Join(dir, name)
			}
		}
		if os.Getenv("WARD_TEST_ALL") != "" {
			t.Fatalf("%s is not installed; scripts/test.sh installs it", name)
		}
		t.Skipf("%s not installed", name)
	}
	return path
}

// deployFile is a deploy/ example with its ports, addresses and domain replaced:
// each must be there, so that the file and the test cannot drift apart.
func deployFile(t *testing.T, name string, pairs ...string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "deploy", name))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for i := 0; i < len(pairs); i += 2 {
		if !strings.Contains(s, pairs[i]) {
			t.Fatalf("deploy/%s no longer has %q", name, pairs[i])
		}
	}
	return strings.NewReplacer(pairs...).Replace(s)
}

// runProxy starts a proxy's command and waits until port answers; it is stopped
// (SIGTERM, then killed) when the test ends, and its log is shown if it failed.
func runProxy(t *testing.T, cmd *exec.Cmd, port int, logFile string) {
	t.Helper()
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			logged, _ := os.ReadFile(logFile)
			t.Logf("%s's output:\n%s\n%s", filepath.Base(cmd.Path), out.String(), logged)
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
			return
		}
		select {
		case err := <-exited:
			logged, _ := os.ReadFile(logFile)
			t.Fatalf("%s stopped at start: %v\n%s\n%s", cmd.Path, err, out.String(), logged)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s does not listen on %d", cmd.Path, port)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// startNginx runs deploy/nginx.conf in front of ward and app, on port, as a
// prefix of its own (pid, logs and temporary files in the test's folder, no
// daemon).
func startNginx(t *testing.T, port int, ward, app string) {
	t.Helper()
	bin := needTool(t, "nginx")
	dir := t.TempDir()
	site := deployFile(t, "nginx.conf", "listen 80;", fmt.Sprintf("listen 127.0.0.1:%d;", port),
		"127.0.0.1:8080", ward, "127.0.0.1:3000", app, "example.com", "example.test")
	os.WriteFile(filepath.Join(dir, "site.conf"), []byte(site), 0o644)
	user := ""
	if os.Getuid() == 0 { // the workers would otherwise be nobody, who cannot write the test's folder
		user = "user root;\n"
	}
	var temps string
	for _, k := range []string{"client_body", "proxy", "fastcgi", "uwsgi", "scgi"} {
		temps += fmt.Sprintf("    %s_temp_path %s;\n", k, filepath.Join(dir, k))
	}
	main := fmt.Sprintf(`%sdaemon off;
worker_processes 1;
pid %s;
error_log %s info;
events { worker_connections 512; }
http {
    access_log off;
%s    include %s;
}
`, user, filepath.Join(dir, "nginx.pid"), filepath.Join(dir, "error.log"), temps, filepath.Join(dir, "site.conf"))
	conf := filepath.Join(dir, "nginx.conf")
	os.WriteFile(conf, []byte(main), 0o644)
	runProxy(t, exec.Command(bin, "-p", dir, "-c", conf, "-e", filepath.Join(dir, "error.log")), port, filepath.Join(dir, "error.log"))
}

// startCaddy runs deploy/Caddyfile in front of ward and app, on port: its sites
// served over plain HTTP on loopback, no admin endpoint, its files in the test's
// folder.
func startCaddy(t *testing.T, port int, ward, app string) {
	t.Helper()
	bin := needTool(t, "caddy")
	dir := t.TempDir()
	site := deployFile(t, "Caddyfile", "127.0.0.1:8080", ward, "127.0.0.1:3000", app, "example.com", "example.test")
	site = regexp.MustCompile(`(?m)^([a-z0-9.-]+\.example\.test) \{$`).ReplaceAllString(site, fmt.Sprintf("http://$1:%d {", port))
	conf := filepath.Join(dir, "Caddyfile")
	os.WriteFile(conf, []byte("{\n\tadmin off\n\tauto_https off\n\tdefault_bind 127.0.0.1\n}\n"+site), 0o644)
	cmd := exec.Command(bin, "run", "--config", conf, "--adapter", "caddyfile")
	cmd.Env = append(os.Environ(), "HOME="+dir, "XDG_CONFIG_HOME="+dir, "XDG_DATA_HOME="+dir)
	runProxy(t, cmd, port, filepath.Join(dir, "none"))
}

// TestNginx is forward-auth through Debian's nginx, from deploy/nginx.conf.
func TestNginx(t *testing.T) {
	storetest.Each(t, func(t *testing.T, eng storetest.Engine) { proxyScenario(t, eng, nginx) })
}

// TestCaddy is the same through Debian's Caddy, from deploy/Caddyfile.
func TestCaddy(t *testing.T) {
	storetest.Each(t, func(t *testing.T, eng storetest.Engine) { proxyScenario(t, eng, caddy) })
}

// behindProxy starts Ward (forwardEnv, its base URL the proxy's auth host), the
// echo app and the proxy p in front of both; it returns the env and the proxy's
// address of a host.
func behindProxy(t *testing.T, eng storetest.Engine, p proxy, options ...func(*service.Config)) (*env, func(host, path string) string) {
	t.Helper()
	port := freePort(t)
	at := func(host, path string) string { return fmt.Sprintf("http://%s.example.test:%d%s", host, port, path) }
	e := forwardEnv(t, eng, append([]func(*service.Config){func(c *service.Config) { c.BaseURL = at("auth", "") }}, options...)...)
	app := echoApp(t)
	ward, appAddr := e.ts.Listener.Addr().String(), app.Listener.Addr().String()
	if p == nginx {
		startNginx(t, port, ward, appAddr)
	} else {
		startCaddy(t, port, ward, appAddr)
	}
	e.ts.URL = at("auth", "") // the pages, through the proxy
	return e, at
}

// get asks for a page through the proxy with the browser c and extra headers.
func get(t *testing.T, c *http.Client, method, target, body string, extra ...string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(method, target, strings.NewReader(body))
	for i := 0; i+1 < len(extra); i += 2 {
		req.Header.Set(extra[i], extra[i+1])
	}
	r, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	return r, string(b)
}

// reached asks the app through the proxy and returns what the app received.
func reached(t *testing.T, c *http.Client, method, target, body string, extra ...string) echoed {
	t.Helper()
	r, b := get(t, c, method, target, body, extra...)
	var got echoed
	if r.StatusCode != 200 || json.Unmarshal([]byte(b), &got) != nil {
		t.Fatalf("%s %s: %d %s (to %q), not the app", method, target, r.StatusCode, b, r.Header.Get("Location"))
	}
	return got
}

func proxyScenario(t *testing.T, eng storetest.Engine, p proxy) {
	e, at := behindProxy(t, eng, p)
	ctx := context.Background()
	storetest.Exec(t, e.db, `UPDATE users SET email = 'alice@example.test' WHERE name = 'alice'`)
	secret, _ := e.enroll(e.browser())
	e.srv.AddGroup(ctx, service.CommandLine, "alice", "ops")
	e.addUser("bob")
	e.srv.AddGroup(ctx, service.CommandLine, "bob", "staff")

	// Without a session: to Ward's sign-in page, which knows where to return.
	c := e.browser()
	page := at("wiki", "/wiki/Main_Page?action=view&x=%2F")
	r, _ := get(t, c, "GET", page, "")
	signIn := at("auth", "/login?rd="+url.QueryEscape(page))
	if r.StatusCode != http.StatusFound || r.Header.Get("Location") != signIn {
		t.Fatalf("no session: %d to %q, want 302 to %q", r.StatusCode, r.Header.Get("Location"), signIn)
	}
	_, body := get(t, c, "GET", signIn, "")
	if !strings.Contains(body, `name="rd" value="`+htmlEscape(page)+`"`) {
		t.Fatalf("the sign-in page through the proxy:\n%s", body)
	}
	// Password, then a code computed here, then back to the app, which sees Remote-User.
	e.clk.add(30 * time.Second)
	r, _ = get(t, c, "POST", at("auth", "/login"), url.Values{"username": {"alice"}, "password": {"alice password"}, "rd": {page}}.Encode(),
		"Content-Type", "application/x-www-form-urlencoded")
	if want := "/login/code?rd=" + url.QueryEscape(page); r.Header.Get("Location") != want {
		t.Fatalf("the password: %d to %q", r.StatusCode, r.Header.Get("Location"))
	}
	r, _ = get(t, c, "POST", at("auth", "/login/code"), url.Values{"code": {codeNow(secret, e.clk.now())}, "rd": {page}}.Encode(),
		"Content-Type", "application/x-www-form-urlencoded")
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != page {
		t.Fatalf("the code: %d to %q", r.StatusCode, r.Header.Get("Location"))
	}
	got := reached(t, c, "GET", page, "", "Remote-User", "mallory", "Remote-Groups", "admins", "Remote-Email", "mallory@evil.test")
	if got.Header.Get("Remote-User") != "alice" || got.Header.Get("Remote-Name") != "alice" || got.Header.Get("Remote-Email") != "alice@example.test" ||
		got.Header.Get("Remote-Groups") != "ops" || len(got.Header["Remote-User"]) != 1 || got.URI != "/wiki/Main_Page?action=view&x=%2F" {
		t.Fatalf("the app got %+v", got)
	}
	// Every method, with a body, whatever the browser says of the request's origin.
	for _, m := range []string{"POST", "PUT", "PATCH", "DELETE", "OPTIONS"} {
		got := reached(t, c, m, at("wiki", "/api/items/7"), "a body", "Sec-Fetch-Site", "cross-site", "Origin", "https://elsewhere.test")
		if got.Method != m || got.Body != "a body" || got.Header.Get("Remote-User") != "alice" {
			t.Fatalf("%s: the app got %+v", m, got)
		}
	}
	if r, _ := get(t, c, "HEAD", page, ""); r.StatusCode != 200 {
		t.Fatalf("HEAD: %d", r.StatusCode)
	}

	// A bypass path needs nothing, and the app learns no user, whatever the client says.
	anon := e.browser()
	got = reached(t, anon, "GET", at("wiki", "/public/logo.png"), "", "Remote-User", "mallory", "Remote-Groups", "admins")
	if len(got.Header["Remote-User"]) != 0 || len(got.Header["Remote-Groups"]) != 0 {
		t.Fatalf("a bypass path: the app got %v", got.Header)
	}
	// The client cannot name another request than its own.
	r, _ = get(t, anon, "GET", at("wiki", "/wiki/Secret"), "", "X-Original-URL", at("wiki", "/public/x"), "X-Original-Method", "GET",
		"X-Forwarded-Uri", "/public/x", "X-Forwarded-Host", "wiki.example.test", "X-Forwarded-Proto", "http", "X-Forwarded-Method", "GET")
	if r.StatusCode != http.StatusFound {
		t.Fatalf("headers naming a bypass path: %d", r.StatusCode)
	}
	// A deny path is refused, signed in or not; /%61dmin and /public/../admin too;
	// with Ward's sentence, in the browser's language, whatever the method.
	for _, path := range []string{"/admin/settings", "/%61dmin/settings", "/public/../admin/settings"} {
		for _, cl := range []*http.Client{c, anon} {
			if r, body := get(t, cl, "GET", at("wiki", path), ""); r.StatusCode != http.StatusForbidden || body != "You have no access to this page: ask an admin.\n" {
				t.Fatalf("%s: %d %q", path, r.StatusCode, body)
			}
		}
	}
	if r, body := get(t, c, "POST", at("wiki", "/admin/settings"), "a body", "Accept-Language", "fr"); r.StatusCode != http.StatusForbidden ||
		!strings.Contains(body, "accès") {
		t.Fatalf("a POST to a deny path, in French: %d %q", r.StatusCode, body)
	}
	// The app's own 403 reaches the browser as the app wrote it.
	if r, body := get(t, c, "GET", at("wiki", "/wiki/app-refuses"), ""); r.StatusCode != http.StatusForbidden || body != "the app's own refusal\n" {
		t.Fatalf("the app's own 403: %d %q", r.StatusCode, body)
	}
	// A user in none of the rule's groups is refused; one in them passes.
	if r, body := get(t, c, "GET", at("wiki", "/staff/handbook"), ""); r.StatusCode != http.StatusForbidden || !strings.Contains(body, "no access") {
		t.Fatalf("alice on a staff page: %d %q", r.StatusCode, body)
	}
	bob := e.browser()
	if st, out := e.call(bob, "/api/v1/login", map[string]string{"username": "bob", "password": "bob password"}); st != 200 {
		t.Fatalf("bob's sign-in through the proxy: %d %v", st, out)
	}
	if got := reached(t, bob, "GET", at("wiki", "/staff/handbook"), ""); got.Header.Get("Remote-User") != "bob" || got.Header.Get("Remote-Groups") != "staff" {
		t.Fatalf("bob on a staff page: %v", got.Header)
	}
	// An rd outside the cookie domain is refused on the sign-in page, with a sentence.
	r, body = get(t, anon, "GET", at("auth", "/login?rd="+url.QueryEscape("https://evil.test/")), "")
	if r.StatusCode != http.StatusBadRequest || !strings.Contains(body, "is not one of the apps this server protects") {
		t.Fatalf("rd outside the domain: %d\n%s", r.StatusCode, body)
	}
	// Signed in already: the sentence, and the way to the account, no form.
	r, body = get(t, c, "GET", at("auth", "/login?rd="+url.QueryEscape("https://evil.test/")), "")
	if r.StatusCode != http.StatusBadRequest || !strings.Contains(body, "is not one of the apps this server protects") ||
		strings.Contains(body, `name="password"`) || !strings.Contains(body, `href="/"`) {
		t.Fatalf("rd outside the domain, signed in: %d\n%s", r.StatusCode, body)
	}
	// Signed out on Ward: every app refuses the session at once.
	if r, _ := get(t, c, "POST", at("auth", "/logout"), "", "Content-Type", "application/x-www-form-urlencoded"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-out: %d", r.StatusCode)
	}
	if r, _ := get(t, c, "GET", page, ""); r.StatusCode != http.StatusFound || r.Header.Get("Location") != signIn {
		t.Fatalf("after sign-out: %d to %q", r.StatusCode, r.Header.Get("Location"))
	}

	// Two-factor sign-in required now (no deadline, or past it): bob, not enrolled,
	// is sent to enrollment, never to the app; the sign-in page leads there too.
	e.setPolicy(func(p *store.Policy) { p.Require2FA, p.Deadline = true, e.clk.now().Add(-time.Hour) })
	r, _ = get(t, bob, "GET", page, "")
	enroll := at("auth", "/enroll?rd="+url.QueryEscape(page))
	if r.StatusCode != http.StatusFound || r.Header.Get("Location") != enroll {
		t.Fatalf("past the deadline: %d to %q, want %q", r.StatusCode, r.Header.Get("Location"), enroll)
	}
	if _, body := get(t, bob, "GET", enroll, ""); !keyOnPage.MatchString(body) {
		t.Fatalf("the enrollment page through the proxy:\n%s", body)
	}
	r, _ = get(t, bob, "GET", signIn, "")
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/enroll?rd="+url.QueryEscape(page) {
		t.Fatalf("the sign-in page past the deadline: %d to %q", r.StatusCode, r.Header.Get("Location"))
	}
}

// traefikDynamic is the part of Traefik's dynamic configuration deploy/traefik.yml
// uses, with Traefik's own names: decoded strictly, a misspelt or unknown key
// fails the test (Traefik is not in Debian; no test runs the file itself).
type traefikDynamic struct {
	HTTP struct {
		Middlewares map[string]struct {
			ForwardAuth *struct {
				Address             string   `yaml:"address"`
				TrustForwardHeader  bool     `yaml:"trustForwardHeader"`
				AuthResponseHeaders []string `yaml:"authResponseHeaders"`
			} `yaml:"forwardAuth"`
		} `yaml:"middlewares"`
		Routers map[string]struct {
			Rule        string    `yaml:"rule"`
			EntryPoints []string  `yaml:"entryPoints"`
			Middlewares []string  `yaml:"middlewares"`
			Service     string    `yaml:"service"`
			TLS         *struct{} `yaml:"tls"`
		} `yaml:"routers"`
		Services map[string]struct {
			LoadBalancer struct {
				Servers []struct {
					URL string `yaml:"url"`
				} `yaml:"servers"`
			} `yaml:"loadBalancer"`
		} `yaml:"services"`
	} `yaml:"http"`
}

// TestTraefikExample checks deploy/traefik.yml against Ward and the other two
// examples: its keys are Traefik's, its forwardAuth asks the endpoint that
// answers Traefik's headers (asked here as Traefik asks: GET with
// X-Forwarded-Method, -Proto, -Host and -Uri), it copies exactly the headers
// Ward answers with, it believes no client's X-Forwarded-*, the app's router
// goes through it and Ward's own does not, and Ward's command line and address
// are those of deploy/nginx.conf and deploy/Caddyfile.
func TestTraefikExample(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "deploy", "traefik.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var conf traefikDynamic
	dec := yaml.NewDecoder(strings.NewReader(string(raw)))
	dec.KnownFields(true)
	if err := dec.Decode(&conf); err != nil {
		t.Fatalf("deploy/traefik.yml: %v", err)
	}
	mw, ok := conf.HTTP.Middlewares["ward"]
	if !ok || mw.ForwardAuth == nil {
		t.Fatalf("deploy/traefik.yml has no forwardAuth middleware named ward: %+v", conf.HTTP.Middlewares)
	}
	fa := mw.ForwardAuth
	if fa.TrustForwardHeader {
		t.Error("trustForwardHeader: true would let a client name another request than its own")
	}
	if want := []string{hdrUser, hdrName, hdrEmail, hdrGroups}; strings.Join(fa.AuthResponseHeaders, ",") != strings.Join(want, ",") {
		t.Errorf("authResponseHeaders %v, Ward answers with %v", fa.AuthResponseHeaders, want)
	}
	u, err := url.Parse(fa.Address)
	if err != nil || u.Host != "127.0.0.1:8080" {
		t.Fatalf("forwardAuth's address %q is not Ward's (127.0.0.1:8080, as in the other examples)", fa.Address)
	}
	for _, r := range []struct {
		name, rule, service string
		through             bool
	}{{"ward", "Host(`auth.example.com`)", "ward", false}, {"wiki", "Host(`wiki.example.com`)", "wiki", true}} {
		got := conf.HTTP.Routers[r.name]
		if got.Rule != r.rule || got.Service != r.service || got.TLS == nil || len(got.EntryPoints) == 0 {
			t.Errorf("router %s: %+v", r.name, got)
		}
		if through := strings.Join(got.Middlewares, ",") == "ward"; through != r.through {
			t.Errorf("router %s: middlewares %v (through Ward: want %v)", r.name, got.Middlewares, r.through)
		}
	}
	if s := conf.HTTP.Services["ward"].LoadBalancer.Servers; len(s) != 1 || s[0].URL != "http://127.0.0.1:8080" {
		t.Errorf("service ward: %+v", s)
	}
	// Ward's command line, the same in the three examples.
	serveLine := regexp.MustCompile(`ward-server serve [^\n]*\n#\s+[^\n]*`)
	want := serveLine.FindString(string(raw))
	for _, name := range []string{"nginx.conf", "Caddyfile"} {
		b, _ := os.ReadFile(filepath.Join("..", "..", "deploy", name))
		if got := serveLine.FindString(string(b)); want == "" || got != want {
			t.Errorf("Ward's command line in deploy/traefik.yml:\n%s\nin deploy/%s:\n%s", want, name, got)
		}
	}

	// The address answers Traefik's question, on Ward as that command line runs it.
	e := forwardEnv(t, storetest.Engines[0])
	req, _ := http.NewRequest("GET", strings.Replace(fa.Address, "127.0.0.1:8080", e.ts.Listener.Addr().String(), 1), nil)
	req.Header.Set("X-Forwarded-Method", "GET")
	req.Header.Set("X-Forwarded-Proto", "https")
	req.Header.Set("X-Forwarded-Host", "wiki.example.test")
	req.Header.Set("X-Forwarded-Uri", "/wiki/Main_Page")
	r, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if loc := r.Header.Get("Location"); r.StatusCode != http.StatusFound || !strings.Contains(loc, "/login?rd="+url.QueryEscape("https://wiki.example.test/wiki/Main_Page")) {
		t.Fatalf("Traefik's question at %s: %d to %q, want the sign-in page", u.Path, r.StatusCode, loc)
	}
	req.Header.Set("X-Forwarded-Uri", "/public/logo.png")
	if r, err = http.DefaultTransport.RoundTrip(req); err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != 200 || len(r.Header.Values(hdrUser)) != 1 || r.Header.Get(hdrUser) != "" {
		t.Fatalf("a bypass path by Traefik's question: %d %v", r.StatusCode, r.Header)
	}
}
