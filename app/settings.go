package app

import (
	"context"
	"errors"
	"fmt"
	"image/color"
	"strconv"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/wardauth/ward/vault"
)

// Preference keys. Settings live in Fyne's preferences (per user, not in the
// vault), because they must be readable before the vault is unlocked.
const (
	prefClipboard = "clipboardSeconds" // 0: never clear
	prefAutoLock  = "autoLockMinutes"  // 0: never
	prefTheme     = "theme"            // "system", "light", "dark"
	prefClock     = "clockCheck"       // compare the clock with a time server
	prefCorrect   = "timeCorrection"   // apply the measured offset to codes
	// prefWindow is "width height" or "width height x y", one value so that it is
	// written in one save: Fyne saves the file on every change and reloads it when
	// its watcher sees a write, so separate keys set one after another could be
	// overwritten in memory by the file of the first save before the last is written.
	prefWindow = "window"
)

// settings are the user's choices, read from the preferences.
type settings struct {
	clipboard time.Duration
	autoLock  time.Duration
	theme     string
	clock     bool
	correct   bool
}

func loadSettings(p fyne.Preferences) settings {
	return settings{
		clipboard: time.Duration(p.IntWithFallback(prefClipboard, 30)) * time.Second,
		autoLock:  time.Duration(p.IntWithFallback(prefAutoLock, 5)) * time.Minute,
		theme:     p.StringWithFallback(prefTheme, "system"),
		// Off until the user turns it on: Ward makes no network connection unasked.
		clock:   p.BoolWithFallback(prefClock, false),
		correct: p.BoolWithFallback(prefCorrect, false),
	}
}

// applyTheme sets the theme in the variant chosen: light, dark, or the system's
// ("system"), as the desktop's colour scheme last said (light until it says,
// and where it never does).
func (u *UI) applyTheme() {
	v := theme.VariantLight
	switch {
	case u.set.theme == "dark", u.set.theme != "light" && u.systemDark:
		v = theme.VariantDark
	}
	fyne.CurrentApp().Settings().SetTheme(forcedTheme{theme.DefaultTheme(), v})
}

// systemScheme is the desktop's colour scheme, as Config.ColorScheme reports it.
func (u *UI) systemScheme(dark bool) {
	if dark == u.systemDark {
		return
	}
	u.systemDark = dark
	if u.set.theme != "light" && u.set.theme != "dark" {
		u.applyTheme()
	}
}

// forcedTheme is the default theme in one variant, whatever variant Fyne asks
// for: Fyne's own idea of the system's variant is not always the desktop's.
type forcedTheme struct {
	fyne.Theme
	variant fyne.ThemeVariant
}

func (t forcedTheme) Color(n fyne.ThemeColorName, _ fyne.ThemeVariant) color.Color {
	return t.Theme.Color(n, t.variant)
}

// Positioner reads and sets the window's place on the screen, where the desktop
// allows it (X11; under Wayland the compositor decides).
type Positioner interface {
	Position() (x, y int, err error)
	Move(x, y int) error
}

// RestoreWindow sizes and places the window as the user left it, and remembers
// both when it closes (the window's close button, or Ctrl+Q). Closing the window
// quits Ward: with a tray menu Fyne would keep running, invisible, on desktops
// that have no tray to show it. pos may be nil.
func RestoreWindow(w fyne.Window, p fyne.Preferences, fallback fyne.Size, pos Positioner) {
	width, height, x, y, placed := readPlace(p.String(prefWindow))
	if width <= 0 || height <= 0 {
		width, height = fallback.Width, fallback.Height
	}
	w.Resize(fyne.NewSize(width, height))
	if pos != nil && placed {
		fyne.CurrentApp().Lifecycle().SetOnStarted(func() {
			go func() { // the window maps a moment after the app starts (ends once placed)
				for range 200 {
					if pos.Move(x, y) == nil {
						return
					}
					time.Sleep(50 * time.Millisecond)
				}
			}()
		})
	}
	closeAndSave := func() {
		s := w.Canvas().Size()
		place := fmt.Sprintf("%g %g", s.Width, s.Height)
		if pos != nil {
			if x, y, err := pos.Position(); err == nil {
				place += fmt.Sprintf(" %d %d", x, y)
			}
		}
		p.SetString(prefWindow, place)
		w.Close()
		fyne.CurrentApp().Quit()
	}
	w.SetCloseIntercept(closeAndSave)
	w.Canvas().AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyQ, Modifier: fyne.KeyModifierShortcutDefault},
		func(fyne.Shortcut) { closeAndSave() })
}

// readPlace reads the prefWindow value; placed is false when it holds no position.
func readPlace(s string) (width, height float32, x, y int, placed bool) {
	n, _ := fmt.Sscanf(s, "%g %g %d %d", &width, &height, &x, &y)
	return width, height, x, y, n == 4
}

// settingsForm is the settings dialog's content; fields exported to tests.
type settingsForm struct {
	Clipboard, AutoLock *widget.Select
	Theme               *widget.Select
	Keyring             *widget.Check
	Clock, Correct      *widget.Check
	Message             *widget.Label
}

var (
	clipboardChoices = []string{"10 s", "30 s", "1 min", "2 min", "never"}
	autoLockChoices  = []string{"1 min", "5 min", "15 min", "1 h", "never"}
	themeChoices     = []string{"system", "light", "dark"}
)

func durationChoice(d time.Duration, never bool) string {
	switch {
	case never:
		return "never"
	case d >= time.Hour:
		return strconv.Itoa(int(d.Hours())) + " h"
	case d >= time.Minute:
		return strconv.Itoa(int(d.Minutes())) + " min"
	}
	return strconv.Itoa(int(d.Seconds())) + " s"
}

func parseChoice(s string) time.Duration {
	if s == "never" {
		return 0
	}
	var n int
	var unit string
	fmt.Sscanf(s, "%d %s", &n, &unit)
	switch unit {
	case "h":
		return time.Duration(n) * time.Hour
	case "min":
		return time.Duration(n) * time.Minute
	}
	return time.Duration(n) * time.Second
}

func (c *codesView) newSettingsForm() *settingsForm {
	u := c.u
	p := fyne.CurrentApp().Preferences()
	f := &settingsForm{Message: wrapped("")}
	// Each choice is shown first and listened to after, so opening the dialog
	// changes nothing.
	f.Clipboard = widget.NewSelect(choiceLabels(clipboardChoices), nil)
	f.Clipboard.SetSelected(choiceLabel(durationChoice(u.set.clipboard, u.set.clipboard == 0)))
	f.Clipboard.OnChanged = func(s string) {
		u.set.clipboard = parseChoice(choiceValue(clipboardChoices, s))
		p.SetInt(prefClipboard, int(u.set.clipboard.Seconds()))
	}
	f.AutoLock = widget.NewSelect(choiceLabels(autoLockChoices), nil)
	f.AutoLock.SetSelected(choiceLabel(durationChoice(u.set.autoLock, u.set.autoLock == 0)))
	f.AutoLock.OnChanged = func(s string) {
		u.set.autoLock = parseChoice(choiceValue(autoLockChoices, s))
		p.SetInt(prefAutoLock, int(u.set.autoLock.Minutes()))
	}
	f.Theme = widget.NewSelect(choiceLabels(themeChoices), nil)
	f.Theme.SetSelected(choiceLabel(u.set.theme))
	f.Theme.OnChanged = func(label string) {
		s := choiceValue(themeChoices, label)
		u.set.theme = s
		p.SetString(prefTheme, s)
		u.applyTheme()
	}
	f.Clock = widget.NewCheck(lang.L("Check the clock against a time server"), nil)
	f.Clock.SetChecked(u.set.clock)
	f.Clock.OnChanged = func(on bool) {
		u.set.clock = on
		p.SetBool(prefClock, on)
		if on {
			u.checkClock()
		}
	}
	f.Correct = widget.NewCheck(lang.L("Correct the codes by the clock's measured error"), nil)
	f.Correct.SetChecked(u.set.correct)
	f.Correct.OnChanged = func(on bool) { u.setCorrection(on) }
	f.Keyring = widget.NewCheck(lang.L("Remember on this computer"), nil)
	f.Keyring.SetChecked(u.cfg.Keyring != nil && u.remembered())
	if u.cfg.Keyring == nil {
		f.Keyring.Disable()
	}
	f.Keyring.OnChanged = func(on bool) {
		var err error
		if on {
			err = u.vault.Remember(u.cfg.Keyring)
		} else {
			err = u.vault.Forget(u.cfg.Keyring)
		}
		if err != nil {
			f.Message.SetText(lang.L("The keyring did not answer: {{.Error}}", args{"Error": errText(err)}))
		} else if on {
			f.Message.SetText(lang.L("The key is in the keyring: Ward opens without the passphrase on this computer."))
		} else {
			f.Message.SetText(lang.L("The key is gone from the keyring: Ward will ask for the passphrase."))
		}
	}
	return f
}

// remembered reports whether the keyring holds this vault's key.
func (u *UI) remembered() bool {
	if u.cfg.Keyring == nil || u.vault == nil {
		return false
	}
	_, err := vault.Open(u.vault.Path(), u.cfg.Keyring)
	return err == nil
}

