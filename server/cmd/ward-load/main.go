// Command ward-load measures the enrollment server over loopback: GET /healthz and
// POST /api/v1/verify (wrong codes, spread over many enrolled users) at the same
// concurrency for the same time, side by side (in alternating one-second slices),
// then many simultaneous sign-ins.
//
// With -forward it measures forward-auth instead: GET of an app through a proxy
// that asks Ward about each request (nginx's auth_request), with a signed-in
// session's cookie, beside the same proxy serving the app without asking
// (-direct), and verify through the proxy when a token is given; no sign-ins.
// -floor adds the same app behind the same proxy asking an auth server that
// answers at once without looking at anything (nginx's own return 200): the least
// any forward-auth server can cost through that proxy on that machine.
// scripts/bench-server.sh starts the servers and nginx, prepares them and runs this.
//
//	ward-load -url http://127.0.0.1:8080 -token TOKEN -users 64 -c 64 -d 10s
//	ward-load -forward http://wiki.example.com:8000/ -direct http://direct.example.com:8000/ \
//	    -connect 127.0.0.1 -session "$(cat session)" -c 64 -d 10s
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wardauth/ward/vault"
)

func main() {
	base := flag.String("url", "http://127.0.0.1:8080", "the server")
	token := flag.String("token", "", "an application token")
	users := flag.Int("users", 64, "users u0..uN-1, enrolled, password 'load test password'")
	conc := flag.Int("c", 64, "concurrent clients")
	dur := flag.Duration("d", 10*time.Second, "how long each endpoint is measured")
	rounds := flag.Int("rounds", 10, "alternating slices the duration is cut into")
	signins := flag.Int("signins", 200, "simultaneous sign-ins")
	prepare := flag.Bool("prepare", false, "enroll the users (created beforehand with ward admin add-user) and stop")
	pids := flag.String("pid", "", "the server's process IDs, comma-separated, to report their CPU time per request (Linux)")
	sessionOut := flag.String("session-out", "", "with -prepare: write u0's session token (signed in and enrolled) to this file")
	forward := flag.String("forward", "", "an app's URL through a proxy asking Ward: measure forward-auth")
	direct := flag.String("direct", "", "with -forward: the same app through the proxy without asking Ward")
	floor := flag.String("floor", "", "with -forward: the same app through the proxy asking an auth server that answers at once")
	session := flag.String("session", "", "with -forward: the session token the requests carry")
	connect := flag.String("connect", "", "connect to this host whatever the URL's host (its port kept): names of a proxy's servers without DNS")
	flag.Parse()
	tr := &http.Transport{MaxIdleConnsPerHost: *conc * 2}
	if *connect != "" {
		var d net.Dialer
		tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			_, port, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			return d.DialContext(ctx, network, net.JoinHostPort(*connect, port))
		}
	}
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if *prepare {
		if err := enrollAll(*base, *users, *sessionOut, tr); err != nil {
			fmt.Fprintln(os.Stderr, "ward-load:", err)
			os.Exit(1)
		}
		return
	}

	// The two run in alternating slices, so that a change in the machine's speed
	// during the run (a shared host) weighs on both alike.
	healthReq := func(i, n int) (*http.Request, error) {
		return http.NewRequest("GET", *base+"/healthz", nil)
	}
	verifyReq := func(i, n int) (*http.Request, error) {
		body := fmt.Sprintf(`{"username":"u%d","code":"%06d"}`, (i+n)%*users, (i*7919+n*104729)%1000000)
		req, err := http.NewRequest("POST", *base+"/api/v1/verify", bytes.NewReader([]byte(body)))
		if err == nil {
			req.Header.Set("Authorization", "Bearer "+*token)
			req.Header.Set("Content-Type", "application/json")
		}
		return req, err
	}
	if *forward != "" {
		getReq := func(target string) func(i, n int) (*http.Request, error) {
			return func(i, n int) (*http.Request, error) {
				req, err := http.NewRequest("GET", target, nil)
				if err == nil && *session != "" {
					req.Header.Set("Cookie", "ward_session="+*session)
				}
				return req, err
			}
		}
		var ts []target
		add := func(name, url string) int {
			ts = append(ts, target{name: name, mk: getReq(url)})
			return len(ts) - 1
		}
		directAt, floorAt := -1, -1
		if *direct != "" {
			directAt = add("GET app, direct", *direct)
		}
		if *floor != "" {
			floorAt = add("GET app, instant auth", *floor)
		}
		faAt := add("GET app, forward-auth", *forward)
		if *token != "" {
			ts = append(ts, target{name: "POST /api/v1/verify", mk: verifyReq})
		}
		measure(ts, *conc, *dur, *rounds, *pids, client)
		fa := ts[faAt]
		if fa.s.status[200] != fa.s.n {
			fmt.Fprintf(os.Stderr, "ward-load: forward-auth answered %v, not all 200: is the session signed in?\n", fa.s.status)
			os.Exit(1)
		}
		if directAt >= 0 {
			d := ts[directAt]
			fmt.Printf("forward-auth/direct throughput: %.2f (target >= 0.5); forward-auth p99 %.1f ms (target < 10)\n",
				float64(fa.s.n)/float64(d.s.n), fa.s.p(99))
			if floorAt >= 0 {
				fl := ts[floorAt]
				fmt.Printf("an auth server that answers at once, through the same proxy: p99 %.1f ms, throughput/direct %.2f\n",
					fl.s.p(99), float64(fl.s.n)/float64(d.s.n))
			}
		}
		if *token != "" {
			fmt.Printf("statuses of verify: %v\n", ts[len(ts)-1].s.status)
		}
		return
	}
	health, verify := stats{status: map[int]int{}}, stats{status: map[int]int{}}
	var healthCPU, verifyCPU, healthSelf, verifySelf time.Duration
	self := os.Getpid()
	slice := *dur / time.Duration(*rounds)
	for range *rounds {
		cpu0, self0 := cpuTimes(*pids), cpuTime(self)
		health.add(run(*conc, slice, healthReq, client))
		cpu1, self1 := cpuTimes(*pids), cpuTime(self)
		verify.add(run(*conc, slice, verifyReq, client))
		cpu2, self2 := cpuTimes(*pids), cpuTime(self)
		healthCPU += cpu1 - cpu0
		verifyCPU += cpu2 - cpu1
		healthSelf += self1 - self0
		verifySelf += self2 - self1
	}
	slices.Sort(health.lat)
	slices.Sort(verify.lat)
	fmt.Printf("%-22s %10s %10s %10s %10s %8s %15s %15s\n", "endpoint", "requests", "req/s", "p50 ms", "p99 ms", "errors", "server CPU/req", "client CPU/req")
	perReq := func(cpu time.Duration, n int) string {
		if cpu == 0 || n == 0 {
			return "-"
		}
		return fmt.Sprintf("%.1f µs", float64(cpu.Microseconds())/float64(n))
	}
	for _, r := range []struct {
		name              string
		s                 stats
		server, generator time.Duration
	}{{"GET /healthz", health, healthCPU, healthSelf}, {"POST /api/v1/verify", verify, verifyCPU, verifySelf}} {
		fmt.Printf("%-22s %10d %10.0f %10.2f %10.2f %8d %15s %15s\n", r.name, r.s.n, float64(r.s.n)/dur.Seconds(), r.s.p(50), r.s.p(99), r.s.errors,
			perReq(r.server, r.s.n), perReq(r.generator, r.s.n))
	}
	fmt.Printf("verify/healthz throughput: %.2f (target >= 0.5); verify p99 %.1f ms (target < 20)\n",
		float64(verify.n)/float64(health.n), verify.p(99))
	fmt.Printf("statuses of verify: %v; valid codes among them (random hits): %d\n", verify.status, verify.valid)

	// Simultaneous sign-ins: each argon2id costs 64 MiB; the server bounds how many run.
	var wg sync.WaitGroup
	var mu sync.Mutex
	var worst time.Duration
	fails := 0
	start := time.Now()
	for i := range *signins {
		wg.Go(func() {
			body := fmt.Sprintf(`{"username":"u%d","password":"load test password"}`, i%*users)
			t0 := time.Now()
			r, err := client.Post(*base+"/api/v1/login", "application/json", bytes.NewReader([]byte(body)))
			d := time.Since(t0)
			mu.Lock()
			defer mu.Unlock()
			worst = max(worst, d)
			if err != nil || r.StatusCode != 200 {
				fails++
			}
			if err == nil {
				r.Body.Close()
			}
		})
	}
	wg.Wait()
	fmt.Printf("%d simultaneous sign-ins: all done in %.1f s, slowest %.1f s (target < 10 s), %d not 200\n",
		*signins, time.Since(start).Seconds(), worst.Seconds(), fails)
	if fails > 0 {
		os.Exit(1)
	}
}

