package app

import (
	"errors"
	"fmt"
	"image"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/wardauth/ward/scanner"
	"github.com/wardauth/ward/vault"
)

// showAdd offers the ways to add an account.
func (c *codesView) showAdd() {
	var d dialog.Dialog
	choice := func(label string, icon fyne.Resource, f func()) *widget.Button {
		b := widget.NewButtonWithIcon(label, icon, func() { d.Hide(); f() })
		b.Alignment = widget.ButtonAlignLeading
		return b
	}
	box := container.NewVBox(
		choice("Scan the screen", theme.ComputerIcon(), c.scanScreen),
		choice("Open an image file\u2026", theme.FileImageIcon(), c.openImage),
		choice("Paste a link (Ctrl+V)", theme.ContentPasteIcon(), c.pasteLink),
		choice("Enter the key manually\u2026", theme.DocumentCreateIcon(), c.showManual),
	)
	d = dialog.NewCustom("Add an account", "Cancel", box, c.u.win)
	d.Show()
}

// pasteLink adds the otpauth or transfer links on the clipboard.
func (c *codesView) pasteLink() {
	text := strings.TrimSpace(fyne.CurrentApp().Clipboard().Content())
	if text == "" {
		c.say("The clipboard is empty. Copy an otpauth:// link first.")
		return
	}
	c.addTexts(strings.Fields(text), "the clipboard")
}

func (c *codesView) openImage() {
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil || r == nil {
			return
		}
		defer r.Close()
		img, _, err := image.Decode(r)
		if err != nil {
			c.say(r.URI().Name() + " is not an image Ward can read (PNG, JPEG, GIF, BMP or WebP).")
			return
		}
		c.decodeAndAdd(img, r.URI().Name())
	}, c.u.win)
	d.SetFilter(storage.NewExtensionFileFilter([]string{".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp"}))
	d.Show()
}

// scanScreen hides the window, captures every monitor, and adds what it finds.
func (c *codesView) scanScreen() {
	if c.u.cfg.Capture == nil {
		c.say("Screen capture is not available here.")
		return
	}
	c.say("Scanning the screen\u2026")
	go func() {
		img, err := c.u.cfg.Capture(scanner.CaptureOptions{Hide: c.hideWindow})
		fyne.Do(func() {
			if err != nil {
				c.say(err.Error())
				return
			}
			c.decodeAndAdd(img, "the screen")
		})
	}()
}

// hideWindow takes the window off the screen for a capture; it runs on the
// capture's goroutine, so it waits for the UI to act.
func (c *codesView) hideWindow() func() {
	if c.u.win == nil {
		return func() {}
	}
	fyne.DoAndWait(c.u.win.Hide)
	return func() { fyne.Do(c.u.win.Show) }
}

func (c *codesView) decodeAndAdd(img image.Image, source string) {
	texts, err := scanner.Decode(img)
	if errors.Is(err, scanner.ErrNoCode) {
		c.say("No QR code found in " + source + ".")
		return
	}
	c.addTexts(texts, source)
}

// addTexts turns QR or clipboard texts into accounts and adds them, reporting what
// was added, what was already there, and what was no account.
func (c *codesView) addTexts(texts []string, source string) {
	var accounts []vault.Account
	var notes []string
	var tr vault.Transfer
	for _, t := range texts {
		lower := strings.ToLower(t)
		switch {
		case strings.HasPrefix(lower, "otpauth://"):
			a, err := vault.ParseURI(t)
			if err != nil {
				notes = append(notes, err.Error())
				continue
			}
			accounts = append(accounts, a)
		case strings.HasPrefix(lower, "otpauth-migration:"):
			b, err := vault.ParseMigration(t)
			if err != nil {
				notes = append(notes, err.Error())
				continue
			}
			tr.Add(b)
		default:
			notes = append(notes, "A code in "+source+" is "+scanner.Describe(t)+", not an account.")
		}
	}
	accounts = append(accounts, tr.Accounts()...)
	for _, s := range tr.Skipped() {
		notes = append(notes, "Skipped "+s+".")
	}
	for _, m := range tr.Missing() {
		notes = append(notes, "The Google Authenticator export is incomplete: "+m+" is missing. Scan it too.")
	}
	var added, present []string
	if len(accounts) > 0 {
		c.change("", func(d *vault.Doc) error {
			added, present = added[:0], present[:0]
			for _, a := range accounts {
				got, ok, err := d.Add(a, c.u.cfg.Now())
				if err != nil {
					return err
				}
				if ok {
					added = append(added, got.Label())
				} else {
					present = append(present, got.Label())
				}
			}
			return nil
		})
	}
	var msg []string
	if len(added) > 0 {
		msg = append(msg, "Added "+strings.Join(added, ", ")+".")
	}
	if len(present) > 0 {
		msg = append(msg, "Already in Ward: "+strings.Join(present, ", ")+".")
	}
	msg = append(msg, notes...)
	if len(accounts) == 0 && len(notes) == 0 {
		msg = append(msg, "No account found in "+source+".")
	}
	c.say(strings.Join(msg, " "))
}

// manualForm is the "enter the key" form; its fields are exported to tests through
// the view.
type manualForm struct {
	Issuer, Name, Key       *widget.Entry
	Type, Algorithm         *widget.Select
	Digits, Period, Counter *widget.Entry
	Preview, Problem        *widget.Label
	Save                    *widget.Button
	account                 vault.Account
	valid                   bool
}

