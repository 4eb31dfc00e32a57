package app

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/wardauth/ward/internal/qrcorpus"
	"github.com/wardauth/ward/scanner"
	"github.com/wardauth/ward/vault"
)

const pass = "app test passphrase"

func TestMain(m *testing.M) {
	os.Setenv("WARD_TEST_SCRYPT_WORK_FACTOR", "10") // read by test binaries only
	m.Run()
}

// timers is a fake Config.After: it records what is scheduled; fire runs what is due.
type timers struct {
	pending []*timer
}

type timer struct {
	d  time.Duration
	f  func()
	ok bool
}

func (ts *timers) after(d time.Duration, f func()) func() {
	t := &timer{d: d, f: f, ok: true}
	ts.pending = append(ts.pending, t)
	return func() { t.ok = false }
}

// fire runs every live timer of duration d.
func (ts *timers) fire(d time.Duration) int {
	n := 0
	for _, t := range ts.pending {
		if t.ok && t.d == d {
			t.ok = false
			t.f()
			n++
		}
	}
	return n
}

type env struct {
	t      *testing.T
	path   string
	kr     *vault.MemoryKeyring
	now    time.Time
	timers *timers
	win    fyne.Window
	ui     *UI
}

func newEnv(t *testing.T, links ...string) *env {
	t.Helper()
	test.NewTempApp(t)
	e := &env{t: t, path: filepath.Join(t.TempDir(), "vault.ward"), kr: &vault.MemoryKeyring{},
		now: time.Unix(59, 0), timers: &timers{}}
	if links != nil {
		v, err := vault.Create(e.path, pass)
		if err != nil {
			t.Fatal(err)
		}
		v.Remember(e.kr)
		err = v.Update(func(d *vault.Doc) error {
			for _, l := range links {
				a, err := vault.ParseURI(l)
				if err != nil {
					return err
				}
				if _, _, err := d.Add(a, time.Now()); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return e
}

func (e *env) config(kr vault.Keyring) Config {
	return Config{
		Path:           e.path,
		Open:           func() (*vault.Vault, error) { return vault.Open(e.path, kr) },
		OpenPassphrase: func(p string) (*vault.Vault, error) { return vault.OpenWithPassphrase(e.path, p) },
		Create:         func(p string) (*vault.Vault, error) { return vault.Create(e.path, p) },
		Keyring:        kr,
		Now:            func() time.Time { return e.now },
		After:          e.timers.after,
		Go:             func(f func()) { f() }, // slow work inline: no goroutine races the test
		NoWatcher:      true,                   // the sync folder looked at from Tick
	}
}

func (e *env) open(kr vault.Keyring) *UI {
	e.win = test.NewTempWindow(e.t, nil)
	e.ui = New(e.win, e.config(kr))
	e.win.SetContent(e.ui.Content())
	e.win.Resize(fyne.NewSize(480, 640))
	return e.ui
}

// rowOf returns the list row showing the account with this issuer.
func (e *env) rowOf(issuer string) *row {
	e.t.Helper()
	for r := range e.ui.codes.rows {
		if r.account.Issuer == issuer {
			return r
		}
	}
	e.t.Fatalf("no row shows %s", issuer)
	return nil
}

const (
	linkRFC   = "otpauth://totp/RFC:sha1?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=RFC&digits=8"
	linkSPDX  = "otpauth://totp/SPDX:James?secret=5OM4WOOGPLQEF6UGN3CPEOOLWU&issuer=SPDX&algorithm=SHA256&digits=7&period=20"
	linkIssuu = "otpauth://hotp/Issuu:James?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Issuu&counter=1"
	linkGH    = "otpauth://totp/GitHub:alice?secret=JBSWY3DPEHPK3PXP&issuer=GitHub"
)

// Codes appear grouped for reading with the time left in each account's own
// period as a ring, in 5 s steps; in the last step the next code shows beside and
// the ring takes the error colour; HOTP shows its counter's code.
func TestCodesAndCountdowns(t *testing.T) {
	e := newEnv(t, linkRFC, linkSPDX, linkIssuu)
	e.open(e.kr)
	e.ui.Tick(time.Unix(59, 0))
	rfc, spdx, issuu := e.rowOf("RFC"), e.rowOf("SPDX"), e.rowOf("Issuu")
	red := theme.Color(theme.ColorNameError)
	if rfc.Code.Text != "9428 7082" || rfc.left != 5 || rfc.Ring.EndAngle != 60 || rfc.Ring.FillColor != red {
		t.Errorf("RFC at 59 s: %q, ring %v deg (%d s), colour %v", rfc.Code.Text, rfc.Ring.EndAngle, rfc.left, rfc.Ring.FillColor)
	}
	if spdx.left != 5 || spdx.Ring.EndAngle != 90 { // 20 s period: 59 = 2*20 + 19
		t.Errorf("20 s period at 59 s: ring %v deg", spdx.Ring.EndAngle)
	}
	next, _ := rfc.account.Code(time.Unix(60, 0))
	if rfc.Next.Text != "next "+Group(next) {
		t.Errorf("in the last step the next code shows %q, want next %q", rfc.Next.Text, Group(next))
	}
	if issuu.Code.Text != "287 082" || issuu.nextBtn.Hidden || !issuu.ring.Hidden {
		t.Errorf("HOTP row: %q, next button hidden %v, ring hidden %v", issuu.Code.Text, issuu.nextBtn.Hidden, issuu.ring.Hidden)
	}
	e.ui.Tick(time.Unix(60, 0))
	if rfc.Ring.EndAngle != 360 || spdx.Ring.EndAngle != 360 || rfc.Next.Text != "" || rfc.Ring.FillColor == red {
		t.Errorf("at 60 s: rings %v and %v deg, next %q", rfc.Ring.EndAngle, spdx.Ring.EndAngle, rfc.Next.Text)
	}
	// 4 s later (64 s): still the full first step; at 65 s the ring moves, in every
	// row at once.
	e.ui.Tick(time.Unix(64, 0))
	if rfc.left != 30 || spdx.left != 20 {
		t.Errorf("at 64 s the rings show %d and %d s", rfc.left, spdx.left)
	}
	e.ui.Tick(time.Unix(65, 0))
	if rfc.left != 25 || spdx.left != 15 || rfc.Ring.EndAngle != 300 {
		t.Errorf("at 65 s the rings show %d and %d s (%v deg)", rfc.left, spdx.left, rfc.Ring.EndAngle)
	}
}

// The row's colours follow the theme's variant when it changes while the row is
// on screen: the issuer's name is the foreground colour of the variant in force.
func TestRowFollowsVariant(t *testing.T) {
	e := newEnv(t, linkRFC)
	e.open(e.kr)
	rfc := e.rowOf("RFC")
	for _, v := range []fyne.ThemeVariant{theme.VariantLight, theme.VariantDark, theme.VariantLight} {
		fyne.CurrentApp().Settings().SetTheme(forcedTheme{theme.DefaultTheme(), v})
		want := theme.DefaultTheme().Color(theme.ColorNameForeground, v)
		if rfc.issuer.Color != want || rfc.Code.Color != theme.DefaultTheme().Color(theme.ColorNamePrimary, v) {
			t.Fatalf("variant %v: the issuer is %v, want %v", v, rfc.issuer.Color, want)
		}
	}
}

// Clicking a row copies its code; the clipboard is cleared after the timeout, but
// only if it still holds Ward's code.
func TestCopyAndClipboardClearing(t *testing.T) {
	e := newEnv(t, linkRFC)
	e.open(e.kr)
	clip := fyne.CurrentApp().Clipboard()
	e.ui.codes.List.Select(0)
	if clip.Content() != "94287082" {
		t.Fatalf("clipboard after a click: %q", clip.Content())
	}
	if e.timers.fire(30*time.Second) != 1 || clip.Content() != "" {
		t.Fatalf("clipboard after 30 s: %q", clip.Content())
	}
	e.ui.codes.List.Select(0)
	clip.SetContent("something the user copied since")
	e.timers.fire(30 * time.Second)
	if clip.Content() != "something the user copied since" {
		t.Fatalf("Ward cleared a clipboard that no longer held its code: %q", clip.Content())
	}
}

func TestSearch(t *testing.T) {
	e := newEnv(t, linkRFC, linkSPDX, linkIssuu, linkGH)
	e.open(e.kr)
	c := e.ui.codes
	test.Type(c.Search, "james")
	if len(c.shown) != 2 {
		t.Fatalf("'james' shows %d accounts, want 2", len(c.shown))
	}
	c.Search.SetText("GIT")
	if len(c.shown) != 1 || c.all[c.shown[0]].Issuer != "GitHub" {
		t.Fatalf("'GIT' shows %d", len(c.shown))
	}
	c.Search.SetText("nothing like it")
	if len(c.shown) != 0 || c.Empty.Text == "" {
		t.Fatalf("no match: %d shown, message %q", len(c.shown), c.Empty.Text)
	}
	// Enter copies the first match.
	c.Search.SetText("rfc")
	c.Search.OnSubmitted(c.Search.Text)
	if got := fyne.CurrentApp().Clipboard().Content(); got != "94287082" {
		t.Fatalf("Enter in the search copied %q", got)
	}
}

func TestAddByLink(t *testing.T) {
	e := newEnv(t, linkRFC)
	e.open(e.kr)
	c := e.ui.codes
	fyne.CurrentApp().Clipboard().SetContent(linkGH + "\n" + linkRFC + "\nhttps://example.com/")
	c.pasteLink()
	if len(c.all) != 2 {
		t.Fatalf("%d accounts after pasting", len(c.all))
	}
	want := "Added GitHub (alice). Already in Ward: RFC (sha1). A code in the clipboard is a web address (example.com), not an account."
	if c.Status.Text != want {
		t.Fatalf("status %q", c.Status.Text)
	}
	v, _ := vault.Open(e.path, e.kr)
	if len(v.Accounts()) != 2 {
		t.Fatal("the new account is not in the vault file")
	}
}

func TestManualEntry(t *testing.T) {
	e := newEnv(t, linkRFC)
	e.open(e.kr)
	c := e.ui.codes
	f := c.newManualForm()
	test.Type(f.Issuer, "Example")
	test.Type(f.Name, "carol")
	test.Type(f.Key, "not base32 at all!")
	if !f.Save.Disabled() || f.Problem.Text == "" {
		t.Fatalf("a bad key: save enabled %v, problem %q", !f.Save.Disabled(), f.Problem.Text)
	}
	f.Key.SetText("jbsw y3dp ehpk 3pxp")
	f.Digits.SetText("12")
	if !f.Save.Disabled() || f.Problem.Text != "Digits 12 out of range (4 to 10)." {
		t.Fatalf("digits 12: problem %q", f.Problem.Text)
	}
	f.Digits.SetText("8")
	if f.Save.Disabled() || f.Preview.Text == "" {
		t.Fatalf("a good key: save disabled, preview %q, problem %q", f.Preview.Text, f.Problem.Text)
	}
	want, _ := f.account.Code(e.now)
	if f.Preview.Text != "Code now: "+Group(want) {
		t.Errorf("preview %q, want %s", f.Preview.Text, want)
	}
}

// Favourites go on top; move and delete change the vault.
func TestOrganise(t *testing.T) {
	e := newEnv(t, linkRFC, linkSPDX, linkGH)
	e.open(e.kr)
	c := e.ui.codes
	gh := c.all[2]
	c.toggleFavorite(gh.ID)
	if c.all[0].ID != gh.ID || !c.all[0].Favorite {
		t.Fatal("a favourite is not on top")
	}
	c.move(c.all[1].ID, +1) // RFC below SPDX
	if c.all[1].Issuer != "SPDX" || c.all[2].Issuer != "RFC" {
		t.Fatalf("after moving RFC down: %s, %s", c.all[1].Issuer, c.all[2].Issuer)
	}
	c.change("Deleted.", func(d *vault.Doc) error { return d.Remove(gh.ID) })
	v, _ := vault.Open(e.path, e.kr)
	if len(v.Accounts()) != 2 || len(c.all) != 2 {
		t.Fatal("delete did not reach the vault")
	}
}

func TestNextHOTP(t *testing.T) {
	e := newEnv(t, linkIssuu)
	e.open(e.kr)
	test.Tap(e.rowOf("Issuu").nextBtn)
	if got := fyne.CurrentApp().Clipboard().Content(); got != "359152" {
		t.Fatalf("next HOTP code copied: %q", got)
	}
	v, _ := vault.Open(e.path, e.kr)
	if v.Accounts()[0].Counter != 2 {
		t.Fatal("the counter was not saved")
	}
}

// A locked vault shows the passphrase screen; a wrong passphrase a calm message and
// nothing else; the right one the codes. Lock forgets everything and needs the
// passphrase, even though the keyring opened Ward.
func TestLockAndUnlock(t *testing.T) {
	e := newEnv(t, linkGH)
	e.open(e.kr)
	e.ui.codes.List.Select(0)
	e.ui.Lock()
	if e.ui.codes != nil || e.ui.vault != nil || e.ui.Passphrase == nil {
		t.Fatal("Lock left the codes")
	}
	if fyne.CurrentApp().Clipboard().Content() != "" {
		t.Fatal("Lock left Ward's code on the clipboard")
	}
	test.Type(e.ui.Passphrase, "not it")
	test.Tap(e.ui.Unlock)
	if e.ui.Message.Text != "That passphrase does not open this vault. Try again." || e.ui.codes != nil {
		t.Fatalf("wrong passphrase: %q", e.ui.Message.Text)
	}
	if e.ui.Passphrase.Text != "" {
		t.Error("the wrong passphrase stays in the field")
	}
	test.Type(e.ui.Passphrase, pass)
	test.Tap(e.ui.Unlock)
	if e.ui.codes == nil || len(e.ui.codes.all) != 1 {
		t.Fatal("the right passphrase did not unlock")
	}
}

func TestLockedAtStart(t *testing.T) {
	e := newEnv(t, linkGH)
	e.open(vault.NoKeyring{})
	if e.ui.Passphrase == nil || e.ui.codes != nil {
		t.Fatal("without the keyring the passphrase screen should show")
	}
}

func TestFirstRun(t *testing.T) {
	e := newEnv(t)
	e.open(e.kr)
	if e.ui.CreateBtn == nil {
		t.Fatal("no welcome screen without a vault")
	}
	test.Type(e.ui.Passphrase, "short")
	if e.ui.Strength.Text != "Too short: at least 8 characters" {
		t.Errorf("strength of 'short': %q", e.ui.Strength.Text)
	}
	test.Tap(e.ui.CreateBtn)
	if e.ui.codes != nil || e.ui.Message.Text == "" {
		t.Fatal("a short passphrase created a vault")
	}
	e.ui.Passphrase.SetText("correct horse battery staple")
	e.ui.Repeat.SetText("correct horse battery stapel")
	test.Tap(e.ui.CreateBtn)
	if e.ui.codes != nil || e.ui.Message.Text != "The two passphrases differ. Type them again." {
		t.Fatalf("differing passphrases: %q", e.ui.Message.Text)
	}
	e.ui.Repeat.SetText("correct horse battery staple")
	test.Tap(e.ui.CreateBtn)
	if e.ui.codes == nil {
		t.Fatalf("not created: %q", e.ui.Message.Text)
	}
	if _, err := vault.Open(e.path, e.kr); err != nil {
		t.Fatalf("the keyring does not open the new vault: %v", err)
	}
}

// The first run with a keyring that refuses the key: the vault is created, and the
// window says why the next start will ask for the passphrase. With the keyring off
// there is nothing to remember.
func TestFirstRunKeyringRefuses(t *testing.T) {
	e := newEnv(t)
	e.open(refusingKeyring{})
	if !e.ui.Remember.Checked || e.ui.Remember.Disabled() {
		t.Fatal("the keyring is on but Remember is not offered")
	}
	e.ui.Passphrase.SetText("correct horse battery staple")
	e.ui.Repeat.SetText("correct horse battery staple")
	test.Tap(e.ui.CreateBtn)
	if e.ui.codes == nil {
		t.Fatalf("not created: %q", e.ui.Message.Text)
	}
	if s := e.ui.codes.Status.Text; !strings.Contains(s, "the keyring did not take its key, so Ward will ask for the passphrase: no keyring available: no keyring here") {
		t.Fatalf("status %q", s)
	}

	f := newEnv(t)
	w := test.NewTempWindow(t, nil)
	cfg := f.config(vault.NoKeyring{})
	cfg.Keyring = nil // as main wires --no-keyring
	ui := New(w, cfg)
	if ui.Remember.Checked || !ui.Remember.Disabled() {
		t.Fatal("Remember offered with the keyring off")
	}
}

// refusingKeyring is a keyring that holds nothing and takes nothing.
type refusingKeyring struct{}

func (refusingKeyring) Get(string) (string, error) { return "", vault.ErrKeyNotInKeyring }
func (refusingKeyring) Set(string, string) error {
	return fmt.Errorf("%w: no keyring here", vault.ErrKeyringUnavailable)
}
func (refusingKeyring) Delete(string) error { return nil }

func TestDamagedVaultMessage(t *testing.T) {
	test.NewTempApp(t)
	u := New(test.NewTempWindow(t, nil), Config{Path: "x", Open: func() (*vault.Vault, error) {
		return nil, errors.Join(vault.ErrCorrupt)
	}})
	if u.Message == nil || u.codes != nil {
		t.Fatal("a damaged vault shows no message")
	}
}

func TestStrengthHint(t *testing.T) {
	for p, want := range map[string]string{
		"": "", "abc": "Too short: at least 8 characters", "abcdefgh": "Weak: longer is better, several words are best",
		"Abcdefgh12": "Fair: a few more words would make it strong", "correct horse battery staple": "Strong",
	} {
		if got := StrengthHint(p); got != want {
			t.Errorf("%q: %q, want %q", p, got, want)
		}
	}
}

func TestGroup(t *testing.T) {
	for in, want := range map[string]string{
		"123456": "123 456", "12345678": "1234 5678", "1234567": "1 234 567",
		"1234": "1234", "12345": "12345", "XBC79": "XBC79", "123456789": "123 456 789", "1234567890": "1234 5678 90",
	} {
		if got := Group(in); got != want {
			t.Errorf("Group(%q) = %q, want %q", in, got, want)
		}
	}
}

// The window locks itself after the idle time; activity pushes the lock back.
func TestAutoLock(t *testing.T) {
	e := newEnv(t, linkGH)
	e.open(e.kr)
	e.ui.set.autoLock = 5 * time.Minute
	start := e.now
	e.ui.Tick(start.Add(4 * time.Minute))
	if e.ui.codes == nil {
		t.Fatal("locked after 4 of 5 minutes")
	}
	e.now = start.Add(4 * time.Minute)
	e.ui.codes.typedRune('g') // typing counts as activity
	e.ui.Tick(start.Add(8 * time.Minute))
	if e.ui.codes == nil {
		t.Fatal("locked 4 minutes after the last keystroke")
	}
	e.ui.Tick(start.Add(9 * time.Minute))
	if e.ui.codes != nil || e.ui.Passphrase == nil {
		t.Fatal("not locked 5 minutes after the last keystroke")
	}
}

func TestSettings(t *testing.T) {
	e := newEnv(t, linkRFC)
	e.open(e.kr)
	c := e.ui.codes
	f := c.newSettingsForm()
	prefs := fyne.CurrentApp().Preferences()

	f.Clipboard.SetSelected("10 s")
	if e.ui.set.clipboard != 10*time.Second || prefs.Int(prefClipboard) != 10 {
		t.Fatalf("clipboard setting: %v, saved %d", e.ui.set.clipboard, prefs.Int(prefClipboard))
	}
	c.List.Select(0)
	if e.timers.fire(10*time.Second) != 1 || fyne.CurrentApp().Clipboard().Content() != "" {
		t.Fatal("the clipboard was not cleared after the new 10 s")
	}
	f.AutoLock.SetSelected("never")
	if e.ui.set.autoLock != 0 || prefs.Int(prefAutoLock) != 0 {
		t.Fatal("auto-lock never not saved")
	}
	e.ui.Tick(e.now.Add(48 * time.Hour))
	if e.ui.codes == nil {
		t.Fatal("locked although auto-lock is off")
	}
	f.Theme.SetSelected("dark")
	if prefs.String(prefTheme) != "dark" {
		t.Fatal("theme not saved")
	}

	if !f.Keyring.Checked {
		t.Fatal("the keyring holds the key but the setting says no")
	}
	f.Keyring.SetChecked(false)
	if _, err := vault.Open(e.path, e.kr); !errors.Is(err, vault.ErrLocked) {
		t.Fatalf("after turning the keyring off it still opens the vault: %v", err)
	}
	f.Keyring.SetChecked(true)
	if _, err := vault.Open(e.path, e.kr); err != nil {
		t.Fatalf("after turning the keyring on: %v", err)
	}
	if f.Message.Text == "" {
		t.Error("no word on the keyring change")
	}
}

// The keyboard alone: Down from the search reaches the list, arrows move, Enter
// copies the focused row.
func TestKeyboard(t *testing.T) {
	e := newEnv(t, linkGH, linkRFC)
	e.open(e.kr)
	c := e.ui.codes
	e.win.Canvas().Focus(c.Search)
	c.Search.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDown})
	if e.win.Canvas().Focused() != c.List {
		t.Fatalf("Down in the search focused %T, not the list", e.win.Canvas().Focused())
	}
	c.List.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDown})
	c.List.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if got := fyne.CurrentApp().Clipboard().Content(); got != "94287082" {
		t.Fatalf("Down and Enter copied %q, want RFC's code", got)
	}
}