// target is one kind of request measured, and what was measured of it.
type target struct {
	name     string
	mk       func(i, n int) (*http.Request, error)
	s        stats
	cpu, gen time.Duration // the server's and this process's CPU time while it ran
}

// measure runs the targets in alternating slices of d/rounds, c clients each,
// and prints a line for each.
func measure(ts []target, c int, d time.Duration, rounds int, pids string, client *http.Client) {
	self := os.Getpid()
	for i := range ts {
		ts[i].s.status = map[int]int{}
	}
	for range rounds {
		for i := range ts {
			cpu0, self0 := cpuTimes(pids), cpuTime(self)
			ts[i].s.add(run(c, d/time.Duration(rounds), ts[i].mk, client))
			ts[i].cpu += cpuTimes(pids) - cpu0
			ts[i].gen += cpuTime(self) - self0
		}
	}
	fmt.Printf("%-24s %10s %10s %10s %10s %8s %15s %15s\n", "request", "requests", "req/s", "p50 ms", "p99 ms", "errors", "Ward CPU/req", "client CPU/req")
	for i := range ts {
		t := &ts[i]
		slices.Sort(t.s.lat)
		fmt.Printf("%-24s %10d %10.0f %10.2f %10.2f %8d %15s %15s\n", t.name, t.s.n, float64(t.s.n)/d.Seconds(), t.s.p(50), t.s.p(99), t.s.errors,
			perRequest(t.cpu, t.s.n), perRequest(t.gen, t.s.n))
	}
}

