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

	"github.com/wardauth/ward/internal/workflow"
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
	c.u.focus(box.Objects[0].(*widget.Button)) // Ctrl+N, then Return or space: scan the screen
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
func (c *codesView) addTexts(texts []string, source string) { c.addFound(texts, source, false) }

// addFound is addTexts; with ask, even one new account is offered, not added at
// once (a link handed over by another program is never added silently).
func (c *codesView) addFound(texts []string, source string, ask bool) {
	found := workflow.Classify(source, texts...)
	var notes []string
	for _, p := range found.Problems {
		if p.Other != "" {
			notes = append(notes, "A code in "+source+" is "+p.Other+", not an account.")
		} else {
			notes = append(notes, p.Err.Error())
		}
	}
	for _, s := range found.Skipped {
		notes = append(notes, "Skipped "+s+".")
	}
	for _, m := range found.Missing {
		notes = append(notes, "The Google Authenticator export is incomplete: "+m+" is missing. Scan it too.")
	}
	c.offer(found.Accounts, notes, source, ask)
}

// offer adds what was found. One new account is added at once; one with the key of
// an account already in Ward asks "update or skip"; several are offered as a list
// with a checkbox each; with ask, one new account is offered that way too. What is
// already in Ward as found is only reported.
func (c *codesView) offer(accounts []vault.Account, notes []string, source string, ask bool) {
	var cands []workflow.Candidate
	var present []string
	for _, cd := range workflow.Plan(c.all, accounts) {
		if cd.Standing == workflow.Present {
			present = append(present, cd.Existing.Label())
			continue
		}
		cands = append(cands, cd)
	}
	if len(present) > 0 {
		notes = append([]string{"Already in Ward: " + strings.Join(present, ", ") + "."}, notes...)
	}
	switch {
	case len(cands) == 0 && len(notes) == 0:
		c.say("No account found in " + source + ".")
	case len(cands) == 0:
		c.say(strings.Join(notes, " "))
	case len(cands) == 1 && cands[0].Standing == workflow.New && !ask:
		c.save(cands, notes)
	case len(cands) == 1 && cands[0].Standing != workflow.New:
		c.askUpdate(cands[0], notes)
	default:
		c.showPick(cands, notes, source)
	}
}

// save adds the new accounts and updates the existing ones the candidates meet, in
// one change, and says what happened, including any found in Ward meanwhile.
func (c *codesView) save(cands []workflow.Candidate, notes []string) {
	found := make([]vault.Account, len(cands))
	for i, cd := range cands {
		found[i] = cd.Account
	}
	m, err := workflow.Merge(c.u.vault, found, c.u.cfg.Now(), workflow.UpdateWard)
	if !c.changed(err, "") {
		return
	}
	var msg []string
	for _, part := range []struct {
		action workflow.Action
		says   string
	}{{workflow.Added, "Added "}, {workflow.Updated, "Updated "}, {workflow.Kept, "Already in Ward: "}} {
		if done := m.With(part.action); len(done) > 0 {
			labels := make([]string, len(done))
			for i, o := range done {
				labels[i] = o.Result.Label()
			}
			msg = append(msg, part.says+strings.Join(labels, ", ")+".")
		}
	}
	c.say(strings.Join(append(msg, notes...), " "))
	if added := m.With(workflow.Added); len(added) == 1 && len(m) == 1 {
		c.showEnroll(added[0].Result) // the site waits for its first code
	}
}

// askUpdate offers to update an account that has the key of the one found.
func (c *codesView) askUpdate(cd workflow.Candidate, notes []string) {
	c.dup = dialog.NewConfirm("Already in Ward",
		fmt.Sprintf("%s has the same key as %s, which is already in Ward. Update %s with the details found, or skip it?",
			cd.Account.Label(), cd.Existing.Label(), cd.Existing.Label()),
		func(update bool) {
			if update {
				c.save([]workflow.Candidate{cd}, notes)
			} else {
				c.say(strings.Join(append([]string{"Skipped " + cd.Account.Label() + "."}, notes...), " "))
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
	cands  []workflow.Candidate
}

func (c *codesView) showPick(cands []workflow.Candidate, notes []string, source string) {
	p := &pickList{cands: cands}
	box := container.NewVBox()
	for _, cd := range cands {
		label := cd.Account.Label()
		if cd.Standing != workflow.New {
			label += " (same key as " + cd.Existing.Label() + ": updates it)"
		}
		ch := widget.NewCheck(label, nil)
		ch.SetChecked(cd.Standing == workflow.New)
		p.Checks = append(p.Checks, ch)
		box.Add(ch)
	}
	for _, n := range notes {
		box.Add(wrapped(n))
	}
	var d dialog.Dialog
	p.Add = widget.NewButtonWithIcon("Add the chosen accounts", theme.ConfirmIcon(), func() {
		var chosen []workflow.Candidate
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
	if len(cands) == 1 {
		title = "Add the account found in " + source + "?"
		p.Add.SetText("Add")
	}
	d = dialog.NewCustomWithoutButtons(title, container.NewBorder(nil,
		container.NewHBox(widget.NewButton("Cancel", func() { d.Hide() }), p.Add), nil, nil,
		container.NewVScroll(box)), c.u.win)
	if len(cands) == 1 && len(notes) == 0 {
		d.Resize(fyne.NewSize(420, 200)) // the question and one line: no empty list below
	} else {
		d.Resize(fyne.NewSize(420, 420))
	}
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
		m, err := workflow.Merge(c.u.vault, []vault.Account{f.account}, c.u.cfg.Now(), workflow.AddDistinct)
		switch {
		case !c.changed(err, ""):
		case m[0].Action == workflow.Added:
			c.say("Added " + m[0].Result.Label() + ".")
			c.showEnroll(m[0].Result)
		default:
			c.say(m[0].Result.Label() + " is already in Ward.")
		}
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
