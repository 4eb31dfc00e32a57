package replica

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
)

// The watcher's timings; variables for the tests.
var (
	// watchQuiet: a burst of events (a sync engine writing a file in pieces,
	// renaming its temporary file) is told once it has been quiet this long...
	watchQuiet = 150 * time.Millisecond
	// watchMaxDelay: ... or this long after its first event, whichever comes
	// first, so that a steady stream of writes is still merged as it goes.
	watchMaxDelay = time.Second
	// watchRescan: how often the folder's listing is compared with the last one
	// told, whatever the events: network file systems (SMB, NFS, sshfs, some
	// FUSE mounts of cloud drives) send none, and a folder that is not there
	// (a USB stick unplugged) is looked for again.
	watchRescan = 10 * time.Second
	// watching, when set (by the tests), is called once Watch watches.
	watching func()
	// watchNoEvents drops the kernel's events, as on a network file system (a
	// test's).
	watchNoEvents bool
)

// Watch tells fn when the other machines' change logs in the folder have changed,
// until ctx is done: a file written, grown, renamed into place or removed, the
// folder gone or back (the USB stick plugged in again). It blocks: run it on its
// own goroutine. It returns ctx's error once ctx is done, or at once the error of
// a file watcher that cannot start (too many inotify watches, say): the caller
// then looks at the folder on its own from time to time (Sync is cheap when
// nothing changed).
//
// Watch does not merge: fn is called on Watch's goroutine, and it is the caller's
// to call Sync where it makes the vault's other calls (a *vault.Vault is not safe
// for concurrent use). The window does, on its UI thread:
//
//	go r.Watch(ctx, func() { fyne.Do(u.mergeSync) }) // mergeSync calls r.Sync()
//
// What changed before Watch started is not told: a caller that synced before
// starting it (as Attach does) has seen it, or syncs once more after.
//
// Bursts of events are told once (after watchQuiet without another, at most
// watchMaxDelay after the first). This machine's own log is left out, so a save
// does not wake its own window; conflict copies of it are not (another machine
// wrote them). The listing (names, sizes, times) is also compared every
// watchRescan, for file systems that send no events and for a folder that is not
// there: fn is told when it differs from the one last told. The user's folder and
// its parent are watched too (a folder renamed or unmounted says so in its
// parent), and while the folder is not there, its nearest existing parent, so
// that it is seen at once when it comes back.
func (r *Replica) Watch(ctx context.Context, fn func()) error {
	// The folder and this machine's ID, which never change while sync is on, from
	// the last step's record (under r.mu, which every step holds): reading the
	// vault's own state here would race with the caller's calls on its goroutine.
	r.mu.Lock()
	var folder, machine string
	if r.loc != nil {
		folder, machine = r.loc.folder, r.loc.machine
	}
	r.mu.Unlock()
	if folder == "" {
		return errors.New("sync: Watch before the replica's first step")
	}
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watching the sync folder: %w", err)
	}
	defer w.Close()
	fw := &folderWatch{w: w, folder: folder, dir: filepath.Join(folder, DirName),
		own: regexp.MustCompile(`^` + regexp.QuoteMeta(machine) + `-[0-9]+\.log$`)}
	fw.arm()
	told := fw.stamp()
	if watching != nil {
		watching()
	}

	var timer <-chan time.Time
	var first time.Time
	rescan := time.NewTicker(watchRescan)
	defer rescan.Stop()
	tell := func() {
		timer, first = nil, time.Time{}
		if s := fw.stamp(); s != told {
			told = s
			fn()
		}
	}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case e, ok := <-w.Events:
			if !ok {
				return nil
			}
			if watchNoEvents || !fw.matters(e) {
				continue
			}
			fw.arm()
			now := time.Now()
			if first.IsZero() {
				first = now
			}
			timer = time.After(min(watchQuiet, max(0, watchMaxDelay-now.Sub(first))))
		case _, ok := <-w.Errors:
			if !ok {
				return nil
			}
			// An overflow of the kernel's queue: the listing says what changed.
			fw.arm()
			tell()
		case <-timer:
			tell()
		case <-rescan.C:
			fw.arm()
			tell()
		}
	}
}

// folderWatch is what Watch watches: the ward-sync folder, the user's folder
// and its parent when they are there (a folder renamed or unmounted is told by
// its parent), else the nearest of them that is.
type folderWatch struct {
	w           *fsnotify.Watcher
	folder, dir string
	own         *regexp.Regexp  // this machine's log names
	on          map[string]bool // the paths watched now
}

// arm watches the paths there are of the ward-sync folder, the user's folder and
// its parent, or the nearest existing parent; again after one came or went.
func (fw *folderWatch) arm() {
	top := filepath.Dir(fw.folder)
	want := map[string]bool{}
	for p := fw.dir; ; p = filepath.Dir(p) {
		info, err := os.Stat(p)
		there := err == nil && info.IsDir()
		if there {
			want[p] = true
		}
		if there && len(p) <= len(top) || p == filepath.Dir(p) {
			break // the parent of the user's folder, or the nearest above it
		}
	}
	if fw.on == nil {
		fw.on = map[string]bool{}
	}
	for p := range fw.on {
		if !want[p] {
			_ = fw.w.Remove(p) // gone already when it was removed
			delete(fw.on, p)
		}
	}
	for p := range want {
		if !fw.on[p] && fw.w.Add(p) == nil {
			fw.on[p] = true
		}
	}
}

// matters says whether an event may change what Sync reads: a log in ward-sync
// (not this machine's own, not a temporary file), or a change on the way down to
// ward-sync; not the other files of the user's folder.
func (fw *folderWatch) matters(e fsnotify.Event) bool {
	if e.Op == fsnotify.Chmod {
		return false
	}
	if filepath.Dir(e.Name) == fw.dir {
		base := filepath.Base(e.Name)
		return !strings.HasPrefix(base, ".") && !strings.HasSuffix(base, ".tmp") && !fw.own.MatchString(base)
	}
	return e.Name == fw.dir || strings.HasPrefix(fw.dir, e.Name+string(filepath.Separator))
}

// stamp sums the folder's listing as Sync reads it (its own log left out); "" when
// the folder is not there.
func (fw *folderWatch) stamp() string {
	entries, err := os.ReadDir(fw.dir)
	if err != nil {
		return ""
	}
	h := fnv.New64a()
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".tmp") || fw.own.MatchString(name) {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		fmt.Fprintf(h, "%s\x00%d\x00%d\n", name, info.Size(), info.ModTime().UnixNano())
	}
	return fmt.Sprintf("there %x", h.Sum64())
}
