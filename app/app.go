// Package app is Ward's window: views over the vault, built with Fyne. It never
// creates the Fyne application (main does), so every view runs under fyne/test.
// The clock and the timers are parameters (Config.Now, Config.After), so tests pass
// times instead of sleeping.
package app

import (
	"context"
	"errors"
	"image"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	"github.com/wardauth/ward/icons"
	"github.com/wardauth/ward/scanner"
	"github.com/wardauth/ward/vault"
)

// AppIcon is Ward's icon as a Fyne resource.
var AppIcon = fyne.NewStaticResource("ward.png", icons.App)

// Config is what the window needs from main: how to open or create the vault, the
// clock, timers and the screen.
type Config struct {
	Path           string
	Open           func() (*vault.Vault, error)                  // through the keyring
	OpenPassphrase func(string) (*vault.Vault, error)            // with the recovery passphrase
	Create         func(passphrase string) (*vault.Vault, error) // first run

	// Keyring is where the window keeps the vault's key when the user asks it to
	// (first run, settings); nil when the user turned the keyring off.
	Keyring vault.Keyring

	Now     func() time.Time                                // default time.Now
	After   func(d time.Duration, f func()) (cancel func()) // run f on the UI after d; default a timer
	Capture func(scanner.CaptureOptions) (image.Image, error)

	// Go runs slow work (screen capture, the clock check, scrypt) off the UI
	// thread; default a goroutine. Tests run it inline.
	Go func(func())

	// ClipboardImage reads an image from the clipboard (Fyne's clipboard is text
	// only); nil when the desktop offers no way.
	ClipboardImage func(context.Context) (image.Image, error)

	// CheckClock measures how far the local clock is from a time server (what to
	// add to it); nil turns the clock check off (tests).
	CheckClock func(context.Context) (time.Duration, error)

	// ColorScheme starts following the desktop's colour scheme: it calls changed,
	// on the UI thread, with whether the desktop prefers dark, once known and at
	// every change. nil: the desktop is taken as light.
	ColorScheme func(changed func(dark bool))

	// MachineName is this computer's name for the others in a sync folder
	// (WARD_MACHINE_NAME); "" is the host name.
	MachineName string
	// NoWatcher: no file watcher on the sync folder; Tick looks at its listing
	// (tests, which drive the clock).
	NoWatcher bool

	// Links are the otpauth:// or otpauth-migration:// links Ward was started with
	// (a browser opens them with Ward): the window shows the accounts found and asks
	// before adding, once the vault is open.
	Links []string
	// Arrivals starts delivering what later starts of Ward hand to this window
	// (internal/single): receive, callable from any goroutine, takes their
	// arguments: links to offer as Links are, or none to come to the front. nil:
	// no other start reaches this window (tests).
	Arrivals func(receive func(args []string))
}

// UI is the window's content. Its widgets are fields so tests can reach them.
type UI struct {
	cfg  Config
	win  fyne.Window
	root *fyne.Container

	vault      *vault.Vault
	codes      *codesView
	set        settings
	lastActive time.Time     // for the auto-lock
	offset     time.Duration // the clock's measured error: add it to get the true time
	systemDark bool          // the desktop prefers a dark look (Config.ColorScheme)
	links      []string      // links handed to the window, offered once the vault is open
	sync       syncState     // the sync through a folder (sync.go)
	team       *teamView     // the Team page, once shown, and the server it hosts (team.go)

	// The unlock and first-run screens.
	Passphrase, Repeat *widget.Entry
	Remember           *widget.Check
	Unlock, CreateBtn  *widget.Button
	Message            *widget.Label
	Strength           *widget.Label
	JoinFolder         *widget.Entry // the first screen's join (sync.go)
	JoinBtn            *widget.Button
}

// New builds the window's content: the codes if the keyring opens the vault, the
// passphrase screen if it is locked, the welcome screen if there is no vault yet.
func New(win fyne.Window, cfg Config) *UI {
	loadTranslations()
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.After == nil {
		cfg.After = func(d time.Duration, f func()) func() {
			t := time.AfterFunc(d, func() { fyne.Do(f) })
			return func() { t.Stop() }
		}
	}
	if cfg.Go == nil {
		cfg.Go = func(f func()) { go f() }
	}
	u := &UI{cfg: cfg, win: win, root: container.NewStack(), set: loadSettings(fyne.CurrentApp().Preferences())}
	if win != nil {
		win.SetOnClosed(u.closeTeam) // the hosted server stops with the window
	}
	u.applyTheme()
	u.links = cfg.Links
	if cfg.ColorScheme != nil {
		cfg.ColorScheme(u.systemScheme)
	}
	v, err := cfg.Open()
	switch {
	case err == nil:
		u.showCodes(v)
	case errors.Is(err, vault.ErrLocked):
		u.showUnlock(lang.L("The keyring does not hold this vault's key. Enter the recovery passphrase to open it."))
	case errors.Is(err, vault.ErrNoVault) && cfg.Create != nil:
		u.showWelcome()
	default:
		u.showMessage(err)
	}
	return u
}