func TestTagFilter(t *testing.T) {
	e := newEnv(t, linkGH, linkRFC, linkSPDX)
	e.open(e.kr)
	c := e.ui.codes
	if c.Tags.Visible() {
		t.Fatal("a tag filter without tags")
	}
	c.change("", func(d *vault.Doc) error {
		d.Accounts[0].Tags = []string{"work"}
		d.Accounts[2].Tags = []string{"work", "oss"}
		return nil
	})
	if !c.Tags.Visible() || len(c.Tags.Options) != 3 {
		t.Fatalf("tag filter options %q", c.Tags.Options)
	}
	c.Tags.SetSelected("work")
	if len(c.shown) != 2 {
		t.Fatalf("work shows %d", len(c.shown))
	}
	c.Search.SetText("spdx")
	if len(c.shown) != 1 {
		t.Fatalf("work + spdx shows %d", len(c.shown))
	}
	c.Search.SetText("oss") // the search reads tags too
	c.Tags.SetSelected(allTags())
	if len(c.shown) != 1 || c.all[c.shown[0]].Issuer != "SPDX" {
		t.Fatalf("searching a tag shows %d", len(c.shown))
	}
}

// Several accounts found are offered with a checkbox each; what is unchecked is not
// added.
func TestPickSeveral(t *testing.T) {
	e := newEnv(t, linkRFC)
	e.open(e.kr)
	c := e.ui.codes
	// Issuu has RFC's key with other parameters: offered, unchecked, as an update.
	c.addTexts([]string{linkGH, linkSPDX, "otpauth://hotp/Other:x?secret=MFRGGZDFMZTWQ2LK&counter=3", linkIssuu, linkRFC}, "the screen")
	if c.pick == nil || len(c.pick.Checks) != 4 || c.pick.Checks[3].Checked || !c.pick.Checks[0].Checked {
		t.Fatalf("pick list: %+v", c.pick)
	}
	c.pick.Checks[1].SetChecked(false) // not SPDX
	test.Tap(c.pick.Add)
	if len(c.all) != 3 || slicesContainsIssuer(c.all, "SPDX") || slicesContainsIssuer(c.all, "Issuu") {
		t.Fatalf("after picking: %d accounts", len(c.all))
	}
}

// The same new account twice among the codes found: offered twice, added once, and
// the second is said to be in Ward (it used to be said added).
func TestSameAccountTwice(t *testing.T) {
	e := newEnv(t, linkRFC)
	e.open(e.kr)
	c := e.ui.codes
	c.addTexts([]string{linkGH, linkGH}, "the screen")
	if c.pick == nil || len(c.pick.Checks) != 2 {
		t.Fatalf("pick list: %+v", c.pick)
	}
	test.Tap(c.pick.Add)
	if len(c.all) != 2 || c.Status.Text != "Added GitHub (alice). Already in Ward: GitHub (alice)." {
		t.Fatalf("%d accounts, status %q", len(c.all), c.Status.Text)
	}
}

func slicesContainsIssuer(as []vault.Account, issuer string) bool {
	for _, a := range as {
		if a.Issuer == issuer {
			return true
		}
	}
	return false
}

// The same key with other details asks "update or skip"; update keeps the ID, the
// tags and the favourite.
func TestDuplicateUpdateOrSkip(t *testing.T) {
	e := newEnv(t, linkGH)
	e.open(e.kr)
	c := e.ui.codes
	id := c.all[0].ID
	c.toggleFavorite(id)
	renamed := "otpauth://totp/GitHub:alice@example.com?secret=JBSWY3DPEHPK3PXP&issuer=GitHub"
	c.addTexts([]string{renamed}, "the clipboard")
	if c.dup == nil {
		t.Fatal("no update-or-skip question")
	}
	c.dup.Dismiss() // skip
	if c.all[0].Name != "alice" {
		t.Fatal("skip changed the account")
	}
	c.addTexts([]string{renamed}, "the clipboard")
	c.dup.Confirm() // update
	if len(c.all) != 1 || c.all[0].Name != "alice@example.com" || c.all[0].ID != id || !c.all[0].Favorite {
		t.Fatalf("after update: %d accounts, %q, same ID %v, favourite %v", len(c.all), c.all[0].Name, c.all[0].ID == id, c.all[0].Favorite)
	}
	// The identical account again is just reported.
	c.dup = nil
	c.addTexts([]string{renamed}, "the clipboard")
	if c.dup != nil || c.Status.Text != "Already in Ward: GitHub (alice@example.com)." {
		t.Fatalf("identical account: status %q", c.Status.Text)
	}
}

// A clock 42 s behind the time server: a warning, and on request the codes are
// made for the corrected time.
func TestClockCheck(t *testing.T) {
	e := newEnv(t, linkRFC)
	fyne.CurrentApp().Preferences().SetBool(prefClock, true)
	e.win = test.NewTempWindow(t, nil)
	cfg := e.config(e.kr)
	cfg.CheckClock = func(context.Context) (time.Duration, error) { return 42 * time.Second, nil }
	e.ui = New(e.win, cfg)
	e.win.SetContent(e.ui.Content())
	c := e.ui.codes
	for deadline := time.Now().Add(2 * time.Second); !c.clockBanner.Visible() && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if !c.clockBanner.Visible() || c.ClockNote.Text != "This computer's clock is 42 s behind the time server's: sites may refuse these codes." {
		t.Fatalf("no clock warning: %q", c.ClockNote.Text)
	}
	e.ui.Tick(time.Unix(59, 0))
	if got := e.rowOf("RFC").Code.Text; got != "9428 7082" {
		t.Fatalf("uncorrected code %q", got)
	}
	test.Tap(c.FixClock)
	e.ui.Tick(time.Unix(59, 0))
	want, _ := c.all[0].Code(time.Unix(59+42, 0))
	if got := e.rowOf("RFC").Code.Text; got != Group(want) {
		t.Fatalf("corrected code %q, want %q", got, Group(want))
	}
	if !fyne.CurrentApp().Preferences().Bool(prefCorrect) || c.FixClock.Visible() {
		t.Error("the correction was not saved, or the button stays")
	}
}

