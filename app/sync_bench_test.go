package app

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/wardauth/ward/vault"
	"github.com/wardauth/ward/vault/replica"
)

// BenchmarkSyncIntoWindow: another machine changed one account of a 1,000-account
// vault kept in sync; the open window's next look at the folder merges it (the
// listing, the log read, the vault saved, the list reloaded) and draws the next
// frame. Target (issue 16): under 100 ms.
func BenchmarkSyncIntoWindow(b *testing.B) {
	test.NewTempApp(b)
	path, kr := bigVault(b, 1000)
	folder := filepath.Join(b.TempDir(), "Sync")
	now := time.Now()
	clock := func() time.Time { return now }
	v, err := vault.Open(path, kr)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := replica.Enable(v, folder, replica.Options{Label: "laptop", Now: clock}); err != nil {
		b.Fatal(err)
	}
	desk, _, err := replica.Join(filepath.Join(b.TempDir(), "desk.ward"), folder, pass, replica.Options{Label: "desk", Now: clock})
	if err != nil {
		b.Fatal(err)
	}
	w := test.NewWindow(nil)
	defer w.Close()
	u := New(w, Config{Path: path, Now: clock, NoWatcher: true, Open: func() (*vault.Vault, error) { return vault.Open(path, kr) }})
	u.set.autoLock = 0
	w.SetContent(u.Content())
	w.Resize(fyne.NewSize(440, 560))
	if u.sync.replica == nil || len(u.codes.all) != 1000 {
		b.Fatalf("the window is not kept in sync: %v, %d accounts", u.sync.replica, len(u.codes.all))
	}
	n := 0
	for b.Loop() {
		b.StopTimer()
		n++
		note := fmt.Sprintf("changed on the desk %d", n)
		if err := desk.Update(func(d *vault.Doc) error { d.Accounts[0].Note = note; return nil }); err != nil {
			b.Fatal(err)
		}
		now = now.Add(syncPoll)
		b.StartTimer()
		u.Tick(now)
		w.Canvas().Capture()
		b.StopTimer()
		if a := u.vault.Accounts(); a[0].Note != note {
			b.Fatalf("not merged: %q", a[0].Note)
		}
		b.StartTimer()
	}
}
