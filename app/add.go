package app

import (
	"context"
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
		choice("Paste a link or an image (Ctrl+V)", theme.ContentPasteIcon(), c.pasteLink),
		choice("Enter the key manually\u2026", theme.DocumentCreateIcon(), c.showManual),
		choice("Import another app's export or a backup\u2026", theme.FolderOpenIcon(), c.showImport),
	)
	d = dialog.NewCustom("Add an account", "Cancel", box, c.u.win)
	d.Show()
}

// pasteLink adds the otpauth or transfer links on the clipboard or, when it holds
// no text, the QR codes in the image on it.
func (c *codesView) pasteLink() {
	text := strings.TrimSpace(fyne.CurrentApp().Clipboard().Content())
	if text != "" {
		c.addTexts(strings.Fields(text), "the clipboard")
		return
	}
	if c.u.cfg.ClipboardImage == nil {
		c.say("The clipboard is empty. Copy an otpauth:// link or a QR code's image first.")
		return
	}
	c.u.cfg.Go(func() {
		img, err := c.u.cfg.ClipboardImage(context.Background())
		fyne.Do(func() {
			if err != nil {
				c.say("The clipboard holds no link and no image. Copy an otpauth:// link or a QR code's image first.")
				return
			}
			c.decodeAndAdd(img, "the clipboard's image")
		})
	})
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
	c.u.cfg.Go(func() {
		img, err := c.u.cfg.Capture(scanner.CaptureOptions{Hide: c.hideWindow})
		fyne.Do(func() {
			if err != nil {
				c.say(err.Error())
				return
			}
			c.decodeAndAdd(img, "the screen")
		})
	})
}

// hideWindow takes the window off the screen for a capture; it runs on the
// capture's goroutine, so it waits for the UI to act.
func (c *codesView) hideWindow() func() {
	if c.u.win == nil {
		return func() {}
	}
	fyne.DoAndWait(c.u.win.Hide)
	time.Sleep(200 * time.Millisecond) // for the desktop to repaint what was under it
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
	c.offer(accounts, notes, source)
}

// candidate is an account found, against what the vault holds.
type candidate struct {
	account vault.Account
	same    *vault.Account // an account in Ward with the same key, if any
}

// offer adds what was found. One new account is added at once; one with the key of
// an account already in Ward asks "update or skip"; several are offered as a list
// with a checkbox each.
func (c *codesView) offer(accounts []vault.Account, notes []string, source string) {
	var cands []candidate
	var present []string
	for _, a := range accounts {
		a.Normalize()
		var same *vault.Account
		for i := range c.all {
			if c.all[i].Secret.Equal(a.Secret) {
				same = &c.all[i]
				break
			}
		}
		if same != nil && same.SameKey(&a) && same.Issuer == a.Issuer && same.Name == a.Name {
			present = append(present, same.Label())
			continue
		}
		cands = append(cands, candidate{a, same})
	}
	if len(present) > 0 {
		notes = append([]string{"Already in Ward: " + strings.Join(present, ", ") + "."}, notes...)
	}
	switch {
	case len(cands) == 0 && len(notes) == 0:
		c.say("No account found in " + source + ".")
	case len(cands) == 0:
		c.say(strings.Join(notes, " "))
	case len(cands) == 1 && cands[0].same == nil:
		c.save(cands, notes)
	case len(cands) == 1:
		c.askUpdate(cands[0], notes)
	default:
		c.showPick(cands, notes, source)
	}
}

// save adds the new accounts and updates the existing ones the candidates stand
// for, in one change, and says what happened.
func (c *codesView) save(cands []candidate, notes []string) {
	var added, updated []string
	ok := c.change("", func(d *vault.Doc) error {
		added, updated = added[:0], updated[:0]
		for _, cd := range cands {
			if cd.same != nil {
				acc, err := d.Get(cd.same.ID)
				if err != nil {
					return err
				}
				n := cd.account
				acc.Type, acc.Issuer, acc.Name, acc.Algorithm = n.Type, n.Issuer, n.Name, n.Algorithm
				acc.Digits, acc.Period, acc.Counter, acc.Secret = n.Digits, n.Period, n.Counter, n.Secret
				acc.Updated = c.u.cfg.Now().UTC()
				updated = append(updated, acc.Label())
				continue
			}
			got, _, err := d.Add(cd.account, c.u.cfg.Now())
			if err != nil {
				return err
			}
			added = append(added, got.Label())
		}
		return nil
	})
	if !ok {
		return
	}
	var msg []string
	if len(added) > 0 {
		msg = append(msg, "Added "+strings.Join(added, ", ")+".")
	}
	if len(updated) > 0 {
		msg = append(msg, "Updated "+strings.Join(updated, ", ")+".")
	}
	c.say(strings.Join(append(msg, notes...), " "))
}

// askUpdate offers to update an account that has the key of the one found.
func (c *codesView) askUpdate(cd candidate, notes []string) {
	c.dup = dialog.NewConfirm("Already in Ward",
		fmt.Sprintf("%s has the same key as %s, which is already in Ward. Update %s with the details found, or skip it?",
			cd.account.Label(), cd.same.Label(), cd.same.Label()),
		func(update bool) {
			if update {
				c.save([]candidate{cd}, notes)
			} else {
				c.say(strings.Join(append([]string{"Skipped " + cd.account.Label() + "."}, notes...), " "))
			}
		}, c.u.win)
	c.dup.SetConfirmText("Update")
	c.dup.SetDismissText("Skip")
	c.dup.Show()
}

// pickList is the dialog that offers several accounts found; fields for tests.
type pickList struct {
	Checks []*widget.Check
	Add    *widget.Button
	cands  []candidate
}

func (c *codesView) showPick(cands []candidate, notes []string, source string) {
	p := &pickList{cands: cands}
	box := container.NewVBox()
	for _, cd := range cands {
		label := cd.account.Label()
		if cd.same != nil {
			label += " (same key as " + cd.same.Label() + ": updates it)"
		}
		ch := widget.NewCheck(label, nil)
		ch.SetChecked(cd.same == nil)
		p.Checks = append(p.Checks, ch)
		box.Add(ch)
	}
	for _, n := range notes {
		box.Add(wrapped(n))
	}
	var d dialog.Dialog
	p.Add = widget.NewButtonWithIcon("Add the chosen accounts", theme.ConfirmIcon(), func() {
		var chosen []candidate
		for i, ch := range p.Checks {
			if ch.Checked {
				chosen = append(chosen, p.cands[i])
			}
		}
		d.Hide()
		if len(chosen) == 0 {
			c.say("Nothing was added.")
			return
		}
		c.save(chosen, nil)
	})
	p.Add.Importance = widget.HighImportance
	title := fmt.Sprintf("%d accounts found in %s", len(cands), source)
	d = dialog.NewCustomWithoutButtons(title, container.NewBorder(nil,
		container.NewHBox(widget.NewButton("Cancel", func() { d.Hide() }), p.Add), nil, nil,
		container.NewVScroll(box)), c.u.win)
	d.Resize(fyne.NewSize(420, 420))
	c.pick = p
	d.Show()
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
	validate := func() { f.validate(c.u.codeTime) }
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