// showManual opens the form to type an account's key, as the help pages call it.
func (c *codesView) showManual() {
	f := c.newManualForm()
	var d dialog.Dialog
	f.Save.OnTapped = func() {
		if !f.valid {
			return
		}
		d.Hide()
		a := f.account
		c.change("", func(doc *vault.Doc) error {
			got, ok, err := doc.Add(a, c.u.cfg.Now())
			if err == nil && !ok {
				c.say(got.Label() + " is already in Ward.")
			} else if err == nil {
				c.say("Added " + got.Label() + ".")
			}
			return err
		})
	}
	advanced := widget.NewAccordion(widget.NewAccordionItem("Advanced", widget.NewForm(
		widget.NewFormItem("Type", f.Type), widget.NewFormItem("Algorithm", f.Algorithm),
		widget.NewFormItem("Digits", f.Digits), widget.NewFormItem("Period (s)", f.Period),
		widget.NewFormItem("Counter", f.Counter))))
	form := widget.NewForm(widget.NewFormItem("Service", f.Issuer), widget.NewFormItem("Account name", f.Name),
		widget.NewFormItem("Key", f.Key))
	body := container.NewVBox(form, advanced, f.Preview, f.Problem)
	d = dialog.NewCustomWithoutButtons("Enter the key", container.NewBorder(nil,
		container.NewHBox(widget.NewButton("Cancel", func() { d.Hide() }), f.Save), nil, nil, body), c.u.win)
	d.Resize(fyne.NewSize(420, 480))
	c.manual = f
	d.Show()
	c.u.focus(f.Issuer)
}

func (c *codesView) newManualForm() *manualForm {
	f := &manualForm{
		Issuer: widget.NewEntry(), Name: widget.NewEntry(), Key: widget.NewEntry(),
		Digits: widget.NewEntry(), Period: widget.NewEntry(), Counter: widget.NewEntry(),
		Preview: widget.NewLabel(""), Problem: widget.NewLabel(""),
	}
	f.Issuer.SetPlaceHolder("e.g. GitHub")
	f.Name.SetPlaceHolder("e.g. alice@example.com")
	f.Key.SetPlaceHolder("the key the site shows, e.g. JBSW Y3DP EHPK 3PXP")
	f.Problem.Wrapping = fyne.TextWrapWord
	f.Type = widget.NewSelect([]string{"totp", "hotp", "steam"}, nil)
	f.Algorithm = widget.NewSelect([]string{"SHA1", "SHA256", "SHA512"}, nil)
	f.Type.SetSelected("totp")
	f.Algorithm.SetSelected("SHA1")
	f.Digits.SetText("6")
	f.Period.SetText("30")
	f.Counter.SetText("0")
	f.Save = widget.NewButtonWithIcon("Add", theme.ConfirmIcon(), nil)
	f.Save.Importance = widget.HighImportance
	validate := func() { f.validate(c.u.cfg.Now) }
	for _, e := range []*widget.Entry{f.Issuer, f.Name, f.Key, f.Digits, f.Period, f.Counter} {
		e.OnChanged = func(string) { validate() }
	}
	f.Type.OnChanged = func(string) { validate() }
	f.Algorithm.OnChanged = func(string) { validate() }
	validate()
	return f
}

// validate checks the form as the user types, and previews the code.
func (f *manualForm) validate(now func() time.Time) {
	f.valid = false
	f.Save.Disable()
	f.Preview.SetText("")
	if strings.TrimSpace(f.Key.Text) == "" {
		f.Problem.SetText("Type the key the site shows beside its QR code.")
		return
	}
	sec, err := vault.ParseSecret(f.Key.Text)
	if err != nil {
		f.Problem.SetText("The key " + strings.TrimPrefix(err.Error(), "invalid account: ") + ".")
		return
	}
	num := func(e *widget.Entry, what string) (int, bool) {
		n, err := strconv.Atoi(strings.TrimSpace(e.Text))
		if err != nil {
			f.Problem.SetText(what + " must be a whole number.")
			return 0, false
		}
		return n, true
	}
	a := vault.Account{Type: vault.Type(f.Type.Selected), Issuer: f.Issuer.Text, Name: f.Name.Text, Secret: sec,
		Algorithm: vault.Algorithm(f.Algorithm.Selected)}
	var ok bool
	if a.Type != vault.Steam {
		if a.Digits, ok = num(f.Digits, "Digits"); !ok {
			return
		}
	}
	if a.Type != vault.HOTP {
		if a.Period, ok = num(f.Period, "The period"); !ok {
			return
		}
	} else {
		n, ok := num(f.Counter, "The counter")
		if !ok || n < 0 {
			f.Problem.SetText("The counter must be a whole number, 0 or more.")
			return
		}
		a.Counter = uint64(n)
	}
	a.Normalize()
	if err := a.Validate(); err != nil {
		msg := err.Error()
		f.Problem.SetText(strings.ToUpper(msg[:1]) + msg[1:] + ".")
		return
	}
	code, _ := a.Code(now())
	f.Preview.SetText(fmt.Sprintf("Code now: %s", Group(code)))
	f.Problem.SetText("")
	f.account, f.valid = a, true
	f.Save.Enable()
}
