package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wardauth/ward/server/store/storetest"
	"github.com/wardauth/ward/vault"
)

// codeNow is the TOTP code of a base32 secret at t.
func codeNow(secret string, t time.Time) string {
	sec, _ := vault.ParseSecret(secret)
	a := vault.Account{Type: vault.TOTP, Secret: sec, Algorithm: vault.SHA1, Digits: 6, Period: 30}
	c, _ := a.Code(t)
	return c
}

// TestServerBinary builds the pure-Go server (CGO_ENABLED=0), adds a user with the
// admin command, serves on loopback (sweeping an old audit event at start), signs
// in and enrolls over HTTP, and stops on SIGTERM with exit status 0: on SQLite in
// its data folder, and on PostgreSQL with --db.
func TestServerBinary(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "ward-server")
	build := exec.Command("go", "build", "-o", bin, "./cmd/ward-server")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("CGO_ENABLED=0 go build: %v\n%s", err, out)
	}
	storetest.Each(t, func(t *testing.T, eng storetest.Engine) { serverBinary(t, bin, eng) })
}

func serverBinary(t *testing.T, bin string, eng storetest.Engine) {
	data := filepath.Join(t.TempDir(), "data")
	env := append(os.Environ(), "WARD_SERVER_DATA="+data)
	db := filepath.Join(data, "ward.db")
	if eng.Name != "sqlite" {
		db = eng.New(t).URL
		env = append(env, "WARD_SERVER_DB="+db)
	}
	add := exec.Command(bin, "admin", "add-user", "bob", "--admin")
	add.Env = append(env, "WARD_USER_PASSWORD=bob's long password")
	if out, err := add.CombinedOutput(); err != nil || !strings.Contains(string(out), "added user bob") {
		t.Fatalf("add-user: %v %s", err, out)
	}
	again := exec.Command(bin, "admin", "add-user", "bob")
	again.Env = append(env, "WARD_USER_PASSWORD=bob's long password")
	if out, err := again.CombinedOutput(); err == nil || strings.TrimSpace(string(out)) != "ward: a user bob exists already" {
		t.Fatalf("add-user twice: %v %q", err, out)
	}
	if info, err := os.Stat(filepath.Join(data, "server.key")); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("the key file: %v", err)
	}

	// An audit event from 400 days ago: the server's sweep at start removes it
	// (--audit-days 365 by default).
	st, err := storetest.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	st.Audit(context.Background(), time.Now().AddDate(0, 0, -400), 0, "login_failed", "192.0.2.1", "")
	st.Close()

	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	srv := exec.Command(bin, "serve", "--addr", addr)
	srv.Env = env
	var logs syncBuffer
	srv.Stderr = &logs
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Process.Kill()
	base := "http://" + addr
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if r, err := http.Get(base + "/healthz"); err == nil {
			r.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no /healthz: %s", logs.String())
		}
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	post := func(path, body string) map[string]any {
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
	if out := post("/api/v1/login", `{"username":"bob","password":"bob's long password"}`); out["next"] != "enroll" {
		t.Fatalf("login: %v", out)
	}
	en := post("/api/v1/enroll", `{}`)
	code := codeNow(en["secret"].(string), time.Now())
	conf := post("/api/v1/enroll/confirm", fmt.Sprintf(`{"code":%q}`, code))
	if len(conf["backup_codes"].([]any)) != 10 {
		t.Fatalf("confirm: %v", conf)
	}
	// A password typed into the username field, by someone else.
	r, err := http.Post(base+"/api/v1/login", "application/json", strings.NewReader(`{"username":"Tr0ub4dor&3-in-the-wrong-field","password":"x"}`))
	if err != nil || r.StatusCode != 401 {
		t.Fatalf("login with an unknown name: %v %v", err, r)
	}
	r.Body.Close()
	// The security events are logged (structured, one line each), and no secret is.
	// The server wrote each line before it answered; the pipe from it to this
	// test may take a moment longer.
	wants := []string{`msg="security event" event=login`, `event=enrolled addr=127.0.0.1 user=bob`,
		`event=login_failed addr=127.0.0.1 detail="no such account"`,
		`msg="removed expired records" sessions=0 devices=0 pending_enrollments=0 attempts=0 audit_events=1`}
	var log string
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		log = logs.String()
		missing := slices.DeleteFunc(slices.Clone(wants), func(w string) bool { return strings.Contains(log, w) })
		if len(missing) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the log lacks %q:\n%s", missing, log)
		}
	}
	secrets := []string{en["secret"].(string), "bob's long password", "Tr0ub4dor", code}
	for _, bc := range conf["backup_codes"].([]any) {
		secrets = append(secrets, bc.(string))
	}
	u, _ := url.Parse(base)
	for _, ck := range jar.Cookies(u) {
		secrets = append(secrets, ck.Value)
	}
	if len(secrets) < 15 {
		t.Fatalf("only %d secrets to look for: no session cookie?", len(secrets))
	}
	for _, sec := range secrets {
		if strings.Contains(log, sec) {
			t.Errorf("the server's log holds a secret (%.4s...):\n%s", sec, log)
		}
	}

	users := exec.Command(bin, "admin", "users", "--json")
	users.Env = env
	out, err := users.Output()
	if err != nil || !strings.Contains(string(out), `"name":"bob"`) || !strings.Contains(string(out), `"mfa_enabled":true`) {
		t.Fatalf("admin users: %v %s", err, out)
	}

	srv.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- srv.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, logs.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("no exit 15 s after SIGTERM")
	}
	if !strings.Contains(logs.String(), "stopped") {
		t.Errorf("the log does not say it stopped:\n%s", logs.String())
	}
}

// syncBuffer is a bytes.Buffer safe to read while a process writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }
