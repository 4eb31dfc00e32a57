package app

import (
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/wardauth/ward/vault"
)

// A link handed to the running window (a browser opening otpauth://) is shown and
// asked about, never added silently: one new account gets the same list as several,
// with Add; a malformed link is one sentence and changes nothing; one already in
// Ward is said so.
func TestLinkHandedOver(t *testing.T) {
	e := newEnv(t, linkRFC)
	e.open(e.kr)
	c := e.ui.codes
	e.ui.Arrived([]string{linkGH})
	if c.pick == nil || len(c.pick.Checks) != 1 || !c.pick.Checks[0].Checked || c.pick.Checks[0].Text != "GitHub (alice)" {
		t.Fatalf("no question for the link: pick %+v, status %q", c.pick, c.Status.Text)
	}
	if len(c.all) != 1 {
		t.Fatalf("the link was added before the user said so: %d accounts", len(c.all))
	}
	test.Tap(c.pick.Add)
	if len(c.all) != 2 || c.Status.Text != "Added GitHub (alice)." {
		t.Fatalf("after Add: %d accounts, status %q", len(c.all), c.Status.Text)
	}

	// Unchecked, nothing is added.
	c.pick = nil
	e.ui.Arrived([]string{linkSPDX})
	if c.pick == nil {
		t.Fatal("no question for the second link")
	}
	c.pick.Checks[0].SetChecked(false)
	test.Tap(c.pick.Add)
	if len(c.all) != 2 || c.Status.Text != "Nothing was added." {
		t.Fatalf("unchecked: %d accounts, status %q", len(c.all), c.Status.Text)
	}

	c.pick = nil
	v, _ := vault.Open(e.path, e.kr)
	before := len(v.Accounts())
	e.ui.Arrived([]string{"otpauth://totp/x?secret=!!!"})
	if c.pick != nil || c.Status.Text != "bad otpauth link: secret is not base32 (letters A to Z and digits 2 to 7)" {
		t.Fatalf("malformed link: pick %+v, status %q", c.pick, c.Status.Text)
	}
	e.ui.Arrived([]string{linkGH})
	if c.pick != nil || c.Status.Text != "Already in Ward: GitHub (alice)." {
		t.Fatalf("a link already in Ward: pick %+v, status %q", c.pick, c.Status.Text)
	}
	if v, _ = vault.Open(e.path, e.kr); len(v.Accounts()) != before {
		t.Fatalf("the vault changed: %d accounts, %d before", len(v.Accounts()), before)
	}
	// A plain second start only brings the window to the front.
	e.ui.Arrived(nil)
	if c.pick != nil || len(c.all) != 2 {
		t.Fatal("a plain start offered something")
	}
}

// Ward started by a link on a locked vault asks for the passphrase first, then
// shows the link's account and asks; a link handed over while locked waits too.
func TestLinkAtStartLocked(t *testing.T) {
	e := newEnv(t, linkRFC)
	e.win = test.NewTempWindow(t, nil)
	cfg := e.config(&vault.MemoryKeyring{}) // the keyring does not hold the key
	cfg.Links = []string{linkGH}
	e.ui = New(e.win, cfg)
	e.win.SetContent(e.ui.Content())
	e.ui.Arrived([]string{linkSPDX})
	if e.ui.codes != nil || e.ui.Message.Text != "A link to add is waiting: open the vault to see its accounts." {
		t.Fatalf("locked: %q", e.ui.Message.Text)
	}
	test.Type(e.ui.Passphrase, pass)
	test.Tap(e.ui.Unlock)
	c := e.ui.codes
	if c == nil || c.pick == nil || len(c.pick.Checks) != 2 || len(c.all) != 1 {
		t.Fatalf("after unlock: %+v", c)
	}
	test.Tap(c.pick.Add)
	if len(c.all) != 3 || c.Status.Text != "Added GitHub (alice), SPDX (James)." {
		t.Fatalf("after Add: %d accounts, status %q", len(c.all), c.Status.Text)
	}
}