// Within 10 s, or without an answer from the server, nothing is shown; and by
// default the clock is not checked at all.
func TestClockCheckOffByDefault(t *testing.T) {
	e := newEnv(t, linkRFC)
	e.win = test.NewTempWindow(t, nil)
	cfg := e.config(e.kr)
	asked := false
	cfg.CheckClock = func(context.Context) (time.Duration, error) { asked = true; return time.Hour, nil }
	e.ui = New(e.win, cfg)
	time.Sleep(100 * time.Millisecond)
	if asked {
		t.Fatal("the time server was asked without the setting")
	}
}

func TestClockCheckQuiet(t *testing.T) {
	for name, check := range map[string]func(context.Context) (time.Duration, error){
		"3 s off":   func(context.Context) (time.Duration, error) { return 3 * time.Second, nil },
		"no answer": func(context.Context) (time.Duration, error) { return 0, errors.New("no network") },
	} {
		e := newEnv(t, linkRFC)
		fyne.CurrentApp().Preferences().SetBool(prefClock, true)
		e.win = test.NewTempWindow(t, nil)
		cfg := e.config(e.kr)
		cfg.CheckClock = check
		e.ui = New(e.win, cfg)
		time.Sleep(100 * time.Millisecond)
		if e.ui.codes.clockBanner.Visible() {
			t.Errorf("%s: a clock warning", name)
		}
	}
}

