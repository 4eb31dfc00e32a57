package replica

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/wardauth/ward/vault"
)

// watch runs m's watcher until the test ends and returns the channel it tells.
func watch(t *testing.T, m *machine) <-chan struct{} {
	t.Helper()
	told := make(chan struct{}, 1)
	ready := make(chan struct{})
	watching = func() { close(ready) }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- m.r.Watch(ctx, func() {
			select {
			case told <- struct{}{}:
			default: // told already, not read yet
			}
		})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != context.Canceled {
			t.Errorf("Watch returned %v", err)
		}
		watching = nil
	})
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("Watch: %v", err)
	}
	return told
}

// waitTold waits for the watcher to tell of a change and returns how long it took.
func waitTold(t *testing.T, told <-chan struct{}, what string) time.Duration {
	t.Helper()
	start := time.Now()
	select {
	case <-told:
		return time.Since(start)
	case <-time.After(5 * time.Second):
		t.Fatalf("the watcher did not tell of %s within 5 s", what)
		return 0
	}
}

// quiet checks that the watcher tells nothing for a while.
func quiet(t *testing.T, told <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-told:
		t.Fatalf("the watcher told of %s", what)
	case <-time.After(3 * watchQuiet):
	}
}

// The window learns from Watch when another machine wrote to the folder, when the
// folder goes (a USB stick pulled out) and when it comes back; its own saves do
// not wake it. Events only here: the rescan is set beyond the test's length.
func TestWatch(t *testing.T) {
	defer func(r time.Duration) { watchRescan = r }(watchRescan)
	watchRescan = time.Hour
	folder := filepath.Join(t.TempDir(), "stick")
	a := first(t, folder, linkGitHub)
	b := join(t, folder, "b")
	told := watch(t, b)

	b.edit("GitHub", func(x *vault.Account) { x.Note = "b's own" })
	quiet(t, told, "b's own save")

	a.add(a.v(), linkSPDX)
	took := waitTold(t, told, "a's addition")
	t.Logf("a's addition told to b's window after %v", took)
	b.sync()
	if got := issuers(b); !slices.Equal(got, []string{"GitHub", "SPDX"}) {
		t.Fatalf("b after the watcher told: %v", got)
	}

	// A sync engine's way: a temporary file renamed into place, told once.
	a.edit("SPDX", func(x *vault.Account) { x.Name = "via rename" })
	name := ownLog(a)
	data := readLog(t, folder, name)
	waitTold(t, told, "a's edit")
	tmp := filepath.Join(folder, DirName, ".syncthing."+name+".tmp")
	if err := os.WriteFile(tmp, append(data, 0), 0o600); err != nil {
		t.Fatal(err)
	}
	quiet(t, told, "a sync engine's temporary file")
	if err := os.Rename(tmp, filepath.Join(folder, DirName, "copy.sync-conflict-20270301-090000-ABCDEFG.log")); err != nil {
		t.Fatal(err)
	}
	waitTold(t, told, "a conflict copy renamed into place")
	quiet(t, told, "the rename a second time")

	// Unplugged: told, and Sync says so; plugged in again with a's changes made
	// meanwhile on a's copy of the folder: told.
	if err := os.Rename(folder, folder+".out"); err != nil {
		t.Fatal(err)
	}
	waitTold(t, told, "the folder gone")
	b.sync()
	if b.r.Status().Problem == "" {
		t.Fatal("no word of the folder gone")
	}
	if err := os.Rename(folder+".out", folder); err != nil {
		t.Fatal(err)
	}
	waitTold(t, told, "the folder back")
	a.add(a.v(), linkHOTP)
	waitTold(t, told, "a's addition once the folder is back")
	b.sync()
	same(t, a, b)
	if b.r.Status().Problem != "" {
		t.Fatalf("b once back: %q", b.r.Status().Problem)
	}
}

// On a file system that sends no events (a network one), the listing compared
// every watchRescan tells, of a folder that was not there at the start too.
func TestWatchRescan(t *testing.T) {
	defer func(r time.Duration) { watchRescan, watchNoEvents = r, false }(watchRescan)
	watchRescan, watchNoEvents = 100*time.Millisecond, true
	folder := filepath.Join(t.TempDir(), "stick")
	a := first(t, folder, linkGitHub)
	b := join(t, folder, "b")
	if err := os.Rename(folder, folder+".out"); err != nil {
		t.Fatal(err)
	}
	told := watch(t, b)
	if err := os.Rename(folder+".out", folder); err != nil {
		t.Fatal(err)
	}
	waitTold(t, told, "the folder come")
	b.sync()
	a.add(a.v(), linkSPDX)
	waitTold(t, told, "a's addition")
	b.sync()
	same(t, a, b)
}
