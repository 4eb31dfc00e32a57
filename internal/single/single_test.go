package single

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// serve starts a listener on a fresh socket and returns it with the messages its
// handler receives.
func serve(t testing.TB, change ...func(*Listener)) (*Listener, chan []string) {
	t.Helper()
	l, err := Listen(filepath.Join(t.TempDir(), "ward.sock"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range change {
		f(l)
	}
	got := make(chan []string, 16)
	done := make(chan error, 1)
	go func() { done <- l.Serve(func(args []string) { got <- args }) }()
	t.Cleanup(func() {
		l.Close()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return l, got
}

func received(t *testing.T, got chan []string) []string {
	t.Helper()
	select {
	case args := <-got:
		return args
	case <-time.After(5 * time.Second):
		t.Fatal("nothing received")
		return nil
	}
}

func nothingReceived(t *testing.T, got chan []string) {
	t.Helper()
	select {
	case args := <-got:
		t.Fatalf("received %q", args)
	default:
	}
}

// A second start's links reach the running window whole, in order; a start with
// no link hands over an empty list (raise the window).
func TestHandOver(t *testing.T) {
	l, got := serve(t)
	links := []string{"otpauth://totp/GitHub:alice?secret=JBSWY3DPEHPK3PXP&issuer=GitHub", "otpauth-migration://offline?data=CiAK"}
	if err := Send(l.Path(), links); err != nil {
		t.Fatal(err)
	}
	if args := received(t, got); !slices.Equal(args, links) {
		t.Fatalf("received %q", args)
	}
	if err := Send(l.Path(), nil); err != nil {
		t.Fatal(err)
	}
	if args := received(t, got); args == nil || len(args) != 0 {
		t.Fatalf("a plain start handed over %q", args)
	}
	fi, err := os.Stat(l.Path())
	if err != nil || fi.Mode().Perm() != 0o600 || fi.Mode().Type() != os.ModeSocket {
		t.Fatalf("socket file: %v, %v", fi.Mode(), err)
	}
}

// With no window, Send says so (no socket file, or a crashed window's); a second
// Listen on a live socket is refused; Close removes the file.
func TestNoInstance(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ward.sock")
	if err := Send(path, nil); !errors.Is(err, ErrNoInstance) {
		t.Fatalf("no socket: %v", err)
	}
	l, err := Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Listen(path); !errors.Is(err, ErrRunning) {
		t.Fatalf("a second Listen: %v", err)
	}
	l.Close()
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the socket file is left after Close: %v", err)
	}
}

// A crash leaves the socket file with nobody behind it: a start then finds no
// window, and its Listen replaces the file and receives the next hand-over.
func TestStaleSocketReplaced(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ward.sock")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ln.SetUnlinkOnClose(false)
	ln.Close() // the crashed window
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("no stale file to test with: %v", err)
	}
	if err := Send(path, nil); !errors.Is(err, ErrNoInstance) {
		t.Fatalf("stale socket: %v", err)
	}
	l, err := Listen(path)
	if err != nil {
		t.Fatalf("Listen over a stale socket: %v", err)
	}
	got := make(chan []string, 1)
	go l.Serve(func(args []string) { got <- args })
	defer l.Close()
	if err := Send(path, []string{"otpauth://totp/x?secret=MFRGGZDF"}); err != nil {
		t.Fatal(err)
	}
	if args := received(t, got); len(args) != 1 {
		t.Fatalf("received %q", args)
	}
}

// A peer of another uid is refused before its message is read. (The test cannot
// change its own uid, so the listener is told to require another one.)
func TestOtherUserRefused(t *testing.T) {
	l, got := serve(t, func(l *Listener) { l.uid = os.Getuid() + 1 })
	err := Send(l.Path(), []string{"otpauth://totp/x?secret=MFRGGZDF"})
	if err == nil || !strings.Contains(err.Error(), "another user's process") {
		t.Fatalf("Send as another user: %v", err)
	}
	nothingReceived(t, got)
}

// What a well-behaved Ward never sends is refused with a sentence and never
// handled: more than MaxMessage, or not the message; the listener serves the next
// start as before.
func TestHostilePeers(t *testing.T) {
	l, got := serve(t)
	talk := func(body []byte) string {
		conn, err := net.Dial("unix", l.Path())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		go func() {
			conn.Write(body) // the server may stop reading: errors are expected
			conn.(*net.UnixConn).CloseWrite()
		}()
		conn.SetDeadline(time.Now().Add(5 * time.Second))
		answer, _ := io.ReadAll(conn)
		return strings.TrimSpace(string(answer))
	}
	huge := append([]byte(`{"args":["`), bytes.Repeat([]byte("A"), 4*MaxMessage)...)
	huge = append(huge, `"]}`...)
	if a := talk(huge); a != "the message is larger than 65536 bytes" {
		t.Fatalf("oversized message answered %q", a)
	}
	justOver := append([]byte(`{"args":["`), bytes.Repeat([]byte("A"), MaxMessage)...)
	if a := talk(justOver); a != "the message is larger than 65536 bytes" {
		t.Fatalf("a message one byte over answered %q", a)
	}
	for _, body := range []string{"", "otpauth://totp/x?secret=MFRGGZDF", `{"args":"x"}`, `[1,2]`} {
		if a := talk([]byte(body)); a != "the message is not one Ward sends" {
			t.Fatalf("%q answered %q", body, a)
		}
	}
	nothingReceived(t, got)
	if err := Send(l.Path(), []string{"otpauth://totp/x?secret=MFRGGZDF"}); err != nil {
		t.Fatalf("after the hostile peers: %v", err)
	}
	received(t, got)
	// Send itself refuses to send what the window would refuse.
	if err := Send(l.Path(), []string{strings.Repeat("A", MaxMessage)}); err == nil || !strings.Contains(err.Error(), "too long") {
		t.Fatalf("an oversized Send: %v", err)
	}
}

// The socket lives in $XDG_RUNTIME_DIR, named for the vault; without one, in a
// private folder of the uid under the temporary directory, which must stay private.
func TestPath(t *testing.T) {
	run := t.TempDir()
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	a, err := Path(env(map[string]string{"XDG_RUNTIME_DIR": run}), "/home/a/vault.ward")
	if err != nil || filepath.Dir(a) != run || !strings.HasPrefix(filepath.Base(a), "ward-") {
		t.Fatalf("Path = %q, %v", a, err)
	}
	b, _ := Path(env(map[string]string{"XDG_RUNTIME_DIR": run}), "/home/a/other.ward")
	if a == b {
		t.Fatalf("two vaults share the socket %s", a)
	}
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	p, err := Path(env(nil), "/home/a/vault.ward")
	want := filepath.Join(tmp, "ward-"+itoa(os.Getuid()))
	if err != nil || filepath.Dir(p) != want {
		t.Fatalf("without XDG_RUNTIME_DIR: %q, %v", p, err)
	}
	if fi, err := os.Stat(want); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("the folder: %v, %v", fi.Mode(), err)
	}
	os.Chmod(want, 0o755)
	if _, err := Path(env(nil), "/home/a/vault.ward"); err == nil || !strings.Contains(err.Error(), "not a private folder") {
		t.Fatalf("a folder others may enter: %v", err)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// BenchmarkHandOver: one start handing a link to the running window, from dial to
// the window's "ok" (the target: under 100 ms).
func BenchmarkHandOver(b *testing.B) {
	l, got := serve(b)
	link := []string{"otpauth://totp/GitHub:alice?secret=JBSWY3DPEHPK3PXP&issuer=GitHub"}
	for b.Loop() {
		if err := Send(l.Path(), link); err != nil {
			b.Fatal(err)
		}
		<-got
	}
}

// Starts at the same moment over a crashed window's socket: exactly one becomes
// the window, the others find it running, and it receives what they send.
func TestSimultaneousStarts(t *testing.T) {
	for round := range 20 {
		path := filepath.Join(t.TempDir(), "ward.sock")
		ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
		if err != nil {
			t.Fatal(err)
		}
		ln.SetUnlinkOnClose(false)
		ln.Close()
		const starts = 4
		results := make(chan *Listener, starts)
		errs := make(chan error, starts)
		for range starts {
			go func() {
				l, err := Listen(path)
				if err != nil {
					errs <- err
					return
				}
				results <- l
			}()
		}
		var windows []*Listener
		for range starts {
			select {
			case l := <-results:
				windows = append(windows, l)
			case err := <-errs:
				if !errors.Is(err, ErrRunning) {
					t.Fatalf("round %d: %v", round, err)
				}
			}
		}
		if len(windows) != 1 {
			t.Fatalf("round %d: %d windows", round, len(windows))
		}
		got := make(chan []string, 1)
		go windows[0].Serve(func(args []string) { got <- args })
		if err := Send(path, []string{"x"}); err != nil {
			t.Fatalf("round %d: the window's socket was lost: %v", round, err)
		}
		received(t, got)
		windows[0].Close()
	}
}