// Edit and delete from the keyboard: F2 on the focused row edits it, Delete asks
// and deletes it.
func TestEditAndDeleteByKeyboard(t *testing.T) {
	e := newEnv(t, linkGH, linkRFC)
	e.open(e.kr)
	c := e.ui.codes
	e.win.Canvas().Focus(c.List)
	c.List.TypedKey(&fyne.KeyEvent{Name: fyne.KeyF2})
	if c.edit == nil || c.edit.Issuer.Text != "GitHub" {
		t.Fatal("F2 did not edit the first row")
	}
	c.edit.Issuer.SetText("GitHub Enterprise")
	c.edit.Tags.SetText("work, work, oss")
	c.edit.Note.SetText("recovery codes in the safe")
	c.edit.Icon.SetSelected("gitlab")
	c.edit.dialog.Submit()
	v, _ := vault.Open(e.path, e.kr)
	got := v.Accounts()[0]
	if got.Issuer != "GitHub Enterprise" || len(got.Tags) != 2 || got.Note != "recovery codes in the safe" || got.Icon != "gitlab" {
		t.Fatalf("after editing: %q %q %q %q", got.Issuer, got.Tags, got.Note, got.Icon)
	}
	if r := e.rowOf("GitHub Enterprise"); r.Icon.Resource == nil || r.Icon.Resource.Name() != "gitlab.svg" {
		t.Error("the chosen icon does not show")
	}

	c.List.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDown})
	c.List.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDelete})
	if c.del == nil {
		t.Fatal("Delete did not ask")
	}
	c.del.Dismiss()
	if len(c.all) != 2 {
		t.Fatal("a dismissed delete deleted")
	}
	c.List.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDelete})
	c.del.Confirm()
	if len(c.all) != 1 || c.all[0].Issuer != "GitHub Enterprise" {
		t.Fatalf("after deleting RFC: %d accounts", len(c.all))
	}
}

// Scan screen: Ward hides its window for the capture and adds the codes it finds.
func TestScanScreen(t *testing.T) {
	e := newEnv(t, linkRFC)
	cfg := e.config(e.kr)
	hidden := false
	cfg.Capture = func(o scanner.CaptureOptions) (image.Image, error) {
		if o.Hide == nil {
			return nil, errors.New("Ward did not ask to hide its window")
		}
		restore := o.Hide()
		hidden = true
		defer restore()
		img := image.NewRGBA(image.Rect(0, 0, 900, 400))
		for i := range img.Pix {
			img.Pix[i] = 255
		}
		qrcorpus.Draw(img, qrcorpus.Code{Text: linkGH, Module: 3, X: 10, Y: 10}, color.RGBA{A: 255}, color.RGBA{255, 255, 255, 255})
		qrcorpus.Draw(img, qrcorpus.Code{Text: qrcorpus.Migration(2, 0, 2), Module: 3, X: 400, Y: 10}, color.RGBA{A: 255}, color.RGBA{255, 255, 255, 255})
		return img, nil
	}
	e.win = test.NewTempWindow(t, nil)
	e.ui = New(e.win, cfg)
	e.win.SetContent(e.ui.Content())
	c := e.ui.codes
	c.scanScreen()
	for deadline := time.Now().Add(5 * time.Second); c.pick == nil && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	if !hidden || c.pick == nil || len(c.pick.Checks) != 3 {
		t.Fatalf("scan: hidden %v, pick %+v", hidden, c.pick)
	}
	test.Tap(c.pick.Add)
	if len(c.all) != 4 || !strings.Contains(c.Status.Text, "Added") {
		t.Fatalf("after adding: %d accounts, %q", len(c.all), c.Status.Text)
	}
}