// Content is what the window shows.
func (u *UI) Content() fyne.CanvasObject { return u.root }

func (u *UI) show(o fyne.CanvasObject) {
	u.root.Objects = []fyne.CanvasObject{o}
	u.root.Refresh()
}

// Tick brings every visible code and countdown to time now, and locks the vault
// when it has been idle for the auto-lock time.
func (u *UI) Tick(now time.Time) {
	if u.codes == nil {
		return
	}
	if u.set.autoLock > 0 && now.Sub(u.lastActive) >= u.set.autoLock {
		u.Lock()
		return
	}
	u.codes.tick(now.Add(u.correction()))
	u.pollSync(now)
	if u.teamVisible() {
		u.team.tick(now)
	}
}

// codeTime is the time codes are made for: the clock, corrected if the user asked.
func (u *UI) codeTime() time.Time { return u.cfg.Now().Add(u.correction()) }

func (u *UI) correction() time.Duration {
	if u.set.correct {
		return u.offset
	}
	return 0
}

// touch records that the user did something, for the auto-lock.
func (u *UI) touch() { u.lastActive = u.cfg.Now() }

// Start ticks once a second until the window closes.
func (u *UI) Start() {
	lc := fyne.CurrentApp().Lifecycle()
	lc.SetOnEnteredForeground(func() {
		u.sync.hidden = false
		if u.teamVisible() { // back from a terminal's ward admin: show it at once
			u.team.reload()
		}
	})
	lc.SetOnExitedForeground(func() { u.sync.hidden = true })
	u.startTeam()
	if u.cfg.Arrivals != nil {
		u.cfg.Arrivals(func(args []string) { fyne.Do(func() { u.Arrived(args) }) })
	}
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for range t.C {
			fyne.Do(func() { u.Tick(u.cfg.Now()) })
		}
	}()
}

// Lock forgets the vault and its accounts and asks for the passphrase: the keyring
// opens Ward at start, but a lock is a lock.
func (u *UI) Lock() {
	if u.vault == nil {
		return
	}
	if u.codes != nil {
		u.codes.clearClipboard()
	}
	u.vault, u.codes = nil, nil
	u.stopSync()
	setTray(nil)
	u.showUnlock(lang.L("Enter the recovery passphrase to open it."))
}

func (u *UI) showCodes(v *vault.Vault) {
	u.vault = v
	u.touch()
	syncErr := u.attachSync(v)
	u.codes = newCodesView(u)
	u.show(u.codes.content)
	u.checkClock()
	u.codes.weeklyDrill()
	if syncErr != nil {
		u.codes.say(lang.L("Sync: {{.Error}}", args{"Error": errText(syncErr)}))
	}
	u.syncNotices(true)
	u.offerLinks()
	if u.win != nil {
		u.win.SetOnDropped(u.codes.dropped)
		u.win.Canvas().SetOnTypedRune(u.codes.typedRune)
		u.win.Canvas().SetOnTypedKey(u.codes.typedKey)
		for _, s := range u.codes.shortcuts() {
			u.win.Canvas().AddShortcut(s.shortcut, s.do)
		}
	}
}

// Arrived is what another start of Ward handed over: the window comes to the front
// and offers the accounts of the links, asking before adding them (now, or when
// the vault is unlocked).
func (u *UI) Arrived(links []string) {
	if u.win != nil {
		u.win.Show()
		u.win.RequestFocus()
	}
	u.links = append(u.links, links...)
	if u.codes != nil {
		u.offerLinks()
	} else if len(u.links) > 0 && u.Message != nil {
		u.Message.SetText(lang.L("A link to add is waiting: open the vault to see its accounts."))
	}
}

// offerLinks shows the accounts of the links waiting, and asks before adding.
func (u *UI) offerLinks() {
	if len(u.links) == 0 || u.codes == nil {
		return
	}
	links := u.links
	u.links = nil
	source := "the link"
	if len(links) > 1 {
		source = "the links"
	}
	u.codes.addFound(links, source, true)
}