func perRequest(cpu time.Duration, n int) string {
	if cpu == 0 || n == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f µs", float64(cpu.Microseconds())/float64(n))
}

// cpuTimes is the CPU time of the processes a comma-separated list names.
func cpuTimes(pids string) time.Duration {
	var sum time.Duration
	for _, p := range strings.Split(pids, ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(p)); err == nil {
			sum += cpuTime(n)
		}
	}
	return sum
}

// cpuTime is a process's user and system CPU time so far, from /proc (0 when pid
// is 0 or unreadable).
func cpuTime(pid int) time.Duration {
	if pid <= 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name (which may hold spaces, inside parentheses).
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100 // USER_HZ is 100 on Linux
}

type stats struct {
	n, errors int
	valid     int // verify answers {"valid":true}: a random code can be right
	lat       []time.Duration
	status    map[int]int
}

func (s stats) p(q int) float64 {
	if len(s.lat) == 0 {
		return 0
	}
	return float64(s.lat[len(s.lat)*q/100].Microseconds()) / 1000
}

// run sends requests from c clients for d and gathers latencies.
func run(c int, d time.Duration, mk func(i, n int) (*http.Request, error), client *http.Client) stats {
	var mu sync.Mutex
	all := stats{status: map[int]int{}}
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for i := range c {
		wg.Go(func() {
			var local stats
			local.status = map[int]int{}
			for n := 0; time.Now().Before(deadline); n++ {
				req, err := mk(i, n)
				if err != nil {
					local.errors++
					continue
				}
				t0 := time.Now()
				r, err := client.Do(req)
				if err != nil {
					local.errors++
					continue
				}
				body, _ := io.ReadAll(io.LimitReader(r.Body, 4096))
				r.Body.Close()
				if bytes.Contains(body, []byte(`"valid":true`)) {
					local.valid++
				}
				local.lat = append(local.lat, time.Since(t0))
				local.status[r.StatusCode]++
				local.n++
			}
			mu.Lock()
			all.add(local)
			mu.Unlock()
		})
	}
	wg.Wait()
	return all
}

// add merges o's counts and latencies into s (sort s.lat before p).
func (s *stats) add(o stats) {
	s.n += o.n
	s.errors += o.errors
	s.valid += o.valid
	s.lat = append(s.lat, o.lat...)
	for k, v := range o.status {
		s.status[k] += v
	}
}

// enrollAll signs each user in and enrolls them, computing the confirming code.
// With sessionOut, u0's session token once enrolled is written there.
func enrollAll(base string, users int, sessionOut string, tr http.RoundTripper) error {
	for i := range users {
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar, Transport: tr}
		post := func(path, body string) (map[string]any, error) {
			r, err := c.Post(base+path, "application/json", bytes.NewReader([]byte(body)))
			if err != nil {
				return nil, err
			}
			defer r.Body.Close()
			var out map[string]any
			json.NewDecoder(r.Body).Decode(&out)
			if r.StatusCode != 200 {
				return nil, fmt.Errorf("%s: %d %v", path, r.StatusCode, out)
			}
			return out, nil
		}
		if _, err := post("/api/v1/login", fmt.Sprintf(`{"username":"u%d","password":"load test password"}`, i)); err != nil {
			return err
		}
		out, err := post("/api/v1/enroll", `{}`)
		if err != nil {
			return err
		}
		sec, _ := vault.ParseSecret(out["secret"].(string))
		a := vault.Account{Type: vault.TOTP, Secret: sec, Algorithm: vault.SHA1, Digits: 6, Period: 30}
		code, _ := a.Code(time.Now())
		if _, err := post("/api/v1/enroll/confirm", fmt.Sprintf(`{"code":%q}`, code)); err != nil {
			return err
		}
		if i == 0 && sessionOut != "" {
			u, _ := url.Parse(base)
			var token string
			for _, c := range jar.Cookies(u) {
				if c.Name == "ward_session" {
					token = c.Value
				}
			}
			if token == "" {
				return fmt.Errorf("no session cookie after u0's enrollment")
			}
			if err := os.WriteFile(sessionOut, []byte(token), 0o600); err != nil {
				return err
			}
		}
	}
	return nil
}