// Common issuers show their bundled icon; others a coloured letter.
func TestIssuerIcons(t *testing.T) {
	e := newEnv(t, linkGH, linkRFC)
	e.open(e.kr)
	gh, rfc := e.rowOf("GitHub"), e.rowOf("RFC")
	if !gh.Icon.Visible() || gh.Icon.Resource == nil || gh.Icon.Resource.Name() != "github.svg" || gh.letter.Visible() {
		t.Error("GitHub does not show its icon")
	}
	if rfc.Icon.Visible() || !rfc.letter.Visible() || rfc.letter.Text != "R" {
		t.Error("RFC does not show a letter")
	}
}

// Ctrl+V with an image on the clipboard adds the accounts in its QR codes.
func TestPasteImage(t *testing.T) {
	e := newEnv(t, linkRFC)
	cfg := e.config(e.kr)
	cfg.ClipboardImage = func(context.Context) (image.Image, error) {
		img := image.NewRGBA(image.Rect(0, 0, 400, 400))
		for i := range img.Pix {
			img.Pix[i] = 255
		}
		qrcorpus.Draw(img, qrcorpus.Code{Text: linkGH, Module: 4, X: 10, Y: 10}, color.RGBA{A: 255}, color.RGBA{255, 255, 255, 255})
		return img, nil
	}
	e.win = test.NewTempWindow(t, nil)
	e.ui = New(e.win, cfg)
	fyne.CurrentApp().Clipboard().SetContent("")
	e.ui.codes.pasteLink()
	if len(e.ui.codes.all) != 2 || e.ui.codes.Status.Text != "Added GitHub (alice)." {
		t.Fatalf("after pasting an image: %d accounts, %q", len(e.ui.codes.all), e.ui.codes.Status.Text)
	}
}

// Changing the passphrase needs the current one; the new one then opens the vault
// and the keyring still does.
func TestChangePassphrase(t *testing.T) {
	e := newEnv(t, linkGH)
	e.open(e.kr)
	c := e.ui.codes
	c.showChangePassphrase()
	c.passwd.Current.SetText("not it")
	c.passwd.New.SetText("a whole new passphrase")
	c.passwd.Repeat.SetText("a whole new passphrase")
	c.passwd.dialog.Submit()
	if c.Status.Text != "Nothing was changed: the current passphrase is wrong" {
		t.Fatalf("wrong current passphrase: %q", c.Status.Text)
	}
	c.showChangePassphrase()
	c.passwd.Current.SetText(pass)
	c.passwd.New.SetText("a whole new passphrase")
	c.passwd.Repeat.SetText("a whole new passphrase")
	c.passwd.dialog.Submit()
	if _, err := vault.OpenWithPassphrase(e.path, "a whole new passphrase"); err != nil {
		t.Fatalf("the new passphrase: %v (status %q)", err, c.Status.Text)
	}
	if _, err := vault.Open(e.path, e.kr); err != nil {
		t.Fatalf("the keyring after the change: %v", err)
	}
}

// The window's shortcuts work while the search field has the focus.
func TestShortcutsFromSearch(t *testing.T) {
	e := newEnv(t, linkGH)
	e.open(e.kr)
	e.win.Canvas().Focus(e.ui.codes.Search)
	e.ui.codes.Search.TypedShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyL, Modifier: fyne.KeyModifierShortcutDefault})
	if e.ui.codes != nil {
		t.Fatal("Ctrl+L in the search did not lock")
	}
}

// Export from the window, then import it into another vault: the password is asked
// (a wrong one asks again), and the accounts are offered.
func TestExportImport(t *testing.T) {
	e := newEnv(t, linkGH, linkRFC)
	e.open(e.kr)
	c := e.ui.codes
	file := filepath.Join(t.TempDir(), "export.age")
	if err := c.exportTo(file, "export passphrase", false); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(file)

	f := newEnv(t, linkSPDX)
	f.open(f.kr)
	var asked []bool
	answers := []string{"wrong one", "export passphrase"}
	f.ui.codes.importData(data, "export.age", func(retry bool, done func(string)) {
		asked = append(asked, retry)
		done(answers[len(asked)-1])
	})
	if len(asked) != 2 || asked[0] || !asked[1] {
		t.Fatalf("password asks: %v", asked)
	}
	if f.ui.codes.pick == nil || len(f.ui.codes.pick.Checks) != 2 {
		t.Fatal("the imported accounts were not offered")
	}
	test.Tap(f.ui.codes.pick.Add)
	if len(f.ui.codes.all) != 3 {
		t.Fatalf("%d accounts after the import", len(f.ui.codes.all))
	}
}

// With a backup folder every change leaves a copy there that opens with the
// recovery passphrase; the reminder goes away once there is a backup.
func TestAutomaticBackup(t *testing.T) {
	e := newEnv(t, linkGH)
	e.now = time.Now().Add(time.Second)
	e.open(e.kr)
	c := e.ui.codes
	if !c.reminder.Visible() {
		t.Fatal("no reminder without any backup")
	}
	dir := filepath.Join(t.TempDir(), "usb")
	c.setBackupDir(dir)
	if c.reminder.Visible() {
		t.Fatal("the reminder stays after the first backup")
	}
	e.now = e.now.Add(time.Second)
	c.toggleFavorite(c.all[0].ID)
	backups, _ := filepath.Glob(filepath.Join(dir, "ward-backup-*.ward"))
	if len(backups) != 2 {
		t.Fatalf("%d backups after turning backups on and one change", len(backups))
	}
	data, _ := os.ReadFile(backups[1])
	accts, err := vault.ReadVaultFile(data, pass)
	if err != nil || len(accts) != 1 || !accts[0].Favorite {
		t.Fatalf("the newest backup: %v", err)
	}
	// 31 days later the reminder is back.
	e.now = e.now.Add(31 * 24 * time.Hour)
	c.updateReminder()
	if !c.reminder.Visible() {
		t.Fatal("no reminder after 31 days")
	}
}

