package quietapp

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"github.com/godbus/dbus/v5"
)

// The wrapped application never animates, and offers a tray only where HasTray
// says the desktop has one.
func TestWrap(t *testing.T) {
	a := test.NewApp()
	w := Wrap(a)
	if w.Settings().ShowAnimations() {
		t.Fatal("the wrapped application animates")
	}
	if w.Settings().Theme() != a.Settings().Theme() {
		t.Fatal("the settings are not the application's")
	}
	if _, tray := w.(desktop.App); tray {
		t.Fatal("a tray from an application that has none")
	}
}

// HasTray on real session buses: none at all, one without a tray host, and one
// where a process owns the StatusNotifierWatcher name.
func TestHasTray(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
	if HasTray() {
		t.Fatal("a tray without a session bus")
	}
	if _, err := exec.LookPath("dbus-daemon"); err != nil {
		if os.Getenv("WARD_TEST_ALL") != "" {
			t.Fatal("dbus-daemon is not installed")
		}
		t.Skip("dbus-daemon is not installed")
	}
	// A bus with no services to activate: the session's usual configuration would
	// start the real ones installed on the machine.
	conf := filepath.Join(t.TempDir(), "bus.conf")
	os.WriteFile(conf, []byte(busConfig), 0o600)
	daemon := exec.Command("dbus-daemon", "--config-file="+conf, "--nofork", "--print-address")
	out, err := daemon.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := daemon.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { daemon.Process.Kill(); daemon.Wait() }()
	buf := make([]byte, 512)
	n, err := out.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	addr := string(buf[:n])
	for len(addr) > 0 && (addr[len(addr)-1] == '\n') {
		addr = addr[:len(addr)-1]
	}
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", addr)
	if HasTray() {
		t.Fatal("a tray on a bus without a tray host")
	}
	host, err := dbus.ConnectSessionBus()
	if err != nil {
		t.Fatal(err)
	}
	defer host.Close()
	if reply, err := host.RequestName(watcher, 0); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("owning %s: %v %v", watcher, reply, err)
	}
	if !HasTray() {
		t.Fatal("no tray on a bus where the watcher's name is owned")
	}
}

// busConfig is a session bus that lets everyone talk and own names, and has no
// service directories.
const busConfig = `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:tmpdir=/tmp</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`
