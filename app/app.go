// Package app is Ward's window: views over the vault, built with Fyne. It never
// creates the Fyne application (main does), so every view runs under fyne/test.
package app

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/wardauth/ward/icons"
	"github.com/wardauth/ward/vault"
)

// AppIcon is Ward's icon as a Fyne resource.
var AppIcon = fyne.NewStaticResource("ward.png", icons.App)

// Opener unlocks the vault for the window.
type Opener struct {
	Path           string
	Open           func() (*vault.Vault, error)       // through the keyring
	OpenPassphrase func(string) (*vault.Vault, error) // with the recovery passphrase
}

// UI is the window's content. Its widgets are fields so tests can reach them.
type UI struct {
	win    fyne.Window
	opener Opener
	root   *fyne.Container

	vault    *vault.Vault
	accounts []vault.Account
	rows     []*row
	List     *fyne.Container

	Passphrase *widget.Entry
	Unlock     *widget.Button
	Message    *widget.Label
}

// New builds the window's content: the codes if the keyring opens the vault, the
// passphrase screen if it is locked, an explanation if there is no vault.
func New(win fyne.Window, o Opener) *UI {
	u := &UI{win: win, opener: o, root: container.NewStack()}
	v, err := o.Open()
	switch {
	case err == nil:
		u.showCodes(v)
	case errors.Is(err, vault.ErrLocked):
		u.showUnlock("")
	default:
		u.showMessage(err)
	}
	return u
}

// Content is what the window shows.
func (u *UI) Content() fyne.CanvasObject { return u.root }

func (u *UI) showMessage(err error) {
	text := "Ward could not open the vault: " + err.Error()
	if errors.Is(err, vault.ErrNoVault) {
		text = "There is no vault at " + u.opener.Path + " yet.\nCreate one with: ward init"
	}
	u.Message = widget.NewLabel(text)
	u.Message.Wrapping = fyne.TextWrapWord
	u.root.Objects = []fyne.CanvasObject{container.NewPadded(container.NewVBox(layout.NewSpacer(), u.Message, layout.NewSpacer()))}
	u.root.Refresh()
}

func (u *UI) showUnlock(problem string) {
	u.Passphrase = widget.NewPasswordEntry()
	u.Passphrase.SetPlaceHolder("Recovery passphrase")
	u.Message = widget.NewLabel(problem)
	u.Message.Wrapping = fyne.TextWrapWord
	u.Unlock = widget.NewButtonWithIcon("Unlock", theme.LoginIcon(), u.tryUnlock)
	u.Unlock.Importance = widget.HighImportance
	u.Passphrase.OnSubmitted = func(string) { u.tryUnlock() }
	title := widget.NewLabelWithStyle("Ward is locked", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	hint := widget.NewLabel("The keyring does not hold this vault's key. Enter the recovery passphrase to open it.")
	hint.Wrapping = fyne.TextWrapWord
	icon := canvas.NewImageFromResource(AppIcon)
	icon.FillMode = canvas.ImageFillContain
	icon.SetMinSize(fyne.NewSize(72, 72))
	form := container.NewVBox(icon, title, hint, u.Passphrase, u.Unlock, u.Message)
	u.root.Objects = []fyne.CanvasObject{container.NewPadded(container.NewVBox(layout.NewSpacer(), form, layout.NewSpacer()))}
	u.root.Refresh()
	if u.win != nil {
		u.win.Canvas().Focus(u.Passphrase)
	}
}

func (u *UI) tryUnlock() {
	v, err := u.opener.OpenPassphrase(u.Passphrase.Text)
	if err != nil {
		// A calm message; nothing else changes.
		msg := err.Error()
		if errors.Is(err, vault.ErrWrongPassphrase) {
			msg = "That passphrase does not open this vault. Try again."
		}
		u.Message.SetText(msg)
		u.Passphrase.SetText("")
		return
	}
	u.showCodes(v)
}

// row is one account in the list.
type row struct {
	account   vault.Account
	Code      *canvas.Text
	Countdown *widget.Label
	code      string
	left      int
}

func (u *UI) showCodes(v *vault.Vault) {
	u.vault = v
	u.accounts = v.Accounts()
	u.rows = nil
	u.List = container.NewVBox()
	for _, a := range u.accounts {
		r := &row{account: a}
		title, sub := a.Issuer, a.Name
		if title == "" {
			title, sub = a.Name, ""
		}
		issuer := canvas.NewText(title, theme.Color(theme.ColorNameForeground))
		issuer.TextStyle = fyne.TextStyle{Bold: true}
		issuer.TextSize = theme.TextSize() + 1
		name := canvas.NewText(sub, theme.Color(theme.ColorNamePlaceHolder))
		r.Code = canvas.NewText("", theme.Color(theme.ColorNamePrimary))
		r.Code.TextSize = 28
		r.Code.TextStyle = fyne.TextStyle{Bold: true}
		r.Code.Alignment = fyne.TextAlignTrailing
		r.Countdown = widget.NewLabel("")
		r.Countdown.Alignment = fyne.TextAlignTrailing
		// A fixed-width countdown column keeps the codes aligned down the list.
		countdown := container.New(layout.NewGridWrapLayout(fyne.NewSize(96, 36)), r.Countdown)
		left := container.NewPadded(container.NewVBox(issuer, name))
		right := container.NewHBox(container.NewCenter(r.Code), container.NewCenter(countdown))
		u.List.Add(container.NewBorder(nil, nil, nil, right, left))
		u.List.Add(widget.NewSeparator())
		u.rows = append(u.rows, r)
	}
	var body fyne.CanvasObject = container.NewVScroll(u.List)
	if len(u.accounts) == 0 {
		body = container.NewCenter(widget.NewLabel("No accounts yet. Add one with: ward add otpauth://…"))
	}
	u.root.Objects = []fyne.CanvasObject{body}
	u.Tick(time.Now())
	u.root.Refresh()
}

// Tick brings every code and countdown to time now, redrawing only what changed.
func (u *UI) Tick(now time.Time) {
	for _, r := range u.rows {
		code, left := "", 0
		switch c, err := r.account.Code(now); {
		case err != nil:
			code = "error"
		case r.account.Type == vault.HOTP:
			code = Group(c)
		default:
			code = Group(c)
			left = int((r.account.Remaining(now) + time.Second - 1) / time.Second)
		}
		if code != r.code {
			r.code = code
			r.Code.Text = code
			r.Code.Refresh()
		}
		if left != r.left || r.Countdown.Text == "" {
			r.left = left
			if r.account.Type == vault.HOTP {
				r.Countdown.SetText("counter " + strconv.FormatUint(r.account.Counter, 10))
			} else {
				r.Countdown.SetText(strconv.Itoa(left) + " s")
			}
		}
	}
}

// Start ticks once a second until the window closes.
func (u *UI) Start() {
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for now := range t.C {
			fyne.Do(func() { u.Tick(now) })
		}
	}()
}

// Group splits a code for reading: "123 456", "1234 5678", "12 345 678" for 7.
func Group(code string) string {
	switch len(code) {
	case 6, 9:
		return groups(code, 3)
	case 8, 10:
		return groups(code, 4)
	case 7:
		return code[:1] + " " + groups(code[1:], 3)
	}
	return code
}

func groups(s string, n int) string {
	var parts []string
	for len(s) > n {
		parts, s = append(parts, s[:n]), s[n:]
	}
	return strings.Join(append(parts, s), " ")
}