func TestWelcomeRestoreNeedsPassphrase(t *testing.T) {
	e := newEnv(t)
	e.open(e.kr)
	e.ui.Passphrase.SetText("")
	// The restore button is the last object of the welcome form; tap it by its text.
	var restore *widget.Button
	for _, o := range test.LaidOutObjects(e.win.Content()) {
		if b, ok := o.(*widget.Button); ok && b.Text == "Restore from a backup or another app" {
			restore = b
		}
	}
	if restore == nil {
		t.Fatal("no restore button")
	}
	test.Tap(restore)
	if !strings.HasPrefix(e.ui.Message.Text, "First choose this computer's recovery passphrase") {
		t.Fatalf("restore without a passphrase: %q", e.ui.Message.Text)
	}
}

// Move to a phone: the window shows the QR sheet; its codes decode back to the
// accounts.
func TestShowSheet(t *testing.T) {
	e := newEnv(t, linkGH, linkRFC, linkSPDX)
	e.open(e.kr)
	c := e.ui.codes
	c.showSheet()
	if len(c.sheetPages) != 1 || len(e.win.Canvas().Overlays().List()) == 0 {
		t.Fatal("no sheet shown")
	}
	texts, err := scanner.Decode(c.sheetPages[0])
	if err != nil {
		t.Fatal(err)
	}
	migrations := 0
	for _, tx := range texts {
		if strings.HasPrefix(tx, "otpauth-migration:") {
			migrations++
			b, _ := vault.ParseMigration(tx)
			if len(b.Accounts) != 1 || b.Accounts[0].Issuer != "GitHub" { // RFC has 8 digits, SPDX SHA256
				t.Errorf("the transfer code holds %d accounts", len(b.Accounts))
			}
		}
	}
	if migrations != 1 || len(texts) != 4 {
		t.Fatalf("%d codes, %d transfer codes", len(texts), migrations)
	}
}

// fakePlace is a Positioner at a fixed place that records moves.
type fakePlace struct {
	x, y  int
	moved []string
}

func (f *fakePlace) Position() (int, int, error) { return f.x, f.y, nil }
func (f *fakePlace) Move(x, y int) error {
	f.moved = append(f.moved, fmt.Sprint(x, ",", y))
	return nil
}

// The window's size and place are saved as one preference when it closes (Ctrl+Q
// here) and come back on the next start; a window never placed opens at the
// fallback size and is not moved.
func TestWindowPlaceRemembered(t *testing.T) {
	a := test.NewTempApp(t)
	p := a.Preferences()
	w := test.NewWindow(nil) // Ctrl+Q closes it
	RestoreWindow(w, p, fyne.NewSize(440, 560), &fakePlace{})
	if s := w.Canvas().Size(); s != fyne.NewSize(440, 560) {
		t.Fatalf("first start: %v, want the fallback 440x560", s)
	}
	if _, _, _, _, placed := readPlace(p.String(prefWindow)); placed {
		t.Fatal("a window never closed has a saved place")
	}
	w.Resize(fyne.NewSize(520, 600))
	w.Canvas().(fyne.Shortcutable).TypedShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyQ, Modifier: fyne.KeyModifierShortcutDefault})
	if got := p.String(prefWindow); got != "520 600 0 0" {
		t.Fatalf("saved %q after Ctrl+Q, want 520 600 0 0", got)
	}

	p.SetString(prefWindow, "")
	w = test.NewWindow(nil)
	RestoreWindow(w, p, fyne.NewSize(440, 560), &fakePlace{x: 310, y: 170})
	w.Resize(fyne.NewSize(500, 700))
	w.Canvas().(fyne.Shortcutable).TypedShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyQ, Modifier: fyne.KeyModifierShortcutDefault})
	width, height, x, y, placed := readPlace(p.String(prefWindow))
	if width != 500 || height != 700 || x != 310 || y != 170 || !placed {
		t.Fatalf("saved %q, want 500 700 310 170", p.String(prefWindow))
	}
	w = test.NewTempWindow(t, nil)
	RestoreWindow(w, p, fyne.NewSize(440, 560), &fakePlace{})
	if s := w.Canvas().Size(); s != fyne.NewSize(500, 700) {
		t.Fatalf("restarted at %v, want 500x700", s)
	}

	for _, bad := range []string{"garbage", "-5 10", "0 0 1 1"} {
		p.SetString(prefWindow, bad)
		w = test.NewTempWindow(t, nil)
		RestoreWindow(w, p, fyne.NewSize(440, 560), nil)
		if s := w.Canvas().Size(); s != fyne.NewSize(440, 560) {
			t.Fatalf("saved %q: opened at %v, want the fallback", bad, s)
		}
	}
}

// Escape closes the dialog on top; with none open, it clears the search.
func TestEscape(t *testing.T) {
	e := newEnv(t, linkRFC, linkGH)
	e.open(e.kr)
	c := e.ui.codes
	test.Type(c.Search, "rfc")
	c.showSettings()
	if len(e.win.Canvas().Overlays().List()) != 1 {
		t.Fatal("Settings did not open")
	}
	c.typedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if len(e.win.Canvas().Overlays().List()) != 0 || c.Search.Text != "rfc" {
		t.Fatalf("after Escape: %d dialogs, search %q", len(e.win.Canvas().Overlays().List()), c.Search.Text)
	}
	c.typedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if c.Search.Text != "" {
		t.Fatalf("a second Escape left the search %q", c.Search.Text)
	}
}
