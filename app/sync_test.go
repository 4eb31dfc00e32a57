package app

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/wardauth/ward/vault"
	"github.com/wardauth/ward/vault/replica"
)

func issuers(as []vault.Account) []string {
	var out []string
	for _, a := range as {
		out = append(out, a.Issuer+"/"+a.Name)
	}
	return out
}

// Settings' "Keep in sync through a folder" on one machine (the window), a second
// machine joined from the folder: its changes appear in the open window at the
// next look at the folder; the status names it and when; the folder gone is said;
// a value lost to changes made on both at once is shown once.
func TestSyncInWindow(t *testing.T) {
	e := newEnv(t, linkGH)
	e.now = time.Now()
	e.open(e.kr)
	e.ui.set.autoLock = 0
	u := e.ui
	folder := filepath.Join(t.TempDir(), "Sync")
	u.codes.syncSettings()
	f := u.sync.form
	if f.Folder.Text != "off" || !f.Off.Disabled() {
		t.Fatalf("sync before it is on: %q", f.Folder.Text)
	}
	u.enableSync(folder)
	if u.sync.replica == nil || f.Folder.Text != folder || !strings.Contains(f.Status.Text, "No other computer seen yet.") {
		t.Fatalf("sync on: %q %q", f.Folder.Text, f.Status.Text)
	}

	// The desk joins and adds an account; the window shows it at its next look.
	deskNow := e.now
	desk, deskR, err := replica.Join(filepath.Join(t.TempDir(), "desk.ward"), folder, pass,
		replica.Options{Label: "desk", Now: func() time.Time { return deskNow }})
	if err != nil {
		t.Fatal(err)
	}
	err = desk.Update(func(d *vault.Doc) error {
		a, _ := vault.ParseURI(linkSPDX)
		_, _, err := d.Add(a, deskNow)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	e.now = e.now.Add(time.Second)
	u.Tick(e.now) // within syncPoll of the last look: nothing read
	if slices.Contains(issuers(u.codes.all), "SPDX/James") {
		t.Fatal("merged before the poll")
	}
	e.now = e.now.Add(syncPoll)
	u.Tick(e.now)
	if !slices.Contains(issuers(u.codes.all), "SPDX/James") {
		t.Fatalf("the desk's account is not in the window: %v", issuers(u.codes.all))
	}
	if !strings.Contains(f.Status.Text, "desk: last change ") {
		t.Errorf("the status does not name the desk: %q", f.Status.Text)
	}

	// Hidden, the window does not look.
	u.sync.hidden = true
	desk.Update(func(d *vault.Doc) error { d.Accounts[0].Note = "seen later"; return nil })
	e.now = e.now.Add(syncPoll)
	u.Tick(e.now)
	if slices.ContainsFunc(u.codes.all, func(a vault.Account) bool { return a.Note == "seen later" }) {
		t.Fatal("merged while hidden")
	}
	u.sync.hidden = false
	e.now = e.now.Add(syncPoll)
	u.Tick(e.now)
	if !slices.ContainsFunc(u.codes.all, func(a vault.Account) bool { return a.Note == "seen later" }) {
		t.Fatal("not merged once visible again")
	}

	// The folder unplugged: both change GitHub's name, the desk later; plugged back,
	// the desk's name wins and the window shows the laptop's lost name once.
	os.Rename(folder, folder+".away")
	rename := func(v *vault.Vault, name string) {
		t.Helper()
		err := v.Update(func(d *vault.Doc) error {
			for i := range d.Accounts {
				if d.Accounts[i].Issuer == "GitHub" {
					d.Accounts[i].Name = name
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	rename(u.vault, "alice-laptop")
	u.mergeSync()
	if !strings.Contains(f.Status.Text, "is not there") || !strings.Contains(u.codes.Status.Text, "is not there") {
		t.Errorf("the folder gone is not said: %q", f.Status.Text)
	}
	deskNow = e.now.Add(time.Minute)
	rename(desk, "alice-desk")
	os.Rename(folder+".away", folder)
	if _, err := deskR.Sync(); err != nil {
		t.Fatal(err)
	}
	e.now = e.now.Add(2 * time.Minute)
	u.Tick(e.now)
	if !slices.Contains(issuers(u.codes.all), "GitHub/alice-desk") {
		t.Fatalf("the later name did not win: %v", issuers(u.codes.all))
	}
	if len(u.sync.conflicts) != 1 || !strings.Contains(u.sync.conflicts[0], `"alice-laptop"`) ||
		!strings.Contains(u.sync.conflicts[0], `replaced by "alice-desk" (desk)`) {
		t.Fatalf("the lost value shown: %q", u.sync.conflicts)
	}
	top := e.win.Canvas().Overlays().Top()
	if top == nil {
		t.Fatal("no dialog for the lost value")
	}
	test.Tap(findButton(t, top, "OK"))
	u.sync.conflicts = nil
	desk.Update(func(d *vault.Doc) error { d.Accounts[0].Note = "again"; return nil })
	e.now = e.now.Add(syncPoll)
	u.Tick(e.now)
	if u.sync.conflicts != nil {
		t.Fatalf("the lost value shown twice: %q", u.sync.conflicts)
	}

	// Off: the accounts stay.
	test.Tap(f.Off)
	if u.sync.replica != nil || f.Folder.Text != "off" || len(u.vault.Accounts()) != 2 {
		t.Fatalf("off: %q, %d accounts", f.Folder.Text, len(u.vault.Accounts()))
	}
}

// The first screen's "I have a sync folder": a wrong passphrase is said; the right
// one makes the vault from the folder and shows its accounts.
func TestJoinFromFirstScreen(t *testing.T) {
	other := newEnv(t, linkGH, linkSPDX)
	v, err := vault.Open(other.path, other.kr)
	if err != nil {
		t.Fatal(err)
	}
	folder := filepath.Join(t.TempDir(), "Sync")
	if _, err := replica.Enable(v, folder, replica.Options{Label: "laptop"}); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t)
	e.open(e.kr)
	if e.ui.CreateBtn == nil {
		t.Fatal("no first screen")
	}
	test.Tap(findButton(t, e.win.Content(), "I have a sync folder"))
	if e.ui.JoinBtn == nil {
		t.Fatal("no join screen")
	}
	test.Tap(e.ui.JoinBtn)
	if e.ui.Message.Text != "First choose the sync folder." {
		t.Fatalf("join without a folder: %q", e.ui.Message.Text)
	}
	e.ui.JoinFolder.SetText(folder)
	test.Type(e.ui.Passphrase, "not the passphrase")
	test.Tap(e.ui.JoinBtn)
	if !strings.Contains(e.ui.Message.Text, "That passphrase does not open the vault kept in ") || e.ui.codes != nil {
		t.Fatalf("a wrong passphrase: %q", e.ui.Message.Text)
	}
	if _, err := os.Stat(e.path); !os.IsNotExist(err) {
		t.Fatalf("a wrong passphrase left a vault file: %v", err)
	}
	test.Type(e.ui.Passphrase, pass)
	test.Tap(e.ui.JoinBtn)
	if e.ui.codes == nil || len(e.ui.codes.all) != 2 || e.ui.sync.replica == nil {
		t.Fatalf("joined: %q", e.ui.Message.Text)
	}
	if _, err := vault.Open(e.path, e.kr); err != nil {
		t.Fatalf("the keyring does not open the joined vault: %v", err)
	}
}

// findButton finds the button labelled text among o and what it holds.
func findButton(t *testing.T, o fyne.CanvasObject, text string) *widget.Button {
	t.Helper()
	var walk func(o fyne.CanvasObject) *widget.Button
	walk = func(o fyne.CanvasObject) *widget.Button {
		switch x := o.(type) {
		case *widget.Button:
			if x.Text == text {
				return x
			}
			return nil
		case *fyne.Container:
			for _, c := range x.Objects {
				if b := walk(c); b != nil {
					return b
				}
			}
			return nil
		case fyne.Widget:
			for _, c := range test.WidgetRenderer(x).Objects() {
				if b := walk(c); b != nil {
					return b
				}
			}
		}
		return nil
	}
	b := walk(o)
	if b == nil {
		t.Fatalf("no button %q", text)
	}
	return b
}

// The recovery passphrase changed on another machine: the window says so, Settings
// offers the new one, and with it the other machine's changes come in again.
func TestSyncNewPassphrase(t *testing.T) {
	e := newEnv(t, linkGH)
	e.now = time.Now()
	e.open(e.kr)
	e.ui.set.autoLock = 0
	u := e.ui
	folder := filepath.Join(t.TempDir(), "Sync")
	u.codes.syncSettings()
	u.enableSync(folder)
	desk, _, err := replica.Join(filepath.Join(t.TempDir(), "desk.ward"), folder, pass, replica.Options{Label: "desk"})
	if err != nil {
		t.Fatal(err)
	}
	if err := desk.ChangePassphrase("the desk's new passphrase", nil); err != nil {
		t.Fatal(err)
	}
	err = desk.Update(func(d *vault.Doc) error {
		a, _ := vault.ParseURI(linkSPDX)
		_, _, err := d.Add(a, time.Now())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	e.now = e.now.Add(syncPoll)
	u.Tick(e.now)
	f := u.sync.form
	if !f.NewKey.Visible() || !strings.Contains(f.Status.Text, "changed on another computer") ||
		slices.Contains(issuers(u.codes.all), "SPDX/James") {
		t.Fatalf("the new passphrase not asked for: %v %q", f.NewKey.Visible(), f.Status.Text)
	}
	test.Tap(f.NewKey)
	test.Type(u.sync.newKey, "not it at all")
	u.sync.newKeyDialog.Submit()
	if !strings.HasPrefix(u.codes.Status.Text, "Still not in sync: ") {
		t.Fatalf("a wrong new passphrase: %q", u.codes.Status.Text)
	}
	test.Tap(f.NewKey)
	test.Type(u.sync.newKey, "the desk's new passphrase")
	u.sync.newKeyDialog.Submit()
	if !slices.Contains(issuers(u.codes.all), "SPDX/James") || f.NewKey.Visible() {
		t.Fatalf("after the new passphrase: %v, %q", issuers(u.codes.all), u.codes.Status.Text)
	}
	if _, err := vault.OpenWithPassphrase(u.vault.Path(), "the desk's new passphrase"); err != nil {
		t.Fatalf("the laptop's vault does not open with the new passphrase: %v", err)
	}
	if _, err := vault.Open(u.vault.Path(), e.kr); err != nil {
		t.Fatalf("the keyring was not given the new key: %v", err)
	}
}
