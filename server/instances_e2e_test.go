package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/wardauth/ward/server/store/storetest"
)

// Two ward-server processes on one PostgreSQL behind a real nginx (round robin),
// as a team runs them: a rolling restart under load loses no session and no
// write, the sweep runs on one of them, and /metrics is served on its own address
// only.

// freeAddr is a loopback address with a free port.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// buildServer builds the pure-Go server.
func buildServer(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "ward-server")
	build := exec.Command("go", "build", "-o", bin, "./cmd/ward-server")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("CGO_ENABLED=0 go build: %v\n%s", err, out)
	}
	return bin
}

// instance is a running ward-server process.
type instance struct {
	t    *testing.T
	cmd  *exec.Cmd
	addr string
	log  *syncBuffer
	done chan error
}

// startInstance runs `ward-server serve` with env and args, and waits until it
// answers /healthz.
func startInstance(t *testing.T, bin string, env []string, addr string, args ...string) *instance {
	t.Helper()
	in := &instance{t: t, addr: addr, log: &syncBuffer{}, done: make(chan error, 1)}
	in.cmd = exec.Command(bin, append([]string{"serve", "--addr", addr}, args...)...)
	in.cmd.Env = env
	in.cmd.Stderr = in.log
	if err := in.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { in.done <- in.cmd.Wait() }()
	t.Cleanup(func() { in.cmd.Process.Kill() })
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if r, err := http.Get("http://" + addr + "/healthz"); err == nil {
			r.Body.Close()
			return in
		}
		select {
		case err := <-in.done:
			t.Fatalf("the server on %s exited: %v\n%s", addr, err, in.log.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no /healthz on %s: %s", addr, in.log.String())
		}
	}
}

// stop sends SIGTERM and waits for a clean exit.
func (in *instance) stop() {
	in.t.Helper()
	in.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-in.done:
		if err != nil {
			in.t.Fatalf("exit after SIGTERM: %v\n%s", err, in.log.String())
		}
	case <-time.After(30 * time.Second):
		in.t.Fatalf("no exit 30 s after SIGTERM:\n%s", in.log.String())
	}
	if !strings.Contains(in.log.String(), "stopped") {
		in.t.Errorf("the log does not say it stopped:\n%s", in.log.String())
	}
}

// startNginx runs Debian's nginx in front of the upstreams, round robin, and
// returns its address. A request that could not reach an instance (refused, or
// reset before it was read: an instance stopping) goes to the next, POST too:
// an instance that stops answers every request it read (graceful shutdown).
func startNginx(t *testing.T, upstreams ...string) string {
	t.Helper()
	bin, err := exec.LookPath("nginx")
	if err != nil {
		if _, err = os.Stat("/usr/sbin/nginx"); err != nil {
			if os.Getenv("WARD_TEST_ALL") != "" {
				t.Fatal("no nginx: scripts/test.sh installs it (TEST_PACKAGES)")
			}
			t.Skip("no nginx")
		}
		bin = "/usr/sbin/nginx"
	}
	dir := t.TempDir()
	addr := freeAddr(t)
	var servers strings.Builder
	for _, u := range upstreams {
		fmt.Fprintf(&servers, "\t\tserver %s max_fails=1 fail_timeout=1s;\n", u)
	}
	user := ""
	if os.Getuid() == 0 {
		user = "user root;"
	}
	conf := fmt.Sprintf(`%s
daemon off;
worker_processes 1;
pid %[2]s/nginx.pid;
error_log %[2]s/error.log warn;
events { worker_connections 1024; }
http {
	access_log off;
	client_body_temp_path %[2]s/body;
	proxy_temp_path %[2]s/proxy;
	fastcgi_temp_path %[2]s/fastcgi;
	uwsgi_temp_path %[2]s/uwsgi;
	scgi_temp_path %[2]s/scgi;
	upstream ward {
%[3]s		keepalive 32;
	}
	server {
		listen %[4]s;
		location / {
			proxy_pass http://ward;
			proxy_http_version 1.1;
			proxy_set_header Connection "";
			proxy_set_header Host $host;
			proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
			proxy_next_upstream error timeout non_idempotent;
		}
	}
}
`, user, dir, servers.String(), addr)
	confPath := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-p", dir, "-e", filepath.Join(dir, "error.log"), "-c", confPath)
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGQUIT)
		cmd.Wait()
	})
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if r, err := http.Get("http://" + addr + "/healthz"); err == nil && r.StatusCode == 200 {
			r.Body.Close()
			return addr
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Fatalf("nginx does not answer: %s\n%s", out.String(), log)
		}
	}
}

