// Package single keeps one Ward window per vault: a second start hands its
// arguments (the otpauth links a browser opens with Ward, or none, to raise the
// window) to the window already running, and exits.
//
// # Design
//
// The running window listens on a unix socket in the user's runtime directory
// ($XDG_RUNTIME_DIR, or a 0700 folder under the temporary directory named for the
// uid), never on a TCP port: only the user's own processes reach it. The socket is
// named for the vault, so windows on two vaults are two instances. Defences in
// depth, since the socket is a way into a window that holds secrets:
//
//   - the socket file is 0600 and its folder is the user's (0700);
//   - each connection's peer must be the same uid (SO_PEERCRED on Linux);
//   - a message is capped (MaxMessage) and a connection has a deadline (Timeout),
//     so a stuck or hostile peer costs the window little;
//   - the window shows what arrives and asks before it changes anything (that is
//     the caller's rule: nothing received here is acted on silently).
//
// The protocol is one JSON message per connection: the client writes
// {"args":[...]} and closes its side for writing; the server answers one line,
// "ok" or a sentence saying why it refused. A socket file left by a crashed window
// (nobody answers a connection) is replaced by the next Listen; starts at the same
// moment take turns on a lock file beside it (flock), which stays.
package single

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// MaxMessage is the most a message may hold: far more than a Google
// Authenticator transfer link with dozens of accounts (a few kilobytes).
const MaxMessage = 64 << 10

// Timeout bounds one hand-over, on both sides.
const Timeout = 3 * time.Second

var (
	// ErrNoInstance is Send's error when no window listens on the socket.
	ErrNoInstance = errors.New("no Ward window is running")
	// ErrRunning is Listen's error when another window already listens.
	ErrRunning = errors.New("a Ward window is already running")
)

// Path is the socket of the window on the vault at vaultPath:
// $XDG_RUNTIME_DIR/ward-HASH.sock, or, without a runtime directory, the same name in
// a 0700 folder ward-UID under the temporary directory (created if missing; refused
// if someone else owns it or others may enter it).
func Path(getenv func(string) string, vaultPath string) (string, error) {
	abs, err := filepath.Abs(vaultPath)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(abs))
	name := "ward-" + hex.EncodeToString(sum[:6]) + ".sock"
	if dir := getenv("XDG_RUNTIME_DIR"); dir != "" && filepath.IsAbs(dir) {
		if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
			return filepath.Join(dir, name), nil
		}
	}
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("ward-%d", os.Getuid()))
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return "", fmt.Errorf("the folder for Ward's socket: %w", err)
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return "", fmt.Errorf("the folder for Ward's socket: %w", err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !fi.IsDir() || fi.Mode().Perm()&0o077 != 0 || (ok && int(st.Uid) != os.Getuid()) {
		return "", fmt.Errorf("%s is not a private folder of this user: Ward will not put its socket there", dir)
	}
	return filepath.Join(dir, name), nil
}

type message struct {
	Args []string `json:"args"`
}

// Send hands args to the window listening at path and waits for its answer. It
// returns ErrNoInstance when none listens (no socket, or one left by a crash).
func Send(path string, args []string) error {
	conn, err := net.DialTimeout("unix", path, Timeout)
	if err != nil {
		if errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ECONNREFUSED) {
			return ErrNoInstance
		}
		return fmt.Errorf("reaching the running Ward: %w", err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(Timeout))
	if args == nil {
		args = []string{}
	}
	b, err := json.Marshal(message{Args: args})
	if err != nil {
		return err
	}
	if len(b) > MaxMessage {
		return fmt.Errorf("the arguments are too long to hand to the running Ward (%d bytes, at most %d)", len(b), MaxMessage)
	}
	_, werr := conn.Write(b) // on an error, the window may have said why: read on
	conn.(*net.UnixConn).CloseWrite()
	line, err := bufio.NewReader(io.LimitReader(conn, 512)).ReadString('\n')
	switch {
	case err != nil && werr != nil:
		return fmt.Errorf("handing over to the running Ward: %w", werr)
	case err != nil:
		return fmt.Errorf("the running Ward did not answer: %w", err)
	}
	if line = strings.TrimSpace(line); line != "ok" {
		return fmt.Errorf("the running Ward refused: %s", line)
	}
	return nil
}

// Listener is the running window's end of the socket.
type Listener struct {
	path string
	ln   *net.UnixListener
	uid  int // the peers' required uid; a field so tests can require another

	closeOnce sync.Once
}

// Listen makes this process the window on path. A socket file nobody answers on
// (a crashed window's) is replaced; one that answers is ErrRunning. Starts at the
// same moment take turns on a lock file beside the socket (path + ".lock"), so that
// one cannot remove the socket another has just made.
func Listen(path string) (*Listener, error) {
	lock, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("listening for other starts of Ward: %w", err)
	}
	defer lock.Close() // and so unlocked
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return nil, fmt.Errorf("listening for other starts of Ward: %w", err)
	}
	ln, err := listen(path)
	if errors.Is(err, syscall.EADDRINUSE) {
		if c, derr := net.DialTimeout("unix", path, Timeout); derr == nil {
			c.Close()
			return nil, ErrRunning
		}
		if rerr := os.Remove(path); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
			return nil, fmt.Errorf("removing the stale socket: %w", rerr)
		}
		ln, err = listen(path)
	}
	if err != nil {
		return nil, fmt.Errorf("listening for other starts of Ward: %w", err)
	}
	return &Listener{path: path, ln: ln, uid: os.Getuid()}, nil
}

func listen(path string) (*net.UnixListener, error) {
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, err
	}
	return ln, nil
}

// Path is the socket's path.
func (l *Listener) Path() string { return l.path }

// Serve answers connections until Close, one at a time, calling handle with the
// arguments of each accepted message. handle must return quickly (hand the work
// to the UI thread).
func (l *Listener) Serve(handle func(args []string)) error {
	for {
		conn, err := l.ln.AcceptUnix()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			return err
		}
		l.serve(conn, handle)
	}
}

func (l *Listener) serve(conn *net.UnixConn, handle func([]string)) {
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(Timeout))
	answer := func(s string) { io.WriteString(conn, s+"\n") }
	uid, err := peerUID(conn)
	if err != nil || uid != l.uid {
		answer("another user's process may not hand links to this Ward")
		return
	}
	b, err := io.ReadAll(io.LimitReader(conn, MaxMessage+1))
	switch {
	case err != nil:
		answer("the message did not arrive whole")
		return
	case len(b) > MaxMessage:
		answer(fmt.Sprintf("the message is larger than %d bytes", MaxMessage))
		return
	}
	var m message
	if err := json.Unmarshal(b, &m); err != nil {
		answer("the message is not one Ward sends")
		return
	}
	handle(m.Args)
	answer("ok")
}

// Close stops listening and removes the socket file.
func (l *Listener) Close() error {
	var err error
	l.closeOnce.Do(func() { err = l.ln.Close() }) // a UnixListener unlinks its file on Close
	return err
}
