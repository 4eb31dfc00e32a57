package replica

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wardauth/ward/vault"
)

// A real sync engine between two homes: Debian's Syncthing, two instances on
// loopback (no discovery, no relays, no NAT traversal: each knows the other by
// its device ID at tcp://127.0.0.1:PORT), each with its own HOME and its own view
// of the shared folder, and on each a machine with its own vault file. An
// account added on one appears on the other (the time measured, through the
// window's watcher); with the link cut (the device paused through Syncthing's
// REST API) both change the vault, and a copy of one machine's vault file,
// opened on the other computer, writes the same log as the original: joined
// again, Syncthing makes a conflict copy of that log, and both machines end with
// the same accounts, as the merge's rules say.
func TestSyncthing(t *testing.T) {
	bin, err := exec.LookPath("syncthing")
	if err != nil {
		if os.Getenv("WARD_TEST_ALL") != "" {
			t.Fatal("syncthing is not installed; scripts/test.sh installs it (TEST_PACKAGES)")
		}
		t.Skip("syncthing is not installed (scripts/test.sh installs it)")
	}
	start := time.Now()
	root := t.TempDir()
	sa, sb := newSyncthing(t, bin, root, "a"), newSyncthing(t, bin, root, "b")
	sa.configure(t, sb)
	sb.configure(t, sa)

	a := first(t, sa.folder, linkGitHub)
	sa.start(t)
	sb.start(t)
	sa.waitConnected(t, sb, true)

	// b joins from its own view of the folder once Syncthing has brought a's log.
	var b *machine
	eventually(t, 20*time.Second, "b's join from the folder Syncthing filled", func() bool {
		m := &machine{t: t, name: "b", path: filepath.Join(t.TempDir(), "vault.ward"), clock: a.clock}
		var err error
		if _, m.r, err = Join(m.path, sb.folder, pass, m.opts()); err != nil {
			return false
		}
		b = m
		return true
	})
	if got := issuers(b); !slices.Equal(got, []string{"GitHub"}) {
		t.Fatalf("b joined with %v", got)
	}

	// An account added on a, seen on b: Syncthing carries the log, b's watcher
	// tells, b merges (as its window would).
	told := watch(t, b)
	a.add(a.v(), linkSPDX)
	added := time.Now()
	eventually(t, 20*time.Second, "a's addition on b", func() bool {
		select {
		case <-told:
		case <-time.After(time.Second): // a tell may have come before the file was whole
		}
		b.sync()
		return slices.Contains(issuers(b), "SPDX")
	})
	t.Logf("an account added on a was in b's vault %v later (Syncthing's watcher delay is 1 s)", time.Since(added).Round(10*time.Millisecond))
	b.add(b.v(), linkHOTP)
	added = time.Now()
	eventually(t, 20*time.Second, "b's addition on a", func() bool {
		a.sync()
		return slices.Contains(issuers(a), "Issuu")
	})
	t.Logf("an account added on b was in a's vault %v later (polled every 100 ms)", time.Since(added).Round(10*time.Millisecond))
	same(t, a, b)
	name := ownLog(a)
	eventually(t, 20*time.Second, "a's log the same in both views", func() bool {
		x, _ := os.ReadFile(filepath.Join(sa.folder, DirName, name))
		y, _ := os.ReadFile(filepath.Join(sb.folder, DirName, name))
		return len(x) > 0 && bytes.Equal(x, y)
	})

	// The link cut.
	sa.post(t, "/rest/system/pause?device="+sb.id)
	sa.waitConnected(t, sb, false)
	sb.waitConnected(t, sa, false)
	cut := time.Now()

	// A copy of a's vault file opened on b's computer: its log has a's name.
	clone := &machine{t: t, name: "clone", path: filepath.Join(t.TempDir(), "vault.ward"), clock: a.clock}
	data, err := os.ReadFile(a.path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(clone.path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	v, err := vault.OpenWithPassphrase(clone.path, pass)
	if err != nil {
		t.Fatal(err)
	}
	if clone.r, err = Attach(v, clone.opts()); err != nil {
		t.Fatal(err)
	}
	moveTo(t, clone, sb.folder)

	// While apart: different fields of GitHub on each; SPDX's name on both, b's
	// later; Issuu deleted on a while b edits it; an account added on the clone.
	a.edit("GitHub", func(x *vault.Account) { x.Note = "noted on a" })
	a.edit("SPDX", func(x *vault.Account) { x.Name = "named on a" })
	a.update(func(d *vault.Doc) error {
		for _, x := range d.Accounts {
			if x.Issuer == "Issuu" {
				return d.Remove(x.ID)
			}
		}
		return fmt.Errorf("no Issuu on a")
	})
	b.clock = a.clock.Add(time.Hour)
	b.edit("GitHub", func(x *vault.Account) { x.Name = "renamed on b" })
	b.edit("SPDX", func(x *vault.Account) { x.Name = "named on b" })
	b.edit("Issuu", func(x *vault.Account) { x.Note = "edited on b" })
	clone.add(clone.v(), linkClone)
	if ownLog(clone) != name {
		t.Fatalf("the clone writes %s, a %s", ownLog(clone), name)
	}
	sa.post(t, "/rest/db/scan?folder=ward") // both sides' changes known to Syncthing
	sb.post(t, "/rest/db/scan?folder=ward")
	if slices.Contains(issuers(a), "Example") || a.v().Accounts()[0].Name == "renamed on b" {
		t.Fatal("a has b's changes while the link is cut")
	}

	// Joined again.
	joined := time.Now()
	sa.post(t, "/rest/system/resume?device="+sb.id)
	sa.waitConnected(t, sb, true)
	conflict := regexp.MustCompile(`^` + regexp.QuoteMeta(strings.TrimSuffix(name, ".log")) + `\.sync-conflict-[0-9]{8}-[0-9]{6}-[A-Z0-9]{7}\.log$`)
	// Syncthing keeps one version of the log both wrote and makes a conflict copy
	// of the other. A machine joining from the folder then, before a or the clone
	// writes again, has what only the two versions hold: the clone's account and
	// a's note. (The clone's next save starts a generation with a snapshot, and
	// removes the copies of its logs it has read.)
	var copies []string
	var beside string
	eventually(t, 30*time.Second, "Syncthing's conflict copy of the log both wrote", func() bool {
		for _, folder := range []string{sa.folder, sb.folder} {
			for _, n := range logFiles(t, folder) {
				if conflict.MatchString(n) {
					copies, beside = append(copies, filepath.Join(filepath.Base(filepath.Dir(folder)), n)), folder
				}
			}
		}
		return beside != ""
	})
	var late *machine
	eventually(t, 10*time.Second, "a machine joining beside the conflict copy with both versions' changes", func() bool {
		late = &machine{t: t, name: "late", path: filepath.Join(t.TempDir(), "vault.ward"), clock: b.clock}
		var err error
		if _, late.r, err = Join(late.path, beside, pass, late.opts()); err != nil {
			t.Fatal(err)
		}
		got := late.v().Accounts()
		return slices.ContainsFunc(got, func(x vault.Account) bool { return x.Issuer == "Example" }) &&
			slices.ContainsFunc(got, func(x vault.Account) bool { return x.Note == "noted on a" })
	})
	t.Logf("Syncthing's conflict copy %v merged by a machine joining %v after the link came back", copies, time.Since(joined).Round(10*time.Millisecond))
	eventually(t, 30*time.Second, "both machines merged", func() bool {
		clone.sync()
		a.sync()
		b.sync()
		late.sync()
		return a.list() == b.list() && b.list() == late.list() && slices.Contains(issuers(a), "Example")
	})
	t.Logf("the same accounts on both %v after the link came back (it was cut for %v)", time.Since(joined).Round(10*time.Millisecond),
		joined.Sub(cut).Round(10*time.Millisecond))
	same(t, a, b)
	got := map[string]vault.Account{}
	for _, x := range a.v().Accounts() {
		got[x.Issuer] = x
	}
	if g := got["GitHub"]; g.Note != "noted on a" || g.Name != "renamed on b" {
		t.Errorf("GitHub: both fields changed apart are kept: %q, %q", g.Name, g.Note)
	}
	if g := got["SPDX"]; g.Name != "named on b" {
		t.Errorf("SPDX: the later name wins: %q", g.Name)
	}
	if _, ok := got["Issuu"]; ok {
		t.Error("Issuu, deleted on a while b edited it, is back")
	}
	if _, ok := got["Example"]; !ok {
		t.Error("the clone's account, in Syncthing's conflict copy, is lost")
	}
	lost := false
	for _, c := range a.r.Status().Conflicts {
		lost = lost || c.Field == "name" && c.Lost == "named on a" && c.Kept == "named on b"
	}
	if !lost {
		t.Errorf("a's SPDX name is not in the history: %+v", a.r.Status().Conflicts)
	}
	for _, m := range []*machine{a, b, late} {
		if st := m.r.Status(); len(st.Files) != 0 || st.Problem != "" {
			t.Errorf("%s: %+v", m.name, st)
		}
	}
	t.Logf("the whole test: %v", time.Since(start).Round(10*time.Millisecond))
}

const linkClone = "otpauth://totp/Example:clone?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Example"

// eventually calls ok every 100 ms until it says yes, or fails the test.
func eventually(t *testing.T, limit time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, limit)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// syncthing is one instance: its HOME, its view of the shared folder, its ports.
type syncthing struct {
	bin, home, folder, id, apikey string
	listen, gui                   int
	log                           *os.File
}

func newSyncthing(t *testing.T, bin, root, name string) *syncthing {
	t.Helper()
	s := &syncthing{bin: bin, home: filepath.Join(root, name), apikey: "ward-test-" + name,
		listen: freePort(t), gui: freePort(t)}
	s.folder = filepath.Join(s.home, "Sync")
	if err := os.MkdirAll(filepath.Join(s.folder, ".stfolder"), 0o700); err != nil {
		t.Fatal(err)
	}
	out, err := s.cmd("generate", "--no-default-folder", "--skip-port-probing").CombinedOutput()
	if err != nil {
		t.Fatalf("syncthing generate: %v\n%s", err, out)
	}
	out, err = s.cmd("serve", "--device-id").Output()
	if err != nil {
		t.Fatalf("syncthing --device-id: %v", err)
	}
	s.id = strings.TrimSpace(string(out))
	return s
}

func (s *syncthing) cmd(args ...string) *exec.Cmd {
	c := exec.Command(s.bin, append(args, "--home="+filepath.Join(s.home, "config"))...)
	c.Env = append(os.Environ(), "HOME="+s.home, "STNODEFAULTFOLDER=1", "STNOUPGRADE=1", "STNORESTART=1")
	return c
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// configure writes the instance's configuration: the folder shared with peer
// only, every way of finding devices off but the peer's static address.
func (s *syncthing) configure(t *testing.T, peer *syncthing) {
	t.Helper()
	conf := fmt.Sprintf(`<configuration version="36">
    <folder id="ward" label="Ward" path="%[1]s" type="sendreceive" rescanIntervalS="60" fsWatcherEnabled="true" fsWatcherDelayS="1" ignorePerms="false" autoNormalize="true">
        <filesystemType>basic</filesystemType>
        <device id="%[2]s"></device>
        <device id="%[3]s"></device>
        <minDiskFree unit="%%">0</minDiskFree>
        <maxConflicts>10</maxConflicts>
        <markerName>.stfolder</markerName>
    </folder>
    <device id="%[2]s" name="self" compression="metadata">
        <address>dynamic</address>
    </device>
    <device id="%[3]s" name="peer" compression="metadata">
        <address>tcp://127.0.0.1:%[4]d</address>
    </device>
    <gui enabled="true" tls="false">
        <address>127.0.0.1:%[5]d</address>
        <apikey>%[6]s</apikey>
    </gui>
    <options>
        <listenAddress>tcp://127.0.0.1:%[7]d</listenAddress>
        <globalAnnounceEnabled>false</globalAnnounceEnabled>
        <localAnnounceEnabled>false</localAnnounceEnabled>
        <relaysEnabled>false</relaysEnabled>
        <natEnabled>false</natEnabled>
        <startBrowser>false</startBrowser>
        <urAccepted>-1</urAccepted>
        <autoUpgradeIntervalH>0</autoUpgradeIntervalH>
        <crashReportingEnabled>false</crashReportingEnabled>
        <reconnectionIntervalS>1</reconnectionIntervalS>
        <setLowPriority>false</setLowPriority>
        <minHomeDiskFree unit="%%">0</minHomeDiskFree>
    </options>
</configuration>
`, s.folder, s.id, peer.id, peer.listen, s.gui, s.apikey, s.listen)
	if err := os.WriteFile(filepath.Join(s.home, "config", "config.xml"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
}

// start runs the instance until the test ends; its log is shown if the test fails.
func (s *syncthing) start(t *testing.T) {
	t.Helper()
	var err error
	if s.log, err = os.Create(filepath.Join(s.home, "syncthing.log")); err != nil {
		t.Fatal(err)
	}
	c := s.cmd("serve", "--no-browser", "--no-restart", "--no-upgrade", "--logflags=2")
	c.Stdout, c.Stderr = s.log, s.log
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = c.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = c.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = c.Process.Kill()
			<-done
		}
		s.log.Close()
		if t.Failed() {
			b, _ := os.ReadFile(s.log.Name())
			t.Logf("syncthing %s's log:\n%s", filepath.Base(s.home), b)
		}
	})
	eventually(t, 20*time.Second, "syncthing's REST API", func() bool {
		_, err := s.request("GET", "/rest/system/ping")
		return err == nil
	})
}

func (s *syncthing) request(method, path string) ([]byte, error) {
	req, err := http.NewRequest(method, fmt.Sprintf("http://127.0.0.1:%d%s", s.gui, path), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("X-API-Key", s.apikey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s %s: %s %s", method, path, resp.Status, body)
	}
	return body, err
}

func (s *syncthing) post(t *testing.T, path string) {
	t.Helper()
	if _, err := s.request("POST", path); err != nil {
		t.Fatal(err)
	}
}

// waitConnected waits until the instance is connected to peer, or not.
func (s *syncthing) waitConnected(t *testing.T, peer *syncthing, want bool) {
	t.Helper()
	eventually(t, 20*time.Second, fmt.Sprintf("syncthing %s connected to %s: %v", filepath.Base(s.home), filepath.Base(peer.home), want), func() bool {
		body, err := s.request("GET", "/rest/system/connections")
		if err != nil {
			return false
		}
		var c struct {
			Connections map[string]struct{ Connected bool }
		}
		if json.Unmarshal(body, &c) != nil {
			return false
		}
		return c.Connections[peer.id].Connected == want
	})
}
