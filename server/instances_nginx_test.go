package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wardauth/ward/server/store/storetest"
)

// TestInstancesBehindNginx: two ward-server processes on one PostgreSQL behind
// Debian's nginx (round robin), the rules of several instances as a client of
// the proxy meets them. 50 parallel verifies of one code give one valid, 50
// parallel wrong codes for another user evaluate at most the limit (5) and
// refuse the rest as locked, each instance having answered some of each (their
// /metrics say); a session made through nginx is valid on each instance asked
// directly. (TestInstancesCodeOnce and its neighbours in server/web pin the
// same rules in one process, with sign-ins and a fake clock.)
func TestInstancesBehindNginx(t *testing.T) {
	if testing.Short() {
		t.Skip("processes and nginx")
	}
	pg := storetest.Engines[1]
	if pg.Name != "postgres" {
		t.Fatal("the engines' table changed: Engines[1] is no longer PostgreSQL")
	}
	db := pg.New(t)
	bin := buildServer(t)
	env := append(os.Environ(), "WARD_SERVER_DATA="+t.TempDir(), "WARD_SERVER_DB="+db.URL, "WARD_SERVER_MAX_ATTEMPTS=5")
	for _, name := range []string{"alice", "bob"} {
		add := exec.Command(bin, "admin", "add-user", name)
		add.Env = append(env, "WARD_USER_PASSWORD="+name+"'s long password")
		if out, err := add.CombinedOutput(); err != nil {
			t.Fatalf("add-user: %v %s", err, out)
		}
	}
	tok := exec.Command(bin, "admin", "add-token", "app")
	tok.Env = env
	out, err := tok.Output()
	if err != nil {
		t.Fatalf("add-token: %v", err)
	}
	token := strings.TrimSpace(string(out))
	addrA, addrB, metricsA, metricsB := freeAddr(t), freeAddr(t), freeAddr(t), freeAddr(t)
	startInstance(t, bin, env, addrA, "--metrics-addr", metricsA)
	startInstance(t, bin, env, addrB, "--metrics-addr", metricsB)
	base := "http://" + startNginx(t, addrA, addrB)

	// Both enroll through nginx; alice's secret is read back from her enrollment.
	aliceSession, aliceSecret := enrollWithSecret(t, base, "alice", "alice's long password")
	enrollOver(t, base, "bob", "bob's long password")

	verifyTotals := func() (a, b float64) {
		for i, addr := range []string{metricsA, metricsB} {
			for k, v := range scrapeMetrics(t, addr) {
				if strings.HasPrefix(k, "ward_verify_total,") {
					*[]*float64{&a, &b}[i] += v
				}
			}
		}
		return a, b
	}
	// parallel sends 50 verifies of user and code at once through nginx; it
	// counts the valid answers, the invalid ones and the lockouts (429).
	parallel := func(user, code string) (valid, invalid, locked int32) {
		var v, inv, l atomic.Int32
		var wg sync.WaitGroup
		start := make(chan struct{})
		for range 50 {
			wg.Go(func() {
				<-start
				req, _ := http.NewRequest("POST", base+"/api/v1/verify", bytes.NewReader([]byte(fmt.Sprintf(`{"username":%q,"code":%q}`, user, code))))
				req.Header.Set("Authorization", "Bearer "+token)
				req.Header.Set("Content-Type", "application/json")
				r, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				defer r.Body.Close()
				var out map[string]any
				json.NewDecoder(r.Body).Decode(&out)
				switch {
				case r.StatusCode == 200 && out["valid"] == true:
					v.Add(1)
				case r.StatusCode == 200 && out["valid"] == false:
					inv.Add(1)
				case r.StatusCode == http.StatusTooManyRequests:
					l.Add(1)
				default:
					t.Errorf("verify: %d %v", r.StatusCode, out)
				}
			})
		}
		close(start)
		wg.Wait()
		return v.Load(), inv.Load(), l.Load()
	}

	// One code, 50 times at once: one valid. The next step's (within the skew of
	// one step), which alice's enrollment did not use.
	a0, b0 := verifyTotals()
	if valid, invalid, locked := parallel("alice", codeNow(aliceSecret, time.Now().Add(30*time.Second))); valid != 1 || invalid+locked != 49 {
		t.Fatalf("one code 50 times across two instances: %d valid, %d invalid, %d locked; want 1 valid", valid, invalid, locked)
	}
	a1, b1 := verifyTotals()
	if a1-a0 == 0 || b1-b0 == 0 || a1-a0+b1-b0 != 50 {
		t.Fatalf("the 50 verifies were answered %v by one instance and %v by the other", a1-a0, b1-b0)
	}

	// 50 wrong codes for bob at once: at most the limit evaluated, the rest locked.
	if valid, invalid, locked := parallel("bob", "000000"); valid != 0 || invalid > 5 || invalid+locked != 50 {
		t.Fatalf("50 wrong codes across two instances, limit 5: %d evaluated, %d locked", invalid, locked)
	} else {
		t.Logf("50 wrong codes across two instances: %d evaluated, %d locked", invalid, locked)
	}
	a2, b2 := verifyTotals()
	if a2-a1 == 0 || b2-b1 == 0 {
		t.Fatalf("the wrong codes were answered %v by one instance and %v by the other", a2-a1, b2-b1)
	}

	// Alice's session, made through nginx, on each instance asked directly.
	for _, addr := range []string{addrA, addrB} {
		req, _ := http.NewRequest("GET", "http://"+addr+"/api/v1/me", nil)
		req.Header.Set("Cookie", "ward_session="+aliceSession)
		r, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var me map[string]any
		json.NewDecoder(r.Body).Decode(&me)
		r.Body.Close()
		if r.StatusCode != 200 || me["username"] != "alice" {
			t.Fatalf("alice's session on %s: %d %v", addr, r.StatusCode, me)
		}
	}
}

// enrollWithSecret is enrollOver, also returning the TOTP secret.
func enrollWithSecret(t *testing.T, base, user, password string) (session, secret string) {
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
	secret = post("/api/v1/enroll", `{}`)["secret"].(string)
	post("/api/v1/enroll/confirm", fmt.Sprintf(`{"code":%q}`, codeNow(secret, time.Now())))
	u, _ := url.Parse(base)
	for _, ck := range jar.Cookies(u) {
		if ck.Name == "ward_session" {
			return ck.Value, secret
		}
	}
	t.Fatal("no session cookie")
	return "", ""
}