// scrapeMetrics reads /metrics at addr and parses it as Prometheus does.
func scrapeMetrics(t *testing.T, addr string) map[string]float64 {
	t.Helper()
	r, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	if r.StatusCode != 200 {
		t.Fatalf("/metrics on %s: %d", addr, r.StatusCode)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(r.Body)
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	out := map[string]float64{}
	for name, f := range fams {
		for _, m := range f.Metric {
			key := name
			for _, l := range m.Label {
				key += fmt.Sprintf(",%s=%s", l.GetName(), l.GetValue())
			}
			switch {
			case m.Counter != nil:
				out[key] = m.Counter.GetValue()
			case m.Gauge != nil:
				out[key] = m.Gauge.GetValue()
			case m.Histogram != nil:
				out[key] = float64(m.Histogram.GetSampleCount())
			}
		}
	}
	return out
}

// load is the load generator: clients sending verify (wrong codes for alice, an
// audit row each written in verify's statement; unknown names, counted in
// aggregate and written when their minute ends or the server stops) and, every
// few requests, alice's session's /api/v1/me, through nginx.
type load struct {
	answered   atomic.Int64 // verify answered (200, or 429 for a budget spent)
	sessions   atomic.Int64 // /me answered 200
	mu         sync.Mutex
	failed     []string // anything else, with when
	inFlight   atomic.Int64
	stop, done chan struct{}
}

func runLoad(t *testing.T, base, token, session string, clients int) *load {
	l := &load{stop: make(chan struct{}), done: make(chan struct{})}
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			hc := &http.Client{Timeout: 20 * time.Second}
			for i := 0; ; i++ {
				select {
				case <-l.stop:
					return
				default:
				}
				l.inFlight.Add(1)
				var req *http.Request
				me := i%5 == 4
				if me {
					req, _ = http.NewRequest("GET", base+"/api/v1/me", nil)
					req.AddCookie(&http.Cookie{Name: "ward_session", Value: session})
				} else {
					name := "alice"
					if i%2 == 1 {
						name = fmt.Sprintf("nobody-%d-%d", c, i%7)
					}
					req, _ = http.NewRequest("POST", base+"/api/v1/verify",
						strings.NewReader(fmt.Sprintf(`{"username":%q,"code":"%06d"}`, name, (c*7919+i)%1000000)))
					req.Header.Set("Authorization", "Bearer "+token)
					req.Header.Set("Content-Type", "application/json")
				}
				r, err := hc.Do(req)
				status := 0
				if err == nil {
					io.Copy(io.Discard, r.Body)
					r.Body.Close()
					status = r.StatusCode
				}
				l.inFlight.Add(-1)
				switch {
				case me && status == 200:
					l.sessions.Add(1)
				case !me && (status == 200 || status == 429):
					l.answered.Add(1)
				default:
					l.mu.Lock()
					l.failed = append(l.failed, fmt.Sprintf("%s %s: %d %v", time.Now().Format("15:04:05.000"), req.URL.Path, status, err))
					l.mu.Unlock()
				}
			}
		})
	}
	go func() { wg.Wait(); close(l.done) }()
	return l
}

func (l *load) end() { close(l.stop); <-l.done }

