package server

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The files of deploy/ are checked as systemd and the server read them.

// needTool is the path of a program the test needs; the test is skipped without
// it, or fails when WARD_TEST_ALL is set (scripts/test.sh installs it).
func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("WARD_TEST_ALL") != "" {
			t.Fatalf("no %s: scripts/test.sh installs it (TEST_PACKAGES)", name)
		}
		t.Skipf("no %s", name)
	}
	return p
}

// unitSetting is the value of a setting of deploy/ward.service (the last given).
func unitSetting(t *testing.T, unit, key string) string {
	t.Helper()
	v := ""
	for _, line := range strings.Split(unit, "\n") {
		if k, val, ok := strings.Cut(line, "="); ok && k == key {
			v = val
		}
	}
	if v == "" && !strings.Contains(unit, "\n"+key+"=") {
		t.Fatalf("the unit has no %s", key)
	}
	return v
}

// The service unit: systemd-analyze verify finds nothing to say about it (with
// ExecStart pointed at a real build of ward-server), it runs `ward-server serve`
// with the environment file, waits longer than the server's shutdown grace after
// SIGTERM, and its exposure (systemd-analyze security) stays low.
func TestServiceUnit(t *testing.T) {
	analyze := needTool(t, "systemd-analyze")
	b, err := os.ReadFile("../deploy/ward.service")
	if err != nil {
		t.Fatal(err)
	}
	unit := string(b)
	if got := unitSetting(t, unit, "ExecStart"); got != "/usr/local/bin/ward-server serve" {
		t.Errorf("ExecStart=%s, want ward-server serve", got)
	}
	if got := unitSetting(t, unit, "EnvironmentFile"); got != "/etc/ward/ward.env" {
		t.Errorf("EnvironmentFile=%s", got)
	}
	stop, err := time.ParseDuration(unitSetting(t, unit, "TimeoutStopSec"))
	if err != nil || stop <= shutdownGrace+5*time.Second {
		t.Errorf("TimeoutStopSec=%s: give the server its %s and the store's closing (%v)", unitSetting(t, unit, "TimeoutStopSec"), shutdownGrace, err)
	}
	for _, want := range []string{"KillSignal=SIGTERM", "Restart=on-failure", "StateDirectory=ward", "ProtectSystem=strict",
		"ProtectHome=yes", "PrivateTmp=yes", "PrivateDevices=yes", "NoNewPrivileges=yes", "CapabilityBoundingSet=\n",
		"LockPersonality=yes", "MemoryDenyWriteExecute=yes", "SystemCallFilter=@system-service", "RestrictAddressFamilies="} {
		if !strings.Contains(unit, "\n"+want) {
			t.Errorf("the unit lacks %q", want)
		}
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "ward-server")
	build := exec.Command("go", "build", "-o", bin, "./cmd/ward-server")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	path := filepath.Join(dir, "ward.service")
	os.WriteFile(path, []byte(strings.ReplaceAll(unit, "/usr/local/bin/ward-server", bin)), 0o644)
	out, err := exec.Command(analyze, "verify", path).CombinedOutput()
	if err != nil || len(out) != 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
	out, err = exec.Command(analyze, "security", "--offline=yes", "--no-pager", path).CombinedOutput()
	m := regexp.MustCompile(`Overall exposure level for ward.service: ([0-9.]+)`).FindSubmatch(out)
	if err != nil || m == nil {
		t.Fatalf("systemd-analyze security: %v\n%s", err, out)
	}
	t.Logf("systemd-analyze security: exposure %s", m[1])
	if score, err := strconv.ParseFloat(string(m[1]), 64); err != nil || score > 2 {
		t.Errorf("the unit's exposure is %s, more than 2.0: which protection went?\n%s", m[1], out)
	}
}

// settingNames are the WARD_SERVER_* settings command.go registers.
func settingNames(t *testing.T) []string {
	t.Helper()
	src, err := os.ReadFile("command.go")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range regexp.MustCompile(`\benv(?:Int)?\("([A-Z_]+)"`).FindAllSubmatch(src, -1) {
		names = append(names, string(m[1]))
	}
	if len(names) < 15 {
		t.Fatalf("only %d settings found in command.go: %v", len(names), names)
	}
	return names
}

// deploy/ward.env documents every setting, names none that is not one, and its
// values start a server.
func TestEnvFile(t *testing.T) {
	b, err := os.ReadFile("../deploy/ward.env")
	if err != nil {
		t.Fatal(err)
	}
	file := string(b)
	known := map[string]bool{}
	for _, n := range settingNames(t) {
		known["WARD_SERVER_"+n], known["WARD_SERVER_"+n+"_FILE"] = true, true
		if !regexp.MustCompile(`(?m)^#?WARD_SERVER_` + n + `=`).MatchString(file) {
			t.Errorf("deploy/ward.env does not document WARD_SERVER_%s", n)
		}
	}
	var env []string
	sc := bufio.NewScanner(strings.NewReader(file))
	for sc.Scan() {
		line := strings.TrimPrefix(sc.Text(), "#")
		if name, _, ok := strings.Cut(line, "="); ok && strings.HasPrefix(name, "WARD_SERVER_") && !known[name] {
			t.Errorf("deploy/ward.env names %s, no setting", name)
		}
		if !strings.HasPrefix(sc.Text(), "#") && strings.Contains(sc.Text(), "=") {
			env = append(env, sc.Text())
		}
	}
	// The file's values, as systemd passes them, start a server (the addresses
	// moved to free ports, the data to a temporary folder).
	bin := buildServer(t)
	env = append(env, "WARD_SERVER_DATA="+t.TempDir(), "PATH="+os.Getenv("PATH"))
	in := startInstance(t, bin, env, freeAddr(t), "--metrics-addr", freeAddr(t))
	in.stop()
}