func (c *codesView) showSettings() {
	f := c.newSettingsForm()
	lockNote := wrapped(lang.L("Remembered, the keyring opens Ward when it starts. Once locked (Ctrl+L, or " +
		"after the idle time) Ward always asks for the recovery passphrase."))
	passwd := widget.NewButtonWithIcon(lang.L("Change the recovery passphrase\u2026"), theme.AccountIcon(), c.showChangePassphrase)
	form := widget.NewForm(
		widget.NewFormItem(lang.L("Clear the clipboard after"), f.Clipboard),
		widget.NewFormItem(lang.L("Lock when idle for"), f.AutoLock),
		widget.NewFormItem(lang.L("Theme"), f.Theme),
	)
	d := dialog.NewCustom(lang.L("Settings"), lang.L("Close"), container.NewVScroll(container.NewVBox(form, f.Clock, f.Correct, lockNote,
		f.Keyring, passwd, f.Message, c.backupSettings(), c.syncSettings())), c.u.win)
	d.SetOnClosed(func() { c.u.sync.form = nil })
	d.Resize(fyne.NewSize(420, 540))
	d.Show()
}

// showChangePassphrase asks for the current passphrase and the new one twice. The
// slow scrypt runs off the UI thread.
func (c *codesView) showChangePassphrase() {
	cur, next, again := widget.NewPasswordEntry(), widget.NewPasswordEntry(), widget.NewPasswordEntry()
	items := []*widget.FormItem{
		widget.NewFormItem(lang.L("Current passphrase"), cur), widget.NewFormItem(lang.L("New passphrase"), next),
		widget.NewFormItem(lang.L("Repeat it"), again),
	}
	hint := widget.NewLabel("")
	next.OnChanged = func(s string) { hint.SetText(StrengthHint(s)) }
	items = append(items, widget.NewFormItem("", hint))
	c.passwd = &passwdForm{Current: cur, New: next, Repeat: again}
	c.passwd.dialog = dialog.NewForm(lang.L("Change the recovery passphrase"), lang.L("Change"), lang.L("Cancel"), items, func(ok bool) {
		if !ok {
			return
		}
		if next.Text != again.Text {
			c.say(lang.L("The two new passphrases differ; nothing was changed."))
			return
		}
		c.say(lang.L("Changing the passphrase\u2026"))
		v, kr, path := c.u.vault, c.u.cfg.Keyring, c.u.vault.Path()
		remember := c.u.remembered()
		c.u.cfg.Go(func() {
			_, err := vault.OpenWithPassphrase(path, cur.Text)
			if errors.Is(err, vault.ErrWrongPassphrase) {
				err = errors.New(lang.L("the current passphrase is wrong"))
			}
			if err == nil {
				if !remember {
					kr = nil
				}
				err = v.ChangePassphrase(next.Text, kr)
			}
			fyne.Do(func() {
				if err != nil {
					c.say(lang.L("Nothing was changed: {{.Error}}", args{"Error": errText(err)}))
					return
				}
				c.say(lang.L("The recovery passphrase is changed. Keep the new one safe."))
			})
		})
	}, c.u.win)
	c.passwd.dialog.Show()
}

// passwdForm is the open "change the passphrase" dialog, for tests.
type passwdForm struct {
	Current, New, Repeat *widget.Entry
	dialog               *dialog.FormDialog
}

// clockTolerance is how far off the clock may be before Ward warns: sites accept
// codes a step (30 s) early or late at best, many only a few seconds.
const clockTolerance = 10 * time.Second

// checkClock measures the clock against a time server, off the UI thread, and warns
// in the codes view when it is off by more than clockTolerance.
func (u *UI) checkClock() {
	if !u.set.clock || u.cfg.CheckClock == nil {
		return
	}
	u.cfg.Go(func() {
		offset, err := u.cfg.CheckClock(context.Background())
		fyne.Do(func() {
			if err != nil {
				return // no network is no reason to alarm anyone
			}
			u.offset = offset
			u.showClock()
		})
	})
}

// showClock shows or hides the clock warning.
func (u *UI) showClock() {
	c := u.codes
	if c == nil {
		return
	}
	if u.offset.Abs() <= clockTolerance {
		c.clockBanner.Hide()
		return
	}
	secs := args{"Seconds": int(u.offset.Abs().Round(time.Second).Seconds())}
	behind := u.offset >= 0
	switch {
	case u.set.correct && behind:
		c.ClockNote.SetText(lang.L("This computer's clock is {{.Seconds}} s behind the time server's. Ward corrects the codes for it.", secs))
	case u.set.correct:
		c.ClockNote.SetText(lang.L("This computer's clock is {{.Seconds}} s ahead of the time server's. Ward corrects the codes for it.", secs))
	case behind:
		c.ClockNote.SetText(lang.L("This computer's clock is {{.Seconds}} s behind the time server's: sites may refuse these codes.", secs))
	default:
		c.ClockNote.SetText(lang.L("This computer's clock is {{.Seconds}} s ahead of the time server's: sites may refuse these codes.", secs))
	}
	if u.set.correct {
		c.FixClock.Hide()
	} else {
		c.FixClock.Show()
	}
	c.clockBanner.Show()
}

// setCorrection turns the time correction on or off.
func (u *UI) setCorrection(on bool) {
	u.set.correct = on
	fyne.CurrentApp().Preferences().SetBool(prefCorrect, on)
	u.showClock()
	u.Tick(u.cfg.Now())
}
