package colorscheme

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// portal is a desktop portal's Settings interface with one setting: the colour
// scheme. Old portals (before 1.18) have Read only, newer ones ReadOne too.
type portal struct {
	scheme uint32
	old    bool
}

func (p *portal) Read(ns, k string) (dbus.Variant, *dbus.Error) {
	if ns != namespace || k != key {
		return dbus.Variant{}, dbus.NewError("org.freedesktop.portal.Error.NotFound", nil)
	}
	return dbus.MakeVariant(dbus.MakeVariant(p.scheme)), nil
}

type newPortal struct{ *portal }

func (p newPortal) ReadOne(ns, k string) (dbus.Variant, *dbus.Error) {
	if ns != namespace || k != key {
		return dbus.Variant{}, dbus.NewError("org.freedesktop.portal.Error.NotFound", nil)
	}
	return dbus.MakeVariant(p.scheme), nil
}

// bus starts a session bus of its own and points the test's environment at it.
func bus(t *testing.T) {
	t.Helper()
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
	d := exec.Command("dbus-daemon", "--config-file="+conf, "--nofork", "--print-address")
	out, _ := d.StdoutPipe()
	if err := d.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Process.Kill(); d.Wait() })
	addr, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", strings.TrimSpace(addr))
}

// serve puts p on the bus as the portal.
func serve(t *testing.T, p *portal) *dbus.Conn {
	t.Helper()
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	var obj any = newPortal{p}
	if p.old {
		obj = p
	}
	if err := conn.Export(obj, path, iface); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.RequestName(dest, 0); err != nil {
		t.Fatal(err)
	}
	return conn
}

func next(t *testing.T, got chan bool) bool {
	t.Helper()
	select {
	case d := <-got:
		return d
	case <-time.After(5 * time.Second):
		t.Fatal("no answer from Watch in 5 s")
		return false
	}
}

// Watch reads the scheme from an old portal (Read only) and a new one (ReadOne),
// then follows the portal's SettingChanged signals.
func TestWatch(t *testing.T) {
	for _, old := range []bool{true, false} {
		t.Run(map[bool]string{true: "portal 1.16, Read only", false: "ReadOne"}[old], func(t *testing.T) {
			bus(t)
			p := &portal{scheme: preferDark, old: old}
			conn := serve(t, p)
			got := make(chan bool, 4)
			stop := Watch(func(dark bool) { got <- dark })
			defer stop()
			if !next(t, got) {
				t.Fatal("a dark preference read as light")
			}
			for _, v := range []uint32{2, 1, 0} {
				p.scheme = v
				conn.Emit(path, iface+".SettingChanged", namespace, key, dbus.MakeVariant(v))
				if dark := next(t, got); dark != (v == preferDark) {
					t.Fatalf("scheme %d read as dark %v", v, dark)
				}
			}
			// Another setting changing says nothing.
			conn.Emit(path, iface+".SettingChanged", namespace, "accent-color", dbus.MakeVariant(uint32(1)))
			select {
			case d := <-got:
				t.Fatalf("an accent colour change was read as a scheme (dark %v)", d)
			case <-time.After(200 * time.Millisecond):
			}
		})
	}
}

// No portal, or no session bus: Watch never calls back.
func TestWatchWithoutPortal(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
	got := make(chan bool, 1)
	stop := Watch(func(dark bool) { got <- dark })
	defer stop()
	bus(t)
	stop2 := Watch(func(dark bool) { got <- dark })
	defer stop2()
	select {
	case d := <-got:
		t.Fatalf("an answer without a portal: dark %v", d)
	case <-time.After(500 * time.Millisecond):
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