// enrollOver signs a user in at base and enrolls them over HTTP; it returns the
// session's token.
func enrollOver(t *testing.T, base, user, password string) string {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	post := func(path, body string) map[string]any {
		t.Helper()
		r, err := c.Post(base+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer r.Body.Close()
		var out map[string]any
		json.NewDecoder(r.Body).Decode(&out)
		if r.StatusCode != 200 {
			t.Fatalf("%s: %d %v", path, r.StatusCode, out)
		}
		return out
	}
	post("/api/v1/login", fmt.Sprintf(`{"username":%q,"password":%q}`, user, password))
	en := post("/api/v1/enroll", `{}`)
	post("/api/v1/enroll/confirm", fmt.Sprintf(`{"code":%q}`, codeNow(en["secret"].(string), time.Now())))
	u, _ := url.Parse(base)
	for _, ck := range jar.Cookies(u) {
		if ck.Name == "ward_session" {
			return ck.Value
		}
	}
	t.Fatal("no session cookie")
	return ""
}

// TestRollingRestart: two ward-server processes on one PostgreSQL behind nginx,
// a load generator running through nginx; one instance is stopped with SIGTERM
// while the other serves, then started again and takes its share again. No
// request fails beyond those in flight at the stop, alice's session is valid
// throughout, and every verify answered is one audit row in the database once
// both have stopped: the rows counted in memory (refusals, per minute) are
// written when an instance stops. The hourly sweep ran on one instance, and
// /metrics is served on the metrics address and not on the public one.
func TestRollingRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("processes, nginx and a load")
	}
	pg := storetest.Engines[1]
	if pg.Name != "postgres" {
		t.Fatal("the engines' table changed: Engines[1] is no longer PostgreSQL")
	}
	db := pg.New(t)
	bin := buildServer(t)
	data := t.TempDir() // the key file, the same for both instances
	env := append(os.Environ(), "WARD_SERVER_DATA="+data, "WARD_SERVER_DB="+db.URL, "WARD_SERVER_MAX_ATTEMPTS=1000000",
		"WARD_SERVER_LOG_LEVEL=info")
	add := exec.Command(bin, "admin", "add-user", "alice")
	add.Env = append(env, "WARD_USER_PASSWORD=alice's long password")
	if out, err := add.CombinedOutput(); err != nil {
		t.Fatalf("add-user: %v %s", err, out)
	}
	tok := exec.Command(bin, "admin", "add-token", "load")
	tok.Env = env
	out, err := tok.Output()
	if err != nil {
		t.Fatalf("add-token: %v", err)
	}
	token := strings.TrimSpace(string(out))
	// An audit event from two years ago: the first round of the sweep removes it.
	st, err := storetest.Open(context.Background(), db.URL)
	if err != nil {
		t.Fatal(err)
	}
	st.Audit(context.Background(), time.Now().AddDate(-2, 0, 0), 0, "login_failed", "192.0.2.1", "")
	st.Close()

	addrA, addrB, metricsA := freeAddr(t), freeAddr(t), freeAddr(t)
	a := startInstance(t, bin, env, addrA, "--metrics-addr", metricsA)
	b := startInstance(t, bin, env, addrB)
	base := "http://" + startNginx(t, addrA, addrB)

	// Alice signs in and enrolls through nginx (her requests go to both).
	session := enrollOver(t, base, "alice", "alice's long password")

	// /metrics: on its own address only.
	for _, where := range []string{"http://" + addrA, base} {
		r, err := http.Get(where + "/metrics")
		if err != nil || r.StatusCode != 404 {
			t.Fatalf("/metrics on the public address %s: %v %v", where, err, r)
		}
		r.Body.Close()
	}

	const clients = 8
	l := runLoad(t, base, token, session, clients)
	time.Sleep(1500 * time.Millisecond)
	before, inFlight := l.answered.Load(), l.inFlight.Load()
	first := a
	a.stop()
	stoppedAt := l.answered.Load()
	time.Sleep(1500 * time.Millisecond)
	if l.answered.Load()-stoppedAt < 100 {
		t.Fatalf("the other instance answered %d verifies while the first was stopped", l.answered.Load()-stoppedAt)
	}
	a = startInstance(t, bin, env, addrA, "--metrics-addr", metricsA)
	time.Sleep(2500 * time.Millisecond) // nginx tries it again after fail_timeout
	l.end()
	m := scrapeMetrics(t, metricsA)
	servedAgain := m["ward_verify_total,result=invalid"] + m["ward_verify_total,result=valid"]
	if servedAgain == 0 {
		t.Fatal("the restarted instance took no verify from nginx")
	}
	if m["ward_http_request_duration_seconds,route=POST /api/v1/verify,status=2xx"] == 0 {
		t.Fatalf("no latency of the verify route in /metrics: %v", m)
	}
	a.stop()
	b.stop()

	l.mu.Lock()
	failed := l.failed
	l.mu.Unlock()
	t.Logf("verify answered: %d (%d before the stop, %d requests in flight then), /me answered: %d, failed: %d; the restarted instance answered %v verifies",
		l.answered.Load(), before, inFlight, l.sessions.Load(), len(failed), servedAgain)
	if len(failed) > clients {
		t.Fatalf("%d requests failed, more than the %d that can be in flight at the stop:\n%s", len(failed), clients, strings.Join(failed, "\n"))
	}
	for _, f := range failed {
		t.Logf("failed: %s", f)
	}
	if l.sessions.Load() == 0 {
		t.Fatal("no /me answered")
	}
	// Every verify answered is one audit row (or counted in one), for the token
	// "load": none lost at the stops.
	rows := storetest.Count(t, db, `SELECT COALESCE(SUM(count), 0) FROM audit WHERE detail = 'load'
		AND event IN ('verified', 'verify_failed', 'locked')`)
	if int64(rows) != l.answered.Load() {
		t.Fatalf("%d verify events in the audit table for %d verifies answered", rows, l.answered.Load())
	}
	// The first round of the sweep ran on one instance, the one that started
	// first; neither the other nor the restarted one swept again within the hour.
	for _, c := range []struct {
		name string
		in   *instance
		want int
	}{{"the first instance", first, 1}, {"the second", b, 0}, {"the first, restarted", a, 0}} {
		if n := strings.Count(c.in.log.String(), `msg="removed expired records"`); n != c.want {
			t.Errorf("%s removed expired records %d times, want %d:\n%s", c.name, n, c.want, c.in.log.String())
		}
	}
	if n := storetest.Count(t, db, `SELECT COUNT(*) FROM audit WHERE addr = '192.0.2.1'`); n != 0 {
		t.Errorf("the old audit row is still there")
	}
}
